# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
"""What an ACME request for the gateway looks like, independent of the client that sends it.

Identifiers are DNS names or IP addresses (RFC 8738). Let's Encrypt issues IP-address certificates only with its
`shortlived` profile, and only after http-01 or tls-alpn-01 validation; the IP address must not be the subject's
common name. ACME profiles are announced in the directory's `meta.profiles`; a server that announces none (such as
pebble 2.4) gets no profile request.

The clients' command lines build on this: `_certbot.py` (Linux) and `_wacs.py` (Windows).
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import typing as t
from dataclasses import dataclass, field

SHORTLIVED = "shortlived"
KEY_TYPES = ("ec", "rsa")
EAB_ALGORITHMS = ("HS256", "HS384", "HS512")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")


class AcmeError(ValueError):
    """A request no ACME client or CA would accept, or one this client cannot make."""


@dataclass(frozen=True)
class Identifiers:
    dns: tuple[str, ...]
    ips: tuple[str, ...]
    ordered: tuple[str, ...]  # as given, normalised

    @property
    def has_ip(self) -> bool:
        return bool(self.ips)


def certificate_subject(names: t.Sequence[object], fallback_common_name: str = "") -> dict[str, t.Any]:
    """The common name and subject alternative names of a certificate for these names (a self-signed one, or a
    stand-in): IP addresses go in the alternative names only (`IP:`), the first DNS name is the common name, and
    without one the fallback is. No other check: a self-signed certificate may name a host that no CA would."""
    alternative: list[str] = []
    dns: list[str] = []
    for raw in names:
        name = str(raw).strip().removeprefix("[").removesuffix("]")
        try:
            alternative.append("IP:" + ipaddress.ip_address(name).compressed)
        except ValueError:
            alternative.append("DNS:" + name)
            dns.append(name)
    return {"common_name": dns[0] if dns else fallback_common_name, "subject_alt_name": alternative}


def parse_version(value: object) -> tuple[int, ...]:
    """'5.8.0' or 'certbot 5.8.0' or '2.3.5.2195' -> (5, 8, 0); an unreadable version is an error."""
    match = re.search(r"(\d+(?:\.\d+)*)", str(value or ""))
    if not match:
        raise AcmeError(f"cannot read a version number from {value!r}")
    return tuple(int(part) for part in match.group(1).split("."))


def parse_identifiers(values: t.Sequence[object]) -> Identifiers:
    """Check and normalise the names to certify: DNS names (lower case, no trailing dot) and IP addresses."""
    if isinstance(values, (str, bytes)) or not values:
        raise AcmeError("identifiers must be a non-empty list of DNS names or IP addresses")
    dns: list[str] = []
    ips: list[str] = []
    ordered: list[str] = []
    for raw in values:
        text = str(raw).strip() if isinstance(raw, str) else ""
        if not text:
            raise AcmeError(f"identifier {raw!r} is empty or not a string")
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        if "%" in text:
            raise AcmeError(f"identifier {text!r}: an IPv6 zone index cannot be certified")
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            address = None
        if address is not None:
            value = address.compressed
            if value in ips:
                raise AcmeError(f"identifier {value} is listed more than once")
            ips.append(value)
            ordered.append(value)
            continue
        if "*" in text:
            raise AcmeError(f"identifier {text!r}: wildcards need dns-01 validation; this role validates with http-01")
        name = text.lower().rstrip(".")
        labels = name.split(".")
        if len(name) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels) or labels[-1].isdigit():
            raise AcmeError(
                f"identifier {text!r} is neither an IP address nor a fully qualified DNS name (letters, digits and '-' "
                "in dot-separated labels); a CA certifies only public names and addresses"
            )
        if name in dns:
            raise AcmeError(f"identifier {name} is listed more than once")
        dns.append(name)
        ordered.append(name)
    return Identifiers(tuple(dns), tuple(ips), tuple(ordered))


def wanted_profile(requested: str, identifiers: Identifiers) -> str:
    """The profile a request asks for before the server's are known ('' for none): 'auto' wants shortlived for IP
    identifiers. Only when this is not '' does the plan depend on what the server offers."""
    requested = (requested or "").strip()
    if requested == "auto":
        return SHORTLIVED if identifiers.has_ip else ""
    return requested


def choose_profile(
    requested: str,
    identifiers: Identifiers,
    server_profiles: t.Sequence[str] | None,
    *,
    client_supports_profiles: bool,
    client: str,
) -> tuple[str, list[str]]:
    """The profile to request ('' for none) and notes for the user.

    requested: 'auto' (shortlived for IP identifiers, else none), '' (never) or a profile name.
    server_profiles: the names in the directory's meta.profiles ([] when it announces none), or None if unknown.
    """
    notes: list[str] = []
    wanted = wanted_profile(requested, identifiers)
    if not wanted:
        return "", notes
    auto = requested.strip() == "auto"
    offered = None if server_profiles is None else [str(name) for name in server_profiles]
    if offered is not None and wanted not in offered:
        if offered:
            if auto:
                notes.append(f"the ACME server offers no '{wanted}' profile (it offers {', '.join(offered)}); requesting its default")
                return "", notes
            raise AcmeError(f"the ACME server offers no profile '{wanted}'; it offers {', '.join(offered)}")
        notes.append(f"the ACME server announces no profiles; not requesting '{wanted}'")
        return "", notes
    if not client_supports_profiles:
        if auto and offered is None:
            notes.append(f"{client} cannot request ACME profiles; requesting the server's default")
            return "", notes
        raise AcmeError(
            f"{client} cannot request the ACME profile '{wanted}'"
            + (" that IP-address certificates need" if auto else "")
            + "; use simple-acme 2.3.5 or later on Windows, certbot 4.0 or later on Linux"
        )
    return wanted, notes


def fingerprint(argv: t.Sequence[str], secret_options: t.Iterable[str] = ()) -> str:
    """A digest of a command line that changes when the request changes: program path and secret values left out."""
    secrets = set(secret_options)
    parts: list[str] = []
    skip_next = False
    for arg in list(argv)[1:]:
        if skip_next:
            parts.append("<secret>")
            skip_next = False
            continue
        name, sep, _value = arg.partition("=")
        if name in secrets:
            if sep:
                parts.append(name + "=<secret>")
            else:
                parts.append(arg)
                skip_next = True
            continue
        parts.append(arg)
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def text_setting(settings: t.Mapping[str, t.Any], key: str, default: str = "") -> str:
    value = settings.get(key, default)
    if value is None:
        return default
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise AcmeError(f"{key} must be a string, got {type(value).__name__}")
    return str(value).strip()


def common_settings(settings: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """Settings both clients share, checked."""
    if settings.get("terms_agreed") is not True:
        raise AcmeError("the ACME server's terms of service must be accepted (terms_agreed: true) before it issues a certificate")
    directory = text_setting(settings, "directory_url")
    if not re.match(r"^https?://[^/\s]+", directory):
        raise AcmeError(f"directory_url {directory!r} is not an http(s) URL")
    email = text_setting(settings, "email")
    if email and not _EMAIL.match(email):
        raise AcmeError(f"email {email!r} is not one e-mail address")
    eab_kid, eab_key = text_setting(settings, "eab_kid"), text_setting(settings, "eab_hmac_key")
    if bool(eab_kid) != bool(eab_key):
        raise AcmeError("external account binding needs both eab_kid and eab_hmac_key")
    eab_algorithm = text_setting(settings, "eab_algorithm", "HS256") or "HS256"
    if eab_algorithm not in EAB_ALGORITHMS:
        raise AcmeError(f"eab_algorithm must be one of {', '.join(EAB_ALGORITHMS)}")
    key_type = text_setting(settings, "key_type", "ec") or "ec"
    if key_type not in KEY_TYPES:
        raise AcmeError(f"key_type must be one of {', '.join(KEY_TYPES)}")
    webroot = text_setting(settings, "webroot")
    if not webroot:
        raise AcmeError("webroot (the directory nginx serves /.well-known/acme-challenge/ from) is required")
    server_profiles = settings.get("server_profiles")
    if server_profiles is not None and (isinstance(server_profiles, (str, bytes)) or not isinstance(server_profiles, (list, tuple, dict))):
        raise AcmeError("server_profiles must be a list of profile names (or omitted when unknown)")
    return {
        "identifiers": parse_identifiers(settings.get("identifiers") or []),
        "directory": directory,
        "email": email,
        "eab_kid": eab_kid,
        "eab_key": eab_key,
        "eab_algorithm": eab_algorithm,
        "key_type": key_type,
        "webroot": webroot,
        "profile": text_setting(settings, "profile", "auto"),
        "server_profiles": None if server_profiles is None else list(server_profiles),
    }


@dataclass
class Plan:
    argv: list[str]
    profile: str
    fingerprint: str
    notes: list[str] = field(default_factory=list)
    extra: dict[str, t.Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, t.Any]:
        return {"argv": self.argv, "profile": self.profile, "fingerprint": self.fingerprint, "notes": self.notes, **self.extra}
