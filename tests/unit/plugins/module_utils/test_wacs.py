# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every wacs.exe command line the acme role can build, checked against the clients' documented options and rules.

The tables below are transcribed from the documentation: win-acme.github.io `reference/cli.md` (win-acme 2.2.9.1701,
the last win-acme release) and simple-acme.github.io `_data/arguments.yml` (simple-acme 2.3.x, which keeps win-acme's
names and adds `--profile`, "Specify which certificate profile to use"). `[--x y]` in the documentation marks
options that only apply when `--x` is `y`; CONDITIONS holds those for the plugins the role uses.
"""

from __future__ import annotations

import itertools
import re
import typing as t
from datetime import UTC, datetime, timedelta

import pytest

from ansible_collections.ollama_remote.proxy.plugins.module_utils._acme import AcmeError, parse_identifiers
from ansible_collections.ollama_remote.proxy.plugins.module_utils._wacs import base_uri, clean_uri, task_name, wacs_plan

FLAG, VALUE = "flag", "value"
# reference/cli.md, "Main" and "Account" (win-acme 2.2.9.1701).
WIN_ACME_MAIN = {
    "baseuri": VALUE, "import": FLAG, "importbaseuri": VALUE, "test": FLAG, "verbose": FLAG, "help": FLAG, "version": FLAG,
    "renew": FLAG, "force": FLAG, "nocache": FLAG, "register": FLAG, "cancel": FLAG, "revoke": FLAG, "list": FLAG,
    "encrypt": FLAG, "id": VALUE, "friendlyname": VALUE, "source": VALUE, "validation": VALUE, "validationmode": VALUE,
    "order": VALUE, "csr": VALUE, "store": VALUE, "installation": VALUE, "closeonfinish": FLAG, "hidehttps": FLAG,
    "notaskscheduler": FLAG, "setuptaskscheduler": FLAG,
    "accepttos": FLAG, "emailaddress": VALUE, "account": VALUE, "eab-key-identifier": VALUE, "eab-key": VALUE, "eab-algorithm": VALUE,
    # CSR common, manual source, PEM files store, script installation, FileSystem and common HTTP validation.
    "ocsp-must-staple": FLAG, "reuse-privatekey": FLAG, "commonname": VALUE, "host": VALUE,
    "pemfilespath": VALUE, "pemfilesname": VALUE, "pempassword": VALUE, "script": VALUE, "scriptparameters": VALUE,
    "validationsiteid": VALUE, "webroot": VALUE, "manualtargetisiis": FLAG,
}  # fmt: skip
# _data/arguments.yml of simple-acme: win-acme's, plus these (import/importbaseuri are gone).
SIMPLE_ACME_ADDED = {"profile": VALUE, "config": FLAG, "vaultstore": FLAG, "vaultkey": VALUE, "vaultsecret": VALUE, "globalvalidation": FLAG,
                     "globalvalidationpriority": VALUE, "globalvalidationpattern": VALUE, "challengeroot": VALUE, "csrscript": VALUE}  # fmt: skip
SIMPLE_ACME = {**{k: v for k, v in WIN_ACME_MAIN.items() if k not in ("import", "importbaseuri")}, **SIMPLE_ACME_ADDED}
# option -> (the option that selects its plugin, the values for which it applies)
CONDITIONS = {
    "host": ("source", {"manual", "iis"}),
    "commonname": ("source", {"manual", "iis"}),
    "webroot": ("validation", {"filesystem", "ftp", "sftp", "webdav"}),
    "pemfilespath": ("store", {"pemfiles"}),
    "pemfilesname": ("store", {"pemfiles"}),
    "script": ("installation", {"script"}),
    "scriptparameters": ("installation", {"script"}),
    "eab-key": ("eab-key-identifier", None),
}
# Plugin names and values as the documentation writes them.
VALUES = {"source": {"manual"}, "validation": {"filesystem"}, "store": {"pemfiles"}, "installation": {"script"}, "csr": {"ec", "rsa"},
          "eab-algorithm": {"HS256", "HS384", "HS512"}}  # fmt: skip
LE = "https://acme-v02.api.letsencrypt.org/directory"
LE_STAGING = "https://acme-staging-v02.api.letsencrypt.org/directory"
LE_PROFILES = ["classic", "shortlived", "tlsserver"]


def documented(client: str) -> dict[str, str]:
    return SIMPLE_ACME if client == "simple-acme" else WIN_ACME_MAIN


def parse_argv(argv: list[str], client: str) -> dict[str, str | bool]:
    """Split a command line by the documented options; fails on anything undocumented or malformed."""
    table = documented(client)
    options: dict[str, str | bool] = {}
    index = 1
    while index < len(argv):
        token = argv[index]
        assert token.startswith("--"), f"{token!r} is not an option (a value without its option?)"
        name = token[2:]
        assert name in table, f"--{name} is not documented for {client}"
        assert name not in options, f"--{name} given twice"
        if table[name] == FLAG:
            options[name] = True
            index += 1
        else:
            assert index + 1 < len(argv), f"--{name} needs a value"
            value = argv[index + 1]
            assert value and not value.startswith("-"), f"--{name} value {value!r} would be read as an option (quote it)"
            options[name] = value
            index += 2
    return options


def request(**overrides: t.Any) -> dict[str, t.Any]:
    settings = {
        "client": "simple-acme",
        "version": "2.3.5.2195",
        "executable": "C:/Program Files/simple-acme/2.3.5.2195/wacs.exe",
        "identifiers": ["gateway.example.net"],
        "directory_url": LE,
        "terms_agreed": True,
        "email": "",
        "webroot": "C:/nginx/html-acme",
        "profile": "auto",
        "server_profiles": LE_PROFILES,
        "pem_path": "C:/nginx/conf/ollama-gateway/tls/acme",
        "pem_name": "ollama-gateway",
        "script": "C:/nginx/conf/ollama-gateway/tls/acme/install-certificate.bat",
        "renewal_id": "ollama-gateway",
    }
    settings.update(overrides)
    return settings


def check_rules(argv: list[str], settings: dict[str, t.Any]) -> dict[str, str | bool]:
    """The documentation's rules and the issue's: conditions, values, no common name, no --test, staging URI, profile."""
    client = settings["client"]
    options = parse_argv(argv, client)
    for name, (selector, allowed) in CONDITIONS.items():
        if name in options:
            assert selector in options, f"--{name} needs --{selector}"
            if allowed is not None:
                assert options[selector] in allowed, f"--{name} applies only with --{selector} {'|'.join(sorted(allowed))}"
    for name, allowed in VALUES.items():
        if name in options:
            assert options[name] in allowed, f"--{name} {options[name]!r} is not one of {sorted(allowed)}"
    assert "commonname" not in options, "the common name is left to the client, which never makes it an IP address"
    assert "test" not in options, "--test turns on interactive test behaviour; staging is a --baseuri"
    assert options["accepttos"] is True and "closeonfinish" in options
    ids = parse_identifiers(settings["identifiers"])
    assert str(options["host"]).split(",") == list(ids.ordered)
    directory = settings["directory_url"]
    expected_base = {LE: "https://acme-v02.api.letsencrypt.org/", LE_STAGING: "https://acme-staging-v02.api.letsencrypt.org/"}.get(directory, directory)
    assert options["baseuri"] == expected_base
    if "profile" in options:
        version = tuple(int(part) for part in settings["version"].split("."))
        assert client == "simple-acme" and version >= (2, 3, 5), "--profile works from simple-acme 2.3.5 (2.3.3 ignored it)"
        offered = settings["server_profiles"]
        assert offered is None or options["profile"] in offered, "a profile the server does not announce"
    if settings.get("email"):
        assert options["emailaddress"] == settings["email"]
    else:
        assert "emailaddress" not in options
    return options


CLIENT_VERSIONS = [("simple-acme", "2.3.5.2195"), ("simple-acme", "2.4.0.2300"), ("simple-acme", "2.3.4.2100"), ("simple-acme", "2.3.1.9"),
                   ("win-acme", "2.2.9.1701")]  # fmt: skip
IDENTIFIER_SETS = [["gateway.example.net"], ["203.0.113.10"], ["2001:db8::10"], ["gateway.example.net", "203.0.113.10"],
                   ["203.0.113.10", "gateway.example.net"], ["[2001:DB8::10]", "Gateway.Example.NET."]]  # fmt: skip
DIRECTORIES = [LE, LE_STAGING, "https://acme.zerossl.com/v2/DV90", "https://127.0.0.1:14000/dir"]
SERVER_PROFILES: list[list[str] | None] = [LE_PROFILES, [], ["classic"], None]
PROFILES = ["auto", "", "shortlived", "tlsserver"]


def test_every_command_line_the_role_can_build_follows_the_documentation() -> None:
    """The cross product of everything that shapes the command line: each either builds a documented command line
    or is refused with a reason; a refusal happens exactly where the rules say the request cannot work."""
    built = refused = 0
    for (client, version), identifiers, directory, offered, profile, eab, email, key_type in itertools.product(
        CLIENT_VERSIONS, IDENTIFIER_SETS, DIRECTORIES, SERVER_PROFILES, PROFILES, (False, True), ("", "ops@example.net"), ("ec", "rsa")
    ):
        settings = request(client=client, version=version, identifiers=identifiers, directory_url=directory, server_profiles=offered,
                           profile=profile, email=email, key_type=key_type, executable=f"C:/Program Files/{client}/{version}/wacs.exe")  # fmt: skip
        if eab:
            settings.update(eab_kid="kid-1", eab_hmac_key="-zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W")
        supported = client == "simple-acme" and tuple(map(int, version.split("."))) >= (2, 3, 5)
        if client == "simple-acme" and not supported:
            with pytest.raises(AcmeError, match="ignores --profile"):
                wacs_plan(settings)
            refused += 1
            continue
        has_ip = any(":" in i or i[0].isdigit() for i in identifiers)
        wanted = ("shortlived" if has_ip else "") if profile == "auto" else profile
        explicit = profile not in ("auto", "")
        # Where the request cannot work: a profile the client cannot send to a server that has it (or might have it),
        # or an explicit profile a server with profiles does not offer.
        impossible = bool(wanted) and (
            (offered is None and not supported and explicit)
            or (bool(offered) and wanted in offered and not supported)
            or (explicit and bool(offered) and wanted not in offered)
        )
        if impossible:
            with pytest.raises(AcmeError):
                wacs_plan(settings)
            refused += 1
            continue
        plan = wacs_plan(settings)
        options = check_rules(plan.argv, settings)
        assert options["csr"] == key_type
        if eab:
            assert options["eab-key"] == '"-zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W"'  # starts with '-'
            assert "eab-key" not in plan.fingerprint and plan.as_dict()["secret"] is True
        expected_profile = wanted if wanted and supported and (offered is None or wanted in offered) else ""
        assert options.get("profile", "") == expected_profile
        if has_ip and offered and "shortlived" in offered and profile == "auto":
            assert options["profile"] == "shortlived", "Let's Encrypt issues IP certificates only with shortlived"
        built += 1
    assert built > 3000 and refused > 100


def test_the_typical_windows_request() -> None:
    plan = wacs_plan(request(identifiers=["203.0.113.10"], email="ops@example.net")).as_dict()
    assert plan["argv"] == [
        "C:\\Program Files\\simple-acme\\2.3.5.2195\\wacs.exe",
        "--source", "manual", "--host", "203.0.113.10", "--id", "ollama-gateway",
        "--validation", "filesystem", "--webroot", "C:\\nginx\\html-acme",
        "--csr", "ec",
        "--store", "pemfiles", "--pemfilespath", "C:\\nginx\\conf\\ollama-gateway\\tls\\acme", "--pemfilesname", "ollama-gateway",
        "--installation", "script", "--script", "C:\\nginx\\conf\\ollama-gateway\\tls\\acme\\install-certificate.bat",
        "--accepttos", "--emailaddress", "ops@example.net",
        "--baseuri", "https://acme-v02.api.letsencrypt.org/",
        "--profile", "shortlived",
        "--closeonfinish",
    ]  # fmt: skip
    assert plan["setup_task_argv"] == [plan["argv"][0], "--setuptaskscheduler", "--baseuri", "https://acme-v02.api.letsencrypt.org/", "--closeonfinish"]
    assert plan["task_name"] == "simple-acme renew (acme-v02.api.letsencrypt.org)"
    assert plan["renewal_file"] == "C:/ProgramData/simple-acme/acme-v02.api.letsencrypt.org/ollama-gateway.renewal.json"
    assert plan["pem_files"] == {
        "certificate": "C:/nginx/conf/ollama-gateway/tls/acme/ollama-gateway-crt.pem",
        "fullchain": "C:/nginx/conf/ollama-gateway/tls/acme/ollama-gateway-chain.pem",
        "key": "C:/nginx/conf/ollama-gateway/tls/acme/ollama-gateway-key.pem",
    }


def test_staging_is_a_base_uri_with_its_own_task_and_folder() -> None:
    plan = wacs_plan(request(directory_url=LE_STAGING)).as_dict()
    options = parse_argv(plan["argv"], "simple-acme")
    assert options["baseuri"] == "https://acme-staging-v02.api.letsencrypt.org/" and "test" not in options
    assert plan["task_name"] == "simple-acme renew (acme-staging-v02.api.letsencrypt.org)"
    assert plan["config_dir"] == "C:/ProgramData/simple-acme/acme-staging-v02.api.letsencrypt.org"


@pytest.mark.parametrize(
    ("uri", "cleaned"),
    [
        ("https://acme-v02.api.letsencrypt.org/", "acme-v02.api.letsencrypt.org"),
        ("https://acme-v02.api.letsencrypt.org", "acme-v02.api.letsencrypt.org"),
        ("https://ACME.ZeroSSL.com:443/v2/DV90", "acme.zerossl.comv2DV90"),
        ("https://127.0.0.1:14000/dir", "127.0.0.114000dir"),
        ("https://user:secret@ca.example.net/acme/directory?x=1", "ca.example.netacmedirectoryx=1"),
    ],
)
def test_configuration_folder_names_follow_clean_uri(uri: str, cleaned: str) -> None:
    """StringExtensions.CleanUri: Uri.ToString() without user info and scheme, minus characters file names cannot hold."""
    assert clean_uri(uri) == cleaned


def test_task_names_follow_the_client_name() -> None:
    assert task_name("win-acme", "https://acme-v02.api.letsencrypt.org/") == "win-acme renew (acme-v02.api.letsencrypt.org)"
    assert base_uri("https://acme.zerossl.com/v2/DV90") == "https://acme.zerossl.com/v2/DV90"
    assert base_uri(LE) == "https://acme-v02.api.letsencrypt.org/"


def test_pebble_without_profiles_gets_no_profile_request() -> None:
    """Debian's pebble 2.4 announces no profiles: IP identifiers are requested without one, and the user is told."""
    plan = wacs_plan(request(identifiers=["127.0.0.1"], directory_url="https://127.0.0.1:14000/dir", server_profiles=[]))
    assert "--profile" not in plan.argv
    assert plan.notes == ["the ACME server announces no profiles; not requesting 'shortlived'"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"client": "win-acme", "version": "2.2.9.1701", "identifiers": ["203.0.113.10"]}, "win-acme 2.2.9.1701 cannot request the ACME profile 'shortlived'"),
        ({"version": "2.3.3.1990", "identifiers": ["203.0.113.10"]}, "simple-acme 2.3.3.1990 ignores --profile (fixed in simple-acme 2.3.5)"),
        ({"version": "2.3.4.2100", "identifiers": ["gateway.example.net"]}, "set acme_windows_version to 2.3.5 or later"),
        ({"terms_agreed": False}, "terms of service must be accepted"),
        ({"identifiers": []}, "non-empty list"),
        ({"identifiers": ["*.example.net"]}, "wildcards need dns-01"),
        ({"identifiers": ["gateway"]}, "fully qualified DNS name"),
        ({"identifiers": ["fe80::1%eth0"]}, "zone index"),
        ({"identifiers": ["a.example.net", "A.example.net."]}, "listed more than once"),
        ({"profile": "tlsserver", "server_profiles": ["classic"]}, "offers no profile 'tlsserver'"),
        ({"eab_kid": "kid-1"}, "needs both eab_kid and eab_hmac_key"),
        ({"email": "a@b.example, c@d.example"}, "is not one e-mail address"),
        ({"webroot": 'C:/with"quote'}, "double quotes"),
        ({"pem_name": "../evil"}, "must be letters, digits"),
        ({"executable": "wacs.exe"}, "absolute Windows path"),
        ({"directory_url": "acme-v02.api.letsencrypt.org"}, "not an http(s) URL"),
        ({"client": "certify"}, "client must be one of"),
    ],
)
def test_requests_that_cannot_work_are_refused(overrides: dict[str, t.Any], message: str) -> None:
    with pytest.raises(AcmeError, match=re.escape(message)):
        wacs_plan(request(**overrides))


def test_the_fingerprint_follows_the_request_but_not_the_program_path() -> None:
    first = wacs_plan(request()).fingerprint
    assert wacs_plan(request(executable="C:/Program Files/simple-acme/2.4.0.2300/wacs.exe", version="2.4.0.2300")).fingerprint == first
    assert wacs_plan(request(identifiers=["other.example.net"])).fingerprint != first
    assert wacs_plan(request(eab_kid="k", eab_hmac_key="one")).fingerprint == wacs_plan(request(eab_kid="k", eab_hmac_key="two")).fingerprint


# --- When simple-acme renews -----------------------------------------------------------------------------------------
SHORTLIVED = timedelta(hours=160)
DAY = timedelta(days=1)


def simple_acme_due(issued: datetime, expires: datetime, settings: dict[str, t.Any]) -> datetime:
    """simple-acme 2.3.5's due date without ARI (DueDateRuntimeService.ComputeDueDate), from settings.json's
    ScheduledTask section: RenewalDays (default 55) after issue, or RenewalMinimumValidDays (default 7) before expiry,
    whichever comes first. ARI can only make it earlier."""
    scheduled = settings.get("ScheduledTask", {})
    end = issued + timedelta(days=scheduled.get("RenewalDays", 55))
    return min(end, expires - timedelta(days=scheduled.get("RenewalMinimumValidDays", 7)))


def test_a_shortlived_certificate_renews_at_about_half_its_life_not_every_day() -> None:
    plan = wacs_plan(request(identifiers=["203.0.113.10"])).as_dict()
    assert plan["profile"] == "shortlived"
    assert plan["settings_file"] == "C:/ProgramData/simple-acme/acme-v02.api.letsencrypt.org/settings.json"
    assert plan["settings"] == {"ScheduledTask": {"RenewalDisableServerSchedule": False, "RenewalMinimumValidDays": 3}}
    issued = datetime(2026, 11, 30, 9, tzinfo=UTC)
    due = simple_acme_due(issued, issued + SHORTLIVED, plan["settings"])
    assert SHORTLIVED / 3 < due - issued < SHORTLIVED * 2 / 3, "renewed near half its life"
    # The client's own default would make it due before it was even issued: a renewal on every daily run.
    assert simple_acme_due(issued, issued + SHORTLIVED, {}) < issued + DAY


@pytest.mark.parametrize("profile", ["", "tlsserver", "classic"])
def test_longer_certificates_keep_the_client_schedule_with_ari(profile: str) -> None:
    plan = wacs_plan(request(identifiers=["gateway.example.net"], profile=profile, server_profiles=LE_PROFILES)).as_dict()
    assert plan["settings"] == {"ScheduledTask": {"RenewalDisableServerSchedule": False}}
    issued = datetime(2026, 11, 30, 9, tzinfo=UTC)
    for lifetime in (timedelta(days=45), timedelta(days=90)):
        due = simple_acme_due(issued, issued + lifetime, plan["settings"])
        assert timedelta(days=7) <= issued + lifetime - due < lifetime / 2
