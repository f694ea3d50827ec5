# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
"""The names of the gateway's users and API keys, which together say who a client is.

nginx tells clients apart by these names: the admin list and the access log use them, through `map` blocks, whose
plain strings match without regard to letter case. So two names that differ only in case would be one identity to
the admin check, and a user called `Alice` would be an admin if a key called `alice` is one.
"""

from __future__ import annotations

import re
import typing as t

# Written into nginx's configuration and the access log unquoted.
NAME_PATTERN = re.compile(r"[A-Za-z0-9_.@-]+")


class IdentityError(ValueError):
    """Names that cannot tell clients apart; the message names them (names are not secret)."""


def check_names(users: t.Sequence[object], keys: t.Sequence[object]) -> list[str]:
    """Check user and key names together: each safe to write, and each distinct from every other, whatever its case.
    Returns the names, users first."""
    named = [(name, "gateway_users") for name in users] + [(name, "gateway_api_keys") for name in keys]
    refused = [repr(name) for name, _where in named if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name)]
    if refused:
        raise IdentityError(
            "user and key names may use only letters, digits and . _ @ - (they are written into the nginx configuration and the access log); "
            f"refused: {', '.join(refused)}"
        )
    first: dict[str, tuple[str, str]] = {}
    for name, where in t.cast(list[tuple[str, str]], named):
        earlier = first.get(name.lower())
        if earlier is None:
            first[name.lower()] = (name, where)
            continue
        if earlier[0] == name:
            raise IdentityError(
                f"the name {name!r} is used twice ({earlier[1]} and {where}); the access log and the admin list tell clients apart by name, "
                "so each must be unique across both lists"
            )
        raise IdentityError(
            f"the names {earlier[0]!r} ({earlier[1]}) and {name!r} ({where}) differ only in letter case; nginx matches names without regard to case, "
            "so one could act as the other (as an admin, say). Rename one"
        )
    return [name for name, _where in t.cast(list[tuple[str, str]], named)]
