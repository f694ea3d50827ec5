# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
"""API keys as an nginx map include: `"~^(?i:bearer) <key>$" <name>;` per key, so `$http_authorization` maps to a name.

nginx compares a map's plain string keys case-insensitively (it lower-cases both sides), which would accept a key in
any letter case; a `~` regular expression is matched case-sensitively, so each key is one anchored regex. Only the
scheme is case-insensitive, as RFC 7235 says.
nginx cannot hash a bearer token, so the file holds keys in clear and must be readable by nginx's master only.
Keys and names are restricted to characters that need no quoting in nginx syntax.
"""

from __future__ import annotations

import datetime
import re
import typing as t
from dataclasses import dataclass

from ansible_collections.ollama_remote.proxy.plugins.module_utils._identities import NAME_PATTERN

HEADER = "# Managed by ollama_remote.proxy.api_keys: changes made here are overwritten. Readable by nginx's master only."
KEY_PATTERN = re.compile(r"[A-Za-z0-9._~+/=-]+")  # RFC 6750 b64token
LINE_PATTERN = re.compile(r'^"(?:Bearer |~\^\(\?i:bearer\) )(?P<key>[^"$]+)\$?" (?P<name>[^;]+);$')  # this format and the former plain one
REGEX_SPECIAL = re.compile(r"([.+])")  # the only key characters with a meaning in a regular expression


class ApiKeysError(ValueError):
    """Bad input; the message names the key by its name, never by its value."""


def parse_keys(items: t.Sequence[t.Mapping[str, t.Any]], *, min_key_length: int) -> dict[str, str]:
    """Checked keys as name -> key, in the given order."""
    keys: dict[str, str] = {}
    for number, item in enumerate(items, 1):
        name, key = item.get("name"), item.get("key")
        if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
            raise ApiKeysError(f"key {number}: name {name!r} must be letters, digits and . _ @ -")
        if name in keys:
            raise ApiKeysError(f"key {name!r} is listed more than once")
        if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
            raise ApiKeysError(f"key {name!r}: a key must be letters, digits and . _ ~ + / = - only (no spaces or quotes)")
        if len(key) < min_key_length:
            raise ApiKeysError(f"key {name!r} is shorter than min_key_length ({min_key_length} characters)")
        if key in keys.values():
            raise ApiKeysError(f"key {name!r} has the same value as another key")
        keys[name] = key
    return keys


@dataclass(frozen=True)
class Expiry:
    name: str
    expires: datetime.date

    def days_left(self, today: datetime.date) -> int:
        return (self.expires - today).days


def parse_expiry(items: t.Sequence[t.Mapping[str, t.Any]]) -> list[Expiry]:
    """The keys that carry `expires: YYYY-MM-DD` (a key is good through that day), in the given order."""
    found = []
    for number, item in enumerate(items, 1):
        value = item.get("expires")
        if value in (None, ""):
            continue
        name = item.get("name") or f"number {number}"
        if isinstance(value, datetime.datetime):
            value = value.date()
        if not isinstance(value, datetime.date):
            try:
                if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value).strip()):
                    raise ValueError(value)
                value = datetime.date.fromisoformat(str(value).strip())
            except ValueError:
                raise ApiKeysError(f"key {name!r}: expires must be a date as YYYY-MM-DD, got {value!r}") from None
        found.append(Expiry(str(name), value))
    return found


def expired(expiries: t.Sequence[Expiry], today: datetime.date) -> list[Expiry]:
    return [entry for entry in expiries if entry.expires < today]


def expiring(expiries: t.Sequence[Expiry], today: datetime.date, within_days: int) -> list[Expiry]:
    """Keys still good today that end within the next `within_days` days."""
    return [entry for entry in expiries if 0 <= entry.days_left(today) < within_days]


def parse_file(content: str) -> dict[str, str]:
    """Keys already in a file this plugin wrote (other lines are ignored: the file is rewritten whole)."""
    found = {}
    for line in content.splitlines():
        match = LINE_PATTERN.match(line.strip())
        if match:
            found[match["name"]] = match["key"].replace("\\", "")
    return found


def map_line(name: str, key: str) -> str:
    """The map entry of one key: an anchored, case-sensitive regex (a plain string key would match any letter case)."""
    escaped = REGEX_SPECIAL.sub(r"\\\1", key)
    return f'"~^(?i:bearer) {escaped}$" {name};'


def render(keys: t.Mapping[str, str], newline: str) -> str:
    lines = [HEADER, *(map_line(name, key) for name, key in keys.items())]
    return "".join(line + newline for line in lines)


def changes(old: t.Mapping[str, str], new: t.Mapping[str, str]) -> dict[str, list[str]]:
    return {
        "added": [name for name in new if name not in old],
        "updated": [name for name in new if name in old and old[name] != new[name]],
        "removed": [name for name in old if name not in new],
    }
