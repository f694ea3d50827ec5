# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the served routes answer: payloads, Ollama's and OpenAI's error shapes, blob uploads."""

from __future__ import annotations

import json

from tests.support.ollama_double import ROUTES, OllamaDouble
from tests.support.ollama_double.endpoints import ENDPOINTS
from tests.support.ollama_double.generation import embedding_of

from .client import CHAT, call, sha256_digest


def test_every_endpoint_is_one_of_ollamas_routes() -> None:
    assert set(ENDPOINTS) <= set(ROUTES)


def test_head_has_headers_and_no_body(double: OllamaDouble) -> None:
    get, head = call(double, "GET", "/"), call(double, "HEAD", "/")
    assert (get.body, head.body) == (b"Ollama is running", b"")
    assert head.headers["Content-Length"] == get.headers["Content-Length"] == "17"


def test_native_errors_have_ollamas_shape(double: OllamaDouble) -> None:
    assert call(double, "POST", "/api/chat", body={**CHAT, "model": "nope"}).json() == {"error": "model 'nope' not found"}
    assert call(double, "POST", "/api/chat", body={"messages": []}).json() == {"error": "model is required"}
    missing = call(double, "POST", "/api/chat", body=b"")
    assert (missing.status, missing.json()) == (400, {"error": "missing request body"})


def test_openai_errors_have_openais_shape(double: OllamaDouble) -> None:
    reply = call(double, "POST", "/v1/chat/completions", body={**CHAT, "model": "nope"})
    assert reply.status == 404
    assert reply.json() == {"error": {"message": "model 'nope' not found", "type": "not_found_error", "param": None, "code": None}}
    assert call(double, "POST", "/v1/chat/completions", body={"model": "llama3.2", "messages": []}).json()["error"]["type"] == "invalid_request_error"


def test_model_lists_in_both_apis(double: OllamaDouble) -> None:
    tags = call(double, "GET", "/api/tags").json()["models"]
    assert [model["name"] for model in tags] == ["llama3.2:latest", "nomic-embed-text:latest"]
    assert set(tags[0]) == {"name", "model", "modified_at", "size", "digest", "details"}
    assert tags[0]["details"]["family"] == "llama"
    v1 = call(double, "GET", "/v1/models").json()
    assert v1["object"] == "list"
    assert v1["data"][0] == {"id": "llama3.2:latest", "object": "model", "created": 1735689600, "owned_by": "library"}


def test_pull_reports_progress_then_success(double: OllamaDouble) -> None:
    assert call(double, "POST", "/api/pull", body={"model": "qwen3:0.6b", "stream": False}).json() == {"status": "success"}
    streamed = call(double, "POST", "/api/pull", body={"model": "qwen3:0.6b"})
    assert streamed.headers["Content-Type"] == "application/x-ndjson"
    statuses = [json.loads(line)["status"] for line in streamed.body.splitlines()]
    assert (statuses[0], statuses[-1]) == ("pulling manifest", "success")
    assert call(double, "POST", "/api/pull", body={"model": ""}).json() == {"error": "invalid model name"}


def test_embed(double: OllamaDouble) -> None:
    native = call(double, "POST", "/api/embed", body={"model": "nomic-embed-text", "input": ["a", "b"]}).json()
    assert native["model"] == "nomic-embed-text"
    assert native["embeddings"] == [embedding_of("a"), embedding_of("b")]
    assert call(double, "POST", "/api/embed", body={"model": "nomic-embed-text", "input": 3}).json() == {"error": "invalid input type"}


def test_status_follows_ollama_no_cloud(double: OllamaDouble) -> None:
    assert call(double, "GET", "/api/status").json() == {"cloud": {"disabled": False, "source": "none"}}
    with OllamaDouble(cloud_disabled=True) as disabled:
        assert call(disabled, "GET", "/api/status").json() == {"cloud": {"disabled": True, "source": "env"}}


def test_blob_upload_with_content_length(double: OllamaDouble) -> None:
    data = b"GGUF" + bytes(range(256)) * 64
    digest = sha256_digest(data)
    assert call(double, "HEAD", f"/api/blobs/{digest}").status == 404
    assert call(double, "POST", f"/api/blobs/{digest}", body=data).status == 201
    assert double.blob_path(digest).exists() and double.blob_path(digest).read_bytes() == data
    assert double.requests[-1].body_size == len(data)
    assert call(double, "HEAD", f"/api/blobs/{digest}").status == 200
    assert call(double, "HEAD", f"/api/blobs/{digest.replace(':', '-')}").status == 200
    assert call(double, "POST", f"/api/blobs/{digest}", body=data).status == 200  # already there: not read again


def test_blob_digest_mismatch_is_400_and_stores_nothing(double: OllamaDouble) -> None:
    claimed = sha256_digest(b"something else")
    reply = call(double, "POST", f"/api/blobs/{claimed}", body=b"payload")
    assert reply.status == 400
    assert reply.json() == {"error": f'digest mismatch, expected "{claimed}", got "{sha256_digest(b"payload")}"'}
    assert list(double.blob_dir.iterdir()) == []


def test_blob_digest_format_is_checked(double: OllamaDouble) -> None:
    reply = call(double, "POST", "/api/blobs/md5:abc", body=b"x")
    assert (reply.status, reply.json()) == (400, {"error": "invalid digest format"})
    dashed = sha256_digest(b"x").replace(":", "-")
    assert call(double, "POST", f"/api/blobs/{dashed}", body=b"x").status == 400  # Ollama compares against the "sha256:" form
