# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
"""Ollama's HTTP routes, who may use each, and the nginx locations that pass them on.

The table is Ollama's own (server/routes.go, GenerateRoutes, August 2026), with one decision per route: every
authenticated client, or admins only. Admins alone manage models and reach the ollama.com account: pulling, pushing,
deleting, copying and creating models, blob uploads, the signed-in user, signing out, web search and fetch (which
spend the owner's ollama.com account). A method a route does not serve is refused with 405 before Ollama sees it.
"""

from __future__ import annotations

import re
import typing as t
from dataclasses import dataclass

# A path parameter (":digest") matches one segment; a blob digest only as Ollama names blobs.
PARAMETERS = {"digest": "sha256[:-][0-9a-f]{64}"}
ANY_SEGMENT = "[^/]+"


@dataclass(frozen=True)
class Route:
    path: str  # as routes.go registers it, parameters as ":name"
    methods: tuple[str, ...]
    admin: bool = False


ROUTES: tuple[Route, ...] = (
    Route("/", ("GET", "HEAD")),
    Route("/api/version", ("GET", "HEAD")),
    Route("/api/status", ("GET",)),
    Route("/api/tags", ("GET", "HEAD")),
    Route("/api/ps", ("GET",)),
    Route("/api/show", ("POST",)),
    Route("/api/generate", ("POST",)),
    Route("/api/chat", ("POST",)),
    Route("/api/embed", ("POST",)),
    Route("/api/embeddings", ("POST",)),
    Route("/v1/models", ("GET",)),
    Route("/v1/models/:model", ("GET",)),
    Route("/v1/chat/completions", ("POST",)),
    Route("/v1/completions", ("POST",)),
    Route("/v1/embeddings", ("POST",)),
    Route("/v1/responses", ("POST",)),
    Route("/v1/messages", ("POST",)),
    Route("/v1/audio/transcriptions", ("POST",)),
    Route("/api/pull", ("POST",), admin=True),
    Route("/api/push", ("POST",), admin=True),
    Route("/api/delete", ("DELETE",), admin=True),
    Route("/api/copy", ("POST",), admin=True),
    Route("/api/create", ("POST",), admin=True),
    Route("/api/blobs/:digest", ("POST", "HEAD"), admin=True),
    Route("/api/me", ("POST",), admin=True),
    Route("/api/signout", ("POST",), admin=True),
    Route("/api/user/keys/:encodedKey", ("DELETE",), admin=True),
    Route("/api/experimental/web_search", ("POST",), admin=True),
    Route("/api/experimental/web_fetch", ("POST",), admin=True),
    Route("/api/experimental/model-recommendations", ("GET",), admin=True),
)
# Routes whose requests carry model files: no size limit, streamed to Ollama rather than spooled to disk.
UPLOADS = frozenset({"/api/blobs/:digest"})


def path_regex(path: str) -> str:
    """The PCRE body (no anchors) matching a route path; parameters become one segment."""
    parts = []
    for segment in path.split("/"):
        if segment.startswith(":"):
            parts.append(PARAMETERS.get(segment[1:], ANY_SEGMENT))
        else:
            parts.append(re.escape(segment).replace("\\-", "-"))
    return "/".join(parts)


@dataclass(frozen=True)
class Location:
    regex: str  # anchored, for `location ~ "<regex>"`
    methods: tuple[str, ...]
    admin: bool
    upload: bool

    def as_dict(self) -> dict[str, t.Any]:
        return {"regex": self.regex, "methods": list(self.methods), "allow_header": ", ".join(self.methods), "admin": self.admin, "upload": self.upload}


def locations(routes: t.Sequence[Route] = ROUTES) -> list[Location]:
    """One nginx location per kind of route (methods, admin, upload), in the table's order of first appearance."""
    groups: dict[tuple[tuple[str, ...], bool, bool], list[str]] = {}
    for route in routes:
        key = (route.methods, route.admin, route.path in UPLOADS)
        groups.setdefault(key, []).append(path_regex(route.path))
    return [
        Location(f"^({'|'.join(paths)})$" if len(paths) > 1 else f"^{paths[0]}$", methods, admin, upload) for (methods, admin, upload), paths in groups.items()
    ]
