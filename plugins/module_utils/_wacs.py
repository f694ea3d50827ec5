# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
"""The wacs.exe command line of win-acme and simple-acme, for an unattended nginx setup.

Option names follow the clients' documentation (win-acme.com reference/cli.md for win-acme 2.2.9.1701, the last
release; simple-acme.com `_data/arguments.yml`, which keeps win-acme's names and adds `--profile`). The request:

    wacs.exe --source manual --host <names> --id <renewal id> --validation filesystem --webroot <dir>
             --csr ec --store pemfiles --pemfilespath <dir> --pemfilesname <name>
             --installation script --script <reload script> --accepttos [--emailaddress <mail>]
             [--eab-key-identifier <kid> --eab-key <key>] --baseuri <ACME directory> [--profile shortlived]
             --closeonfinish

Rules the builder enforces:
- no `--commonname`: the manual source makes the first DNS name the common name and never an IP address (simple-acme
  ManualOptionsFactory picks only DNS identifiers), which Let's Encrypt requires (an IP in the CN is a badCSR);
- simple-acme before 2.3.5 is refused (2.3.3 added `--profile`, 2.3.5 fixed it being ignored); `--profile` only when
  the server announces the profile;
- Let's Encrypt's directory URL is given as the host URL the clients' settings use (`https://<host>/`);
- staging is a `--baseuri`, never `--test`, which turns on interactive test behaviour (questions, no auto-close);
- a value starting with '-' is wrapped in double quotes, as the documentation says such values must be escaped.

The renewal's scheduled task and configuration folder are named after the client and the cleaned base URI
(simple-acme TaskSchedulerService.TaskName, ClientSettings.ConfigurationPath, StringExtensions.CleanUri).
"""

from __future__ import annotations

import re
import typing as t
from urllib.parse import urlsplit

from ansible_collections.ollama_remote.proxy.plugins.module_utils._acme import (
    AcmeError,
    Plan,
    choose_profile,
    common_settings,
    fingerprint,
    parse_version,
    text_setting,
    wanted_profile,
)

CLIENTS = ("simple-acme", "win-acme")
SIMPLE_ACME_PROFILE = (2, 3, 5)
WACS_SECRET_OPTIONS = ("--eab-key",)
# Characters .NET's Path.GetInvalidFileNameChars() returns on Windows; CleanPath removes them.
_INVALID_FILE_NAME_CHARS = set('"<>|:*?\\/') | {chr(code) for code in range(32)}
_DEFAULT_PORTS = {"http": 80, "https": 443}


def windows_path(path: str) -> str:
    """A Windows path with backslashes: cmd.exe, which runs .bat scripts, misreads forward slashes as switches."""
    return path.replace("/", "\\")


def dotnet_uri_string(uri: str) -> str:
    """What .NET's Uri.ToString() gives for an absolute http(s) URI: scheme and host in lower case, the default port
    dropped, '/' for an empty path."""
    parts = urlsplit(uri.strip())
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        raise AcmeError(f"{uri!r} is not an absolute http(s) URI")
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    netloc = host if port in (None, _DEFAULT_PORTS[parts.scheme.lower()]) else f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}{':' + parts.password if parts.password else ''}@{netloc}"
    text = f"{parts.scheme.lower()}://{netloc}{parts.path or '/'}"
    if parts.query:
        text += f"?{parts.query}"
    return text


def clean_uri(uri: str) -> str:
    """StringExtensions.CleanUri: the URI without user info and scheme, with characters invalid in file names removed."""
    text = dotnet_uri_string(uri)
    parts = urlsplit(text)
    if parts.username:
        text = text.replace(parts.netloc.split("@")[0] + "@", "", 1)
    text = text.replace("https://", "").replace("http://", "")
    return "".join(char for char in text if char not in _INVALID_FILE_NAME_CHARS)


def task_name(client: str, base_uri: str) -> str:
    """The scheduled task the client creates for its renewals: '<ClientName> renew (<clean base URI>)'."""
    return f"{client} renew ({clean_uri(base_uri)})"


def base_uri(directory_url: str) -> str:
    """The --baseuri for a directory URL. Let's Encrypt's `https://<host>/directory` becomes `https://<host>/`, the form
    the clients' own settings use, so the scheduled task and configuration folder get the names a hand-made setup
    has; the clients find `/directory` under it themselves. Any other URL is passed as given."""
    parts = urlsplit(directory_url.strip())
    host = (parts.hostname or "").lower()
    if (host == "letsencrypt.org" or host.endswith(".letsencrypt.org")) and parts.path.rstrip("/") == "/directory" and not parts.query:
        return dotnet_uri_string(f"{parts.scheme}://{parts.netloc}/")
    return directory_url.strip()


def supports_profiles(client: str, version: t.Sequence[int]) -> bool:
    return client == "simple-acme" and tuple(version) >= SIMPLE_ACME_PROFILE


def _value(text: str) -> str:
    if '"' in text or "\n" in text or "\r" in text:
        raise AcmeError(f"{text!r}: double quotes and line breaks cannot be passed to wacs.exe")
    # reference/cli.md: "Arguments that start with a - should be double escaped".
    return f'"{text}"' if text.startswith("-") else text


# simple-acme renews when due = min(issued + RenewalDays, expires - RenewalMinimumValidDays) has passed; ARI can only
# bring that earlier (DueDateRuntimeService). Its default of 7 minimum valid days exceeds a shortlived certificate's
# 160 hours, so every daily run would renew, against Let's Encrypt's limit of 5 per week for the same names. With 3,
# a 6.7-day certificate renews at about half its life, as certbot does for lifetimes under 10 days.
SHORTLIVED_MINIMUM_VALID_DAYS = 3


def renewal_settings(profile: str | None) -> dict[str, t.Any]:
    """The client's settings.json for the server's configuration folder, which simple-acme merges over its own."""
    scheduled: dict[str, t.Any] = {"RenewalDisableServerSchedule": False}  # ARI: the CA may ask for an earlier renewal
    if profile == "shortlived":
        scheduled["RenewalMinimumValidDays"] = SHORTLIVED_MINIMUM_VALID_DAYS
    return {"ScheduledTask": scheduled}


def wacs_plan(settings: t.Mapping[str, t.Any]) -> Plan:
    """The create-renewal command, the command that recreates the scheduled task, and where the results land.

    settings: client, version, executable, identifiers, directory_url, terms_agreed, email, eab_kid, eab_hmac_key,
    eab_algorithm, key_type, webroot, profile, server_profiles, pem_path, pem_name, script, script_parameters,
    renewal_id, program_data.
    """
    client = text_setting(settings, "client", "simple-acme") or "simple-acme"
    if client not in CLIENTS:
        raise AcmeError(f"client must be one of {', '.join(CLIENTS)}")
    common = common_settings(settings)
    ids = common["identifiers"]
    version = parse_version(settings.get("version"))
    label = f"{client} {'.'.join(map(str, version))}"
    if client == "simple-acme" and version < SIMPLE_ACME_PROFILE:
        # Older releases accept --profile and ignore it: a certificate for an IP address would silently fail, and a
        # renewal would silently lose its profile.
        raise AcmeError(f"{label} ignores --profile (fixed in simple-acme 2.3.5); set acme_windows_version to 2.3.5 or later")
    supported = supports_profiles(client, version)
    profile, notes = choose_profile(common["profile"], ids, common["server_profiles"], client_supports_profiles=supported, client=label)
    executable = text_setting(settings, "executable")
    pem_path, pem_name, script = text_setting(settings, "pem_path"), text_setting(settings, "pem_name"), text_setting(settings, "script")
    renewal_id = text_setting(settings, "renewal_id")
    for key, value in (("executable", executable), ("pem_path", pem_path), ("script", script)):
        if not re.match(r"^[A-Za-z]:[\\/]", value):
            raise AcmeError(f"{key} must be an absolute Windows path (C:/...), got {value!r}")
    for key, value in (("pem_name", pem_name), ("renewal_id", renewal_id)):
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", value):
            raise AcmeError(f"{key} {value!r} must be letters, digits and . _ - (it names files)")
    directory = base_uri(common["directory"])
    argv = [windows_path(executable)]
    argv += ["--source", "manual", "--host", ",".join(ids.ordered), "--id", renewal_id]
    argv += ["--validation", "filesystem", "--webroot", _value(windows_path(common["webroot"]))]
    argv += ["--csr", common["key_type"]]
    argv += ["--store", "pemfiles", "--pemfilespath", _value(windows_path(pem_path)), "--pemfilesname", pem_name]
    argv += ["--installation", "script", "--script", _value(windows_path(script))]
    if text_setting(settings, "script_parameters"):
        argv += ["--scriptparameters", _value(text_setting(settings, "script_parameters"))]
    argv.append("--accepttos")
    if common["email"]:
        argv += ["--emailaddress", _value(common["email"])]
    if common["eab_kid"]:
        argv += ["--eab-key-identifier", _value(common["eab_kid"]), "--eab-key", _value(common["eab_key"])]
        if common["eab_algorithm"] != "HS256":
            argv += ["--eab-algorithm", common["eab_algorithm"]]
    argv += ["--baseuri", _value(directory)]
    if profile:
        argv += ["--profile", _value(profile)]
    argv.append("--closeonfinish")
    program_data = (text_setting(settings, "program_data", "C:/ProgramData") or "C:/ProgramData").rstrip("/\\")
    config_dir = f"{program_data}/{client}/{clean_uri(directory)}"
    pem_dir = pem_path.rstrip("/\\")
    extra = {
        "setup_task_argv": [argv[0], "--setuptaskscheduler", "--baseuri", _value(directory), "--closeonfinish"],
        "task_name": task_name(client, directory),
        "config_dir": config_dir,
        "renewal_file": f"{config_dir}/{renewal_id}.renewal.json",
        "settings_file": f"{config_dir}/settings.json",
        "settings": renewal_settings(profile),
        "pem_files": {
            "certificate": f"{pem_dir}/{pem_name}-crt.pem",
            "fullchain": f"{pem_dir}/{pem_name}-chain.pem",
            "key": f"{pem_dir}/{pem_name}-key.pem",
        },
        "identifiers": list(ids.ordered),
        "wanted_profile": wanted_profile(common["profile"], ids),
        "secret": bool(common["eab_kid"]),
    }
    return Plan(argv, profile, fingerprint(argv, WACS_SECRET_OPTIONS), notes, extra)
