# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
"""The certbot command line (Linux) for the gateway's certificate, checked against certbot's documented options and the
versions that introduced them (certbot/CHANGELOG.md: profiles in 4.0.0, `--ip-address` in 5.3.0, IP addresses with the
webroot plugin in 5.4.0, `--eab-hmac-alg` in 4.2.0).
"""

from __future__ import annotations

import re
import typing as t

from ansible_collections.ollama_remote.proxy.plugins.module_utils._acme import (
    AcmeError,
    Identifiers,
    Plan,
    choose_profile,
    common_settings,
    fingerprint,
    parse_version,
    text_setting,
)

CERTBOT_PROFILES = (4, 0, 0)
CERTBOT_IP_WEBROOT = (5, 4, 0)
# Options this module emits, with the certbot version that introduced them (certbot --help all; certbot/CHANGELOG.md).
CERTBOT_OPTIONS: dict[str, tuple[int, ...]] = {
    "certonly": (0, 0),
    "--non-interactive": (0, 0),
    "--agree-tos": (0, 0),
    "--email": (0, 0),
    "--register-unsafely-without-email": (0, 0),
    "--server": (0, 0),
    "--config-dir": (0, 0),
    "--work-dir": (0, 0),
    "--logs-dir": (0, 0),
    "--cert-name": (0, 0),
    "--webroot": (0, 0),
    "--webroot-path": (0, 0),
    "--domain": (0, 0),
    "--ip-address": (5, 3, 0),
    "--key-type": (1, 10, 0),
    "--deploy-hook": (0, 17, 0),
    "--preferred-profile": CERTBOT_PROFILES,
    "--eab-kid": (0, 29, 0),
    "--eab-hmac-key": (0, 29, 0),
    "--eab-hmac-alg": (4, 2, 0),
    "--force-renewal": (0, 0),
}
CERTBOT_SECRET_OPTIONS = ("--eab-hmac-key",)


def certbot_plan(settings: t.Mapping[str, t.Any]) -> Plan:
    """certbot certonly with the webroot plugin, for one certificate lineage.

    settings: identifiers, directory_url, terms_agreed, email, eab_kid, eab_hmac_key, eab_algorithm, key_type,
    webroot, profile, server_profiles, version (certbot's), executable, config_dir, work_dir, logs_dir, cert_name,
    deploy_hook, force.
    """
    common = common_settings(settings)
    ids: Identifiers = common["identifiers"]
    version = parse_version(settings.get("version"))
    if ids.has_ip and version < CERTBOT_IP_WEBROOT:
        raise AcmeError(f"certbot {'.'.join(map(str, version))} cannot request IP-address certificates with the webroot plugin; certbot 5.4.0 or later can")
    profile, notes = choose_profile(
        common["profile"], ids, common["server_profiles"], client_supports_profiles=version >= CERTBOT_PROFILES, client=f"certbot {'.'.join(map(str, version))}"
    )
    executable = text_setting(settings, "executable", "certbot") or "certbot"
    cert_name = text_setting(settings, "cert_name")
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", cert_name):
        raise AcmeError(f"cert_name {cert_name!r} must be letters, digits and . _ - (it names directories)")

    def option(name: str, value: str) -> str:
        # The --name=value form keeps a value that starts with '-' from being read as an option.
        return f"{name}={value}"

    argv = [executable, "certonly", "--non-interactive", "--agree-tos"]
    argv.append(option("--email", common["email"]) if common["email"] else "--register-unsafely-without-email")
    argv.append(option("--server", common["directory"]))
    for key, name in (("config_dir", "--config-dir"), ("work_dir", "--work-dir"), ("logs_dir", "--logs-dir")):
        if text_setting(settings, key):
            argv.append(option(name, text_setting(settings, key)))
    argv += [option("--cert-name", cert_name), "--webroot", option("--webroot-path", common["webroot"])]
    argv += [option("--domain", name) for name in ids.dns]
    argv += [option("--ip-address", address) for address in ids.ips]
    argv.append(option("--key-type", "ecdsa" if common["key_type"] == "ec" else "rsa"))
    if text_setting(settings, "deploy_hook"):
        argv.append(option("--deploy-hook", text_setting(settings, "deploy_hook")))
    if profile:
        # preferred (not required): a renewal still succeeds if the CA later retires the profile.
        argv.append(option("--preferred-profile", profile))
    if common["eab_kid"]:
        argv += [option("--eab-kid", common["eab_kid"]), option("--eab-hmac-key", common["eab_key"])]
        if common["eab_algorithm"] != "HS256":
            argv.append(option("--eab-hmac-alg", common["eab_algorithm"]))
    for arg in argv[1:]:
        name = arg.partition("=")[0]
        introduced = CERTBOT_OPTIONS[name]
        if version < introduced:
            raise AcmeError(f"certbot {'.'.join(map(str, version))} has no {name} (it came with certbot {'.'.join(map(str, introduced))})")
    digest = fingerprint(argv, CERTBOT_SECRET_OPTIONS)
    if settings.get("force"):
        argv.append("--force-renewal")
    return Plan(argv, profile, digest, notes, {"identifiers": list(ids.ordered), "secret": bool(common["eab_kid"])})
