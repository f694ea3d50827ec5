# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import re

import pytest

from ansible_collections.ollama_remote.proxy.plugins.module_utils._ollama_routes import ROUTES, locations, path_regex
from tests.support.ollama_double import ROUTES as DOUBLE_ROUTES

ADMIN_PATHS = {
    "/api/pull", "/api/push", "/api/delete", "/api/copy", "/api/create", "/api/blobs/:digest", "/api/me", "/api/signout",
    "/api/user/keys/:encodedKey", "/api/experimental/web_search", "/api/experimental/web_fetch", "/api/experimental/model-recommendations",
}  # fmt: skip
DIGEST = "sha256:" + "a" * 64


def example(path: str) -> str:
    return path.replace(":digest", DIGEST).replace(":encodedKey", "abc").replace(":model", "llama3.2")


def test_the_table_is_ollamas_route_for_route() -> None:
    """The same (method, path) pairs as the Ollama test double, which transcribes server/routes.go."""
    assert {(method, route.path) for route in ROUTES for method in route.methods} == set(DOUBLE_ROUTES)
    assert {route.path for route in ROUTES if route.admin} == ADMIN_PATHS


def test_every_route_lands_in_exactly_one_location_with_its_methods() -> None:
    found = locations()
    for route in ROUTES:
        matching = [location for location in found if re.fullmatch(location.regex, example(route.path))]
        assert len(matching) == 1, route.path
        assert matching[0].methods == route.methods and matching[0].admin == route.admin
        assert matching[0].upload == (route.path == "/api/blobs/:digest")


@pytest.mark.parametrize(
    "path", ["/api/tags/", "/api/tagsx", "/xapi/tags", "/api/blobs/sha256:" + "A" * 64, "/api/blobs/md5:00", "/v1/models/a/b", "/api/user/keys/"]
)
def test_nothing_else_matches(path: str) -> None:
    assert not any(re.search(location.regex, path) for location in locations())


def test_parameters_are_one_segment_and_a_digest_is_a_digest() -> None:
    assert path_regex("/v1/models/:model") == "/v1/models/[^/]+"
    assert path_regex("/api/blobs/:digest") == "/api/blobs/sha256[:-][0-9a-f]{64}"
    assert path_regex("/api/experimental/model-recommendations") == "/api/experimental/model-recommendations"
    assert locations()[0].as_dict() == {
        "regex": "^(/|/api/version|/api/tags)$",
        "methods": ["GET", "HEAD"],
        "allow_header": "GET, HEAD",
        "admin": False,
        "upload": False,
    }
