# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
"""htpasswd files as nginx's auth_basic reads them: parse, plan a change, render.

Pure code: no Ansible and no I/O, so the same logic serves every target OS and is unit tested directly.
Secrets (passwords and hashes) never leave this module in messages or in the names it reports.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass, field

try:
    from passlib.hash import apr_md5_crypt, bcrypt, ldap_salted_sha1, sha256_crypt, sha512_crypt
except ImportError:  # pragma: no cover - reported by the action plugin
    HAS_PASSLIB = False
else:
    HAS_PASSLIB = True


class HtpasswdError(ValueError):
    """Bad input or a file that cannot be managed; the message names the problem, never a secret."""


@dataclass(frozen=True)
class Scheme:
    """A hash scheme nginx can verify, with the cost parameters we write it with."""

    name: str
    prefixes: tuple[str, ...]
    windows: bool  # nginx for Windows verifies it (its crypt(3) is a plain-text stub)
    note: str

    def handler(self) -> t.Any:
        if self.name == "apr1":
            return apr_md5_crypt
        if self.name == "ssha":
            return ldap_salted_sha1
        if self.name == "sha256_crypt":
            # 5000 rounds is crypt(3)'s default: nginx pays this on every request, so passlib's
            # 535000-round default would cost ~0.2 s per request.
            return sha256_crypt.using(rounds=5000)
        if self.name == "sha512_crypt":
            return sha512_crypt.using(rounds=5000)
        return bcrypt.using(rounds=10, ident="2y")


# Order matters for `identify`: the first scheme whose prefix matches a stored hash owns it.
SCHEMES: dict[str, Scheme] = {
    s.name: s
    for s in (
        Scheme("apr1", ("$apr1$",), True, "Apache MD5-crypt, 1000 rounds; built into nginx on every OS"),
        Scheme("ssha", ("{SSHA}",), True, "salted SHA-1, one round; built into nginx on every OS; long random secrets only"),
        Scheme("sha256_crypt", ("$5$",), False, "crypt(3) SHA-256, 5000 rounds; Linux only"),
        Scheme("sha512_crypt", ("$6$",), False, "crypt(3) SHA-512, 5000 rounds; Linux only"),
        Scheme("bcrypt", ("$2y$", "$2b$", "$2a$"), False, "crypt(3) bcrypt cost 10 (~50 ms per request); Linux with libxcrypt only"),
    )
}
AUTO_SCHEME = {"windows": "apr1", "posix": "sha512_crypt"}
# What nginx for Windows verifies itself. Anything else goes to its crypt(3) stub, which returns the typed password
# unchanged, so the stored string itself becomes the password and the real one is refused.
WINDOWS_VERIFIED_PREFIXES = ("$apr1$", "{SSHA}", "{SHA}", "{PLAIN}")
MAX_BCRYPT_BYTES = 72


def choose_scheme(requested: str, *, windows: bool) -> Scheme:
    """Resolve `auto` and refuse schemes that nginx on the target cannot verify."""
    if requested == "auto":
        return SCHEMES[AUTO_SCHEME["windows" if windows else "posix"]]
    if requested not in SCHEMES:
        raise HtpasswdError(f"unknown hash_scheme {requested!r}; choose one of: auto, {', '.join(SCHEMES)}")
    scheme = SCHEMES[requested]
    if windows and not scheme.windows:
        raise HtpasswdError(
            f"hash_scheme {requested} cannot be used on a Windows target: nginx for Windows has no crypt(3) and compares"
            " such entries as plain text, so the real password would never match; use apr1 (or ssha for long random secrets)"
        )
    return scheme


def identify(hashed: str) -> str | None:
    """Name of the scheme a stored hash uses, or None for anything we do not write ({SHA}, {PLAIN}, $1$, plain text)."""
    for scheme in SCHEMES.values():
        if hashed.startswith(scheme.prefixes):
            return scheme.name
    return None


@dataclass(frozen=True)
class Entry:
    """One line of the file: a user entry (name and hash) or a line kept verbatim (comment, blank, malformed)."""

    text: str
    name: str | None = None
    hashed: str | None = None
    malformed: bool = False


def parse(content: str) -> list[Entry]:
    """Split a file into entries; tolerate CRLF; mark lines nginx would not read as a user."""
    lines = content.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    entries = []
    for raw in lines:
        text = raw[:-1] if raw.endswith("\r") else raw
        if not text.strip() or text.startswith("#"):
            entries.append(Entry(text))
            continue
        name, sep, rest = text.partition(":")
        hashed = rest.split(":", 1)[0]
        if not sep or not name or not hashed:
            entries.append(Entry(text, malformed=True))
        else:
            entries.append(Entry(text, name=name, hashed=hashed))
    return entries


def render(entries: t.Iterable[Entry], newline: str) -> str:
    return "".join(entry.text + newline for entry in entries)


@dataclass(frozen=True)
class User:
    name: str
    password: str | None
    present: bool


def validate_name(name: object) -> str:
    if not isinstance(name, str) or not name:
        raise HtpasswdError("a user name must be a non-empty string")
    if ":" in name:
        raise HtpasswdError(f"user name {name!r} contains ':', which separates name and hash in an htpasswd file")
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise HtpasswdError(f"user name {name!r} contains a newline or another control character")
    if name.startswith("#"):
        raise HtpasswdError(f"user name {name!r} starts with '#', which nginx reads as a comment line")
    return name


def parse_users(items: t.Sequence[t.Mapping[str, t.Any]], *, min_password_length: int, scheme: Scheme, password_required: bool) -> list[User]:
    """Check the wanted users. Without `password_required` (update_password=on_create) only new users need one."""
    users: list[User] = []
    seen: set[str] = set()
    for item in items:
        name = validate_name(item.get("name"))
        if name in seen:
            raise HtpasswdError(f"user {name!r} is listed more than once")
        seen.add(name)
        present = item.get("state", "present") == "present"
        password = item.get("password")
        if present and password is None and password_required:
            raise HtpasswdError(f"user {name!r} needs a password")
        if present and password is not None:
            if not isinstance(password, str) or not password:
                raise HtpasswdError(f"the password of user {name!r} is empty")
            if len(password) < min_password_length:
                raise HtpasswdError(f"the password of user {name!r} is shorter than min_password_length ({min_password_length} characters)")
            if scheme.name == "bcrypt" and len(password.encode()) > MAX_BCRYPT_BYTES:
                raise HtpasswdError(f"the password of user {name!r} is longer than the {MAX_BCRYPT_BYTES} bytes bcrypt uses")
        users.append(User(name, password if present else None, present))
    return users


def verifies(scheme: Scheme, password: str, hashed: str) -> bool:
    """True when `hashed` is a `scheme` hash of `password`; a damaged hash simply does not verify."""
    if identify(hashed) != scheme.name:
        return False
    try:
        return bool(scheme.handler().verify(password, hashed))
    except ValueError:
        return False


@dataclass
class Plan:
    entries: list[Entry]
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)  # numbers of malformed lines left out (exclusive only)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.dropped)


def malformed_lines(entries: t.Sequence[Entry]) -> list[int]:
    return [number for number, entry in enumerate(entries, 1) if entry.malformed]


def plain_text_on_windows(hashed: str) -> bool:
    return not hashed.startswith(WINDOWS_VERIFIED_PREFIXES)


def check_windows_entries(entries: t.Sequence[Entry], wanted: t.Mapping[str, User], *, exclusive: bool) -> None:
    """Refuse entries nginx for Windows would read as plain text, unless this run replaces or removes them."""
    stuck = sorted(
        {
            entry.name
            for entry in entries
            if entry.name is not None
            and plain_text_on_windows(entry.hashed or "")
            and not (entry.name in wanted and (not wanted[entry.name].present or wanted[entry.name].password is not None))
            and not (exclusive and entry.name not in wanted)
        }
    )
    if stuck:
        schemes = sorted({identify(entry.hashed or "") or "other" for entry in entries if entry.name in stuck})
        raise HtpasswdError(
            f"the entries of {', '.join(map(repr, stuck))} use a scheme nginx for Windows cannot verify ({', '.join(schemes)}):"
            " it compares them as plain text, so the stored hash itself would be accepted as the password; give their"
            " passwords so they are hashed again with apr1, remove them (state: absent), or set exclusive: true"
        )


def plan(entries: t.Sequence[Entry], users: t.Sequence[User], *, scheme: Scheme, exclusive: bool, update_password: str, windows: bool = False) -> Plan:
    """Work out the new file: managed users change in place, new ones go at the end, everything else stays.

    A malformed line is an error (with its line number) unless `exclusive`, which drops it. On a Windows target an
    entry nginx for Windows cannot verify is hashed again whatever `update_password` says, and is an error when
    there is no password to hash.
    """
    bad = malformed_lines(entries)
    if bad and not exclusive:
        raise HtpasswdError(
            f"line(s) {', '.join(map(str, bad))} of the file are not 'name:hash' entries; fix them by hand, or set exclusive: true to drop them"
        )
    wanted = {user.name: user for user in users}
    if windows:
        check_windows_entries(entries, wanted, exclusive=exclusive)
    result = Plan(entries=[], dropped=bad)
    done: set[str] = set()
    handler = scheme.handler()
    for entry in entries:
        if entry.malformed:
            continue
        if entry.name is None:
            result.entries.append(entry)
            continue
        user = wanted.get(entry.name)
        if user is None:
            if exclusive:
                result.removed.append(entry.name)
            else:
                result.entries.append(entry)
            continue
        if not user.present:
            result.removed.append(entry.name)
            continue
        if entry.name in done:
            # nginx stops at the first entry of a name: a later duplicate is dead weight, so it goes.
            result.updated.append(entry.name)
            continue
        done.add(entry.name)
        keep = update_password == "on_create" or verifies(scheme, user.password or "", entry.hashed or "")
        if user.password is None or (keep and not (windows and plain_text_on_windows(entry.hashed or ""))):
            result.entries.append(entry)
        else:
            result.entries.append(_hashed_entry(entry.name, user.password, handler))
            result.updated.append(entry.name)
    for user in users:
        if user.present and user.name not in done:
            if user.password is None:
                raise HtpasswdError(f"user {user.name!r} is new and needs a password")
            result.entries.append(_hashed_entry(user.name, user.password, handler))
            result.added.append(user.name)
    result.updated = sorted(set(result.updated))
    result.removed = sorted(set(result.removed))
    return result


def _hashed_entry(name: str, password: str, handler: t.Any) -> Entry:
    hashed = handler.hash(password)
    return Entry(f"{name}:{hashed}", name, hashed)


def describe(entries: t.Iterable[Entry], updated: t.Collection[str] = ()) -> str:
    """The file as a diff may show it: one user per line with its scheme, never a hash."""
    lines = []
    for entry in entries:
        if entry.name is not None:
            mark = ", new hash" if entry.name in updated else ""
            lines.append(f"{entry.name} ({identify(entry.hashed or '') or 'other'}{mark})\n")
    return "".join(lines)
