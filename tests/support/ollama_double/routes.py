# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ollama's routes (``server/routes.go`` GenerateRoutes) and what gin v1.10 does with a request: an exact route with
one-segment ``:param`` parts, a trailing-slash redirect, a 405 listing the methods the path has, or a 404.

The table is complete even where the double serves no handler, so every miss and redirect comes out as Ollama's; the
collection's own route table (``plugins/module_utils/_ollama_routes.py``) is tested against it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Registration order matters: it is the order of the methods in a 405's Allow header.
ROUTES: tuple[tuple[str, str], ...] = (
    ("HEAD", "/"),
    ("GET", "/"),
    ("HEAD", "/api/version"),
    ("GET", "/api/version"),
    ("GET", "/api/status"),
    ("POST", "/api/pull"),
    ("POST", "/api/push"),
    ("HEAD", "/api/tags"),
    ("GET", "/api/tags"),
    ("POST", "/api/show"),
    ("DELETE", "/api/delete"),
    ("POST", "/api/me"),
    ("POST", "/api/signout"),
    ("DELETE", "/api/user/keys/:encodedKey"),
    ("POST", "/api/create"),
    ("POST", "/api/blobs/:digest"),
    ("HEAD", "/api/blobs/:digest"),
    ("POST", "/api/copy"),
    ("POST", "/api/experimental/web_search"),
    ("POST", "/api/experimental/web_fetch"),
    ("GET", "/api/experimental/model-recommendations"),
    ("GET", "/api/ps"),
    ("POST", "/api/generate"),
    ("POST", "/api/chat"),
    ("POST", "/api/embed"),
    ("POST", "/api/embeddings"),
    ("POST", "/v1/chat/completions"),
    ("POST", "/v1/completions"),
    ("POST", "/v1/embeddings"),
    ("GET", "/v1/models"),
    ("GET", "/v1/models/:model"),
    ("POST", "/v1/responses"),
    ("POST", "/v1/audio/transcriptions"),
    ("POST", "/v1/messages"),
)


@dataclass(frozen=True)
class Resolution:
    route: tuple[str, str] | None = None  # (method, pattern) as in ROUTES
    params: dict[str, str] = field(default_factory=dict)
    redirect_to: str | None = None
    allowed: tuple[str, ...] = ()  # methods that do have the path, for a 405


def _match(pattern: str, path: str) -> dict[str, str] | None:
    wanted, given = pattern.split("/"), path.split("/")
    if len(wanted) != len(given):
        return None
    params: dict[str, str] = {}
    for want, have in zip(wanted, given, strict=True):
        if want.startswith(":") and have:
            params[want[1:]] = have
        elif want != have:
            return None
    return params


def resolve_route(method: str, path: str) -> Resolution:
    """What gin does with a request: a route, a trailing-slash redirect, a 405 (with the allowed methods) or a 404."""
    for route in ROUTES:
        params = _match(route[1], path) if route[0] == method else None
        if params is not None:
            return Resolution(route=route, params=params)
    if method != "CONNECT" and path != "/":
        toggled = path[:-1] if path.endswith("/") else path + "/"
        if any(route_method == method and _match(pattern, toggled) is not None for route_method, pattern in ROUTES):
            return Resolution(redirect_to=toggled)
    allowed = dict.fromkeys(route_method for route_method, pattern in ROUTES if route_method != method and _match(pattern, path) is not None)
    return Resolution(allowed=tuple(allowed))
