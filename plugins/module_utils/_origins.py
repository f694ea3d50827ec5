# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
"""Web origins allowed to call the gateway from a browser, as browsers send them in the Origin header."""

from __future__ import annotations

import re
import typing as t

# scheme://host[:port], as a browser serialises an origin: no path, no user, no trailing slash.
ORIGIN = re.compile(r"^https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$")


class OriginError(ValueError):
    """An origin a browser would never send."""


def parse_origins(items: t.Sequence[object]) -> list[str]:
    """Check origins and return them in lower case (nginx compares them without regard to case anyway)."""
    origins: list[str] = []
    for number, item in enumerate(items, 1):
        if not isinstance(item, str) or not ORIGIN.match(item):
            raise OriginError(
                f"allowed origin {number}: {item!r} is not an origin as browsers send it: scheme://host[:port], without a path or a trailing slash "
                "(for example https://chat.example.net)"
            )
        if item.lower() not in origins:
            origins.append(item.lower())
    return origins
