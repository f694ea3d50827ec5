# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""gin's routing over Ollama's route table: every route answers, misses and redirects come out as gin's."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.ollama_double import ROUTES, OllamaDouble

from .client import CHAT, call, sha256_digest

EMPTY_BLOB = sha256_digest(b"")


ROUTE_PROBES: dict[tuple[str, str], tuple[str, Any, int]] = {
    ("HEAD", "/"): ("/", None, 200),
    ("GET", "/"): ("/", None, 200),
    ("HEAD", "/api/version"): ("/api/version", None, 200),
    ("GET", "/api/version"): ("/api/version", None, 200),
    ("GET", "/api/status"): ("/api/status", None, 200),
    ("POST", "/api/pull"): ("/api/pull", {"model": "qwen3:0.6b", "stream": False}, 200),
    ("POST", "/api/push"): ("/api/push", None, 501),
    ("HEAD", "/api/tags"): ("/api/tags", None, 200),
    ("GET", "/api/tags"): ("/api/tags", None, 200),
    ("POST", "/api/show"): ("/api/show", {"model": "llama3.2"}, 200),
    ("DELETE", "/api/delete"): ("/api/delete", None, 501),
    ("POST", "/api/me"): ("/api/me", None, 501),
    ("POST", "/api/signout"): ("/api/signout", None, 501),
    ("DELETE", "/api/user/keys/:encodedKey"): ("/api/user/keys/c3NoLWtleQ", None, 501),
    ("POST", "/api/create"): ("/api/create", None, 501),
    ("POST", "/api/blobs/:digest"): (f"/api/blobs/{EMPTY_BLOB}", b"", 201),
    ("HEAD", "/api/blobs/:digest"): (f"/api/blobs/{EMPTY_BLOB}", None, 404),
    ("POST", "/api/copy"): ("/api/copy", None, 501),
    ("POST", "/api/experimental/web_search"): ("/api/experimental/web_search", None, 501),
    ("POST", "/api/experimental/web_fetch"): ("/api/experimental/web_fetch", None, 501),
    ("GET", "/api/experimental/model-recommendations"): ("/api/experimental/model-recommendations", None, 501),
    ("GET", "/api/ps"): ("/api/ps", None, 501),
    ("POST", "/api/generate"): ("/api/generate", {"model": "llama3.2", "prompt": "hi", "stream": False}, 200),
    ("POST", "/api/chat"): ("/api/chat", {**CHAT, "stream": False}, 200),
    ("POST", "/api/embed"): ("/api/embed", {"model": "nomic-embed-text", "input": "hi"}, 200),
    ("POST", "/api/embeddings"): ("/api/embeddings", None, 501),
    ("POST", "/v1/chat/completions"): ("/v1/chat/completions", CHAT, 200),
    ("POST", "/v1/completions"): ("/v1/completions", None, 501),
    ("POST", "/v1/embeddings"): ("/v1/embeddings", None, 501),
    ("GET", "/v1/models"): ("/v1/models", None, 200),
    ("GET", "/v1/models/:model"): ("/v1/models/llama3.2:latest", None, 501),
    ("POST", "/v1/responses"): ("/v1/responses", None, 501),
    ("POST", "/v1/audio/transcriptions"): ("/v1/audio/transcriptions", None, 501),
    ("POST", "/v1/messages"): ("/v1/messages", None, 501),
}


def test_route_probes_cover_every_route() -> None:
    assert set(ROUTE_PROBES) == set(ROUTES)


@pytest.mark.parametrize(("method", "pattern"), list(ROUTE_PROBES), ids=[f"{method} {pattern}" for method, pattern in ROUTE_PROBES])
def test_every_route_answers(double: OllamaDouble, method: str, pattern: str) -> None:
    path, body, status = ROUTE_PROBES[method, pattern]
    assert call(double, method, path, body=body).status == status
    assert double.requests[-1].path == path


def test_routes_nobody_reaches_answer_501(double: OllamaDouble) -> None:
    reply = call(double, "POST", "/v1/messages", body={**CHAT, "max_tokens": 64})
    assert (reply.status, reply.json()) == (501, {"error": "the Ollama test double does not serve POST /v1/messages"})


def test_unknown_path_is_gins_404(double: OllamaDouble) -> None:
    reply = call(double, "GET", "/api/nothing")
    assert (reply.status, reply.body, reply.headers["Content-Type"]) == (404, b"404 page not found", "text/plain")


def test_wrong_method_is_405_with_allow(double: OllamaDouble) -> None:
    reply = call(double, "GET", "/api/chat")
    assert (reply.status, reply.body, reply.headers["Allow"]) == (405, b"405 method not allowed", "POST")
    assert call(double, "BREW", "/api/tags").headers["Allow"] == "HEAD, GET"


def test_trailing_slash_redirects_before_any_check(double: OllamaDouble) -> None:
    get = call(double, "GET", "/api/tags/?x=1", headers={"Host": "ollama.example.com"})
    assert (get.status, get.headers["Location"]) == (301, "/api/tags?x=1")
    post = call(double, "POST", "/api/chat/", body=CHAT)
    assert (post.status, post.headers["Location"]) == (307, "/api/chat")
