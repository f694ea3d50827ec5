# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every certbot command line the acme role can build.

certbot's options and the versions that introduced them come from `certbot --help all` and certbot/CHANGELOG.md:
--preferred-profile 4.0.0, --eab-hmac-alg 4.2.0, --ip-address 5.3.0 (standalone and manual plugins only), IP
addresses with the webroot plugin 5.4.0. Debian 12 ships certbot 2.1.0.
"""

from __future__ import annotations

import itertools
import re
import typing as t

import pytest

from ansible_collections.ollama_remote.proxy.plugins.module_utils._acme import AcmeError, parse_version
from ansible_collections.ollama_remote.proxy.plugins.module_utils._certbot import certbot_plan

# Option -> (takes a value, certbot version that introduced it), for the options the role may use.
CERTBOT_DOCUMENTED: dict[str, tuple[bool, tuple[int, ...]]] = {
    "--non-interactive": (False, (0, 0)), "--agree-tos": (False, (0, 0)), "--email": (True, (0, 0)),
    "--register-unsafely-without-email": (False, (0, 0)), "--server": (True, (0, 0)), "--config-dir": (True, (0, 0)),
    "--work-dir": (True, (0, 0)), "--logs-dir": (True, (0, 0)), "--cert-name": (True, (0, 0)), "--webroot": (False, (0, 0)),
    "--webroot-path": (True, (0, 0)), "--domain": (True, (0, 0)), "--ip-address": (True, (5, 3, 0)), "--key-type": (True, (1, 10, 0)),
    "--deploy-hook": (True, (0, 17, 0)), "--preferred-profile": (True, (4, 0, 0)), "--required-profile": (True, (4, 0, 0)),
    "--eab-kid": (True, (0, 29, 0)), "--eab-hmac-key": (True, (0, 29, 0)), "--eab-hmac-alg": (True, (4, 2, 0)),
    "--force-renewal": (False, (0, 0)),
}  # fmt: skip
LE = "https://acme-v02.api.letsencrypt.org/directory"
LE_PROFILES = ["classic", "shortlived", "tlsserver"]


def certbot_request(**overrides: t.Any) -> dict[str, t.Any]:
    settings = {
        "version": "certbot 5.8.0",
        "executable": "/opt/ollama-acme/bin/certbot",
        "identifiers": ["gateway.example.net"],
        "directory_url": LE,
        "terms_agreed": True,
        "webroot": "/var/www/ollama-acme",
        "profile": "auto",
        "server_profiles": LE_PROFILES,
        "cert_name": "ollama-gateway",
        "config_dir": "/etc/ollama-acme",
        "work_dir": "/var/lib/ollama-acme",
        "logs_dir": "/var/log/ollama-acme",
        "deploy_hook": "/usr/local/lib/ollama-acme/deploy-hook",
    }
    settings.update(overrides)
    return settings


def parse_certbot(argv: list[str], version: tuple[int, ...]) -> dict[str, list[str | bool]]:
    assert argv[1] == "certonly"
    options: dict[str, list[str | bool]] = {}
    for token in argv[2:]:
        name, sep, value = token.partition("=")
        assert name in CERTBOT_DOCUMENTED, f"{name} is not a certbot option"
        takes_value, introduced = CERTBOT_DOCUMENTED[name]
        assert version >= introduced, f"{name} needs certbot {introduced}"
        assert bool(sep) == takes_value, f"{name}: value given as {token!r}"
        options.setdefault(name, []).append(value if takes_value else True)
    return options


# --- identifiers and profiles ------------------------------------------------------------------------------------


VERSIONS = ["2.1.0", "3.3.0", "4.0.0", "4.2.0", "5.3.0", "5.4.0", "5.8.0"]
IDENTIFIER_SETS = [["gateway.example.net"], ["203.0.113.10"], ["gateway.example.net", "2001:db8::10"]]
SERVER_PROFILES: list[list[str] | None] = [LE_PROFILES, [], None]


def test_every_certbot_command_line_the_role_can_build_is_valid_for_that_certbot() -> None:
    built = refused = 0
    for version, identifiers, offered, profile, eab_alg, force, email in itertools.product(
        VERSIONS, IDENTIFIER_SETS, SERVER_PROFILES, ("auto", "", "shortlived"), ("", "HS256", "HS512"), (False, True), ("", "ops@example.net")
    ):
        numbers = parse_version(version)
        settings = certbot_request(version=version, identifiers=identifiers, server_profiles=offered, profile=profile, force=force, email=email)
        if eab_alg:
            settings.update(eab_kid="kid-1", eab_hmac_key="-secret-key", eab_algorithm=eab_alg)
        has_ip = any(":" in i or i[0].isdigit() for i in identifiers)
        wanted = ("shortlived" if has_ip else "") if profile == "auto" else profile
        too_old = (has_ip and numbers < (5, 4, 0)) or (eab_alg == "HS512" and numbers < (4, 2, 0))
        profile_impossible = bool(wanted) and numbers < (4, 0, 0) and (offered or (offered is None and profile != "auto"))
        if too_old or profile_impossible:
            with pytest.raises(AcmeError):
                certbot_plan(settings)
            refused += 1
            continue
        argv = certbot_plan(settings).argv
        options = parse_certbot(argv, numbers)
        assert options["--domain"] if "gateway.example.net" in identifiers else "--domain" not in options
        assert ("--ip-address" in options) == has_ip
        expected = wanted if wanted and numbers >= (4, 0, 0) and (offered is None or wanted in offered) else ""
        assert options.get("--preferred-profile", [""]) == [expected]
        assert ("--force-renewal" in options) == force
        assert ("--email" in options) != ("--register-unsafely-without-email" in options)
        if eab_alg:
            assert options["--eab-hmac-key"] == ["-secret-key"]  # --name=value keeps the leading '-' a value
            assert ("--eab-hmac-alg" in options) == (eab_alg != "HS256")
        built += 1
    assert built > 300 and refused > 50


def test_the_typical_linux_request() -> None:
    plan = certbot_plan(certbot_request(identifiers=["203.0.113.10"], force=True)).as_dict()
    assert plan["argv"] == [
        "/opt/ollama-acme/bin/certbot", "certonly", "--non-interactive", "--agree-tos", "--register-unsafely-without-email",
        f"--server={LE}", "--config-dir=/etc/ollama-acme", "--work-dir=/var/lib/ollama-acme", "--logs-dir=/var/log/ollama-acme",
        "--cert-name=ollama-gateway", "--webroot", "--webroot-path=/var/www/ollama-acme", "--ip-address=203.0.113.10",
        "--key-type=ecdsa", "--deploy-hook=/usr/local/lib/ollama-acme/deploy-hook", "--preferred-profile=shortlived", "--force-renewal",
    ]  # fmt: skip
    assert plan["fingerprint"] == certbot_plan(certbot_request(identifiers=["203.0.113.10"])).fingerprint, "--force-renewal is no part of the request"


def test_debian_certbot_cannot_make_ip_certificates() -> None:
    with pytest.raises(AcmeError, match=re.escape("certbot 2.1.0 cannot request IP-address certificates with the webroot plugin; certbot 5.4.0")):
        certbot_plan(certbot_request(version="2.1.0", identifiers=["203.0.113.10"]))


def test_pebble_gets_no_profile_request() -> None:
    plan = certbot_plan(certbot_request(directory_url="https://127.0.0.1:14000/dir", server_profiles=[], identifiers=["127.0.0.1"]))
    assert not any(arg.startswith("--preferred-profile") for arg in plan.argv)
    assert plan.notes == ["the ACME server announces no profiles; not requesting 'shortlived'"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"cert_name": "../x"}, "cert_name"),
        ({"version": "unknown"}, "cannot read a version"),
        ({"webroot": ""}, "webroot"),
        ({"server_profiles": "shortlived"}, "server_profiles must be a list"),
        ({"eab_algorithm": "HS1"}, "eab_algorithm must be one of"),
        ({"key_type": "ed25519"}, "key_type must be one of"),
    ],
)
def test_certbot_requests_that_cannot_work(overrides: dict[str, t.Any], message: str) -> None:
    with pytest.raises(AcmeError, match=message):
        certbot_plan(certbot_request(**overrides))
