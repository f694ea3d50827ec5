# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Ollama test double over real sockets on loopback: Host and Origin rules, routes, streaming gates, blobs, records.

The last tests drive it with the official ``ollama`` client and the ``openai`` SDK when those are installed.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import ipaddress
import json
import selectors
import socket
import subprocess
import sys
import tracemalloc
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.ollama_double import ROUTES, STREAM_ID_HEADER, OllamaDouble
from tests.support.ollama_double.checks import HostVerdict, classify_host, is_local_ip
from tests.support.ollama_double.cli import parse_listen
from tests.support.ollama_double.generation import REPLY, embedding_of

TIMEOUT = 5.0  # bound on every socket operation and wait in this module
SCRIPT = Path(__file__).resolve().parents[2] / "support" / "ollama_double"
CHAT = {"model": "llama3.2", "messages": [{"role": "user", "content": "Why is the sky blue?"}]}


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@pytest.fixture(scope="module")
def running() -> Iterator[OllamaDouble]:
    with OllamaDouble(hostname="ollama-box") as double:
        yield double


@pytest.fixture
def double(running: OllamaDouble) -> OllamaDouble:
    running.reset()
    return running


def netloc(double: OllamaDouble) -> str:
    return urlsplit(double.url).netloc


def call(double: OllamaDouble, method: str, path: str, *, body: Any = None, headers: dict[str, str | None] | None = None) -> Reply:
    """One request on a fresh connection. Host defaults to the double's address; a None header value leaves it out."""
    payload = json.dumps(body).encode() if isinstance(body, dict | list) else body
    fields = {"Host": netloc(double), **(headers or {})}
    connection = http.client.HTTPConnection(double.host, double.port, timeout=TIMEOUT)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for name, value in fields.items():
            if value is not None:
                connection.putheader(name, value)
        if payload is not None:
            connection.putheader("Content-Length", str(len(payload)))
        connection.endheaders(payload)
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        connection.close()


def open_stream(double: OllamaDouble, path: str, body: dict[str, Any], stream_id: str) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    connection = http.client.HTTPConnection(double.host, double.port, timeout=TIMEOUT)
    connection.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json", STREAM_ID_HEADER: stream_id})
    return connection, connection.getresponse()


def raw_exchange(double: OllamaDouble, request: bytes) -> bytes:
    """Send raw bytes and read until the server closes the connection."""
    with socket.create_connection((double.host, double.port), timeout=TIMEOUT) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def new_stream_id() -> str:
    return uuid.uuid4().hex


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def sse_payloads(raw: bytes) -> list[tuple[str | None, str]]:
    """(event name, data) for every SSE event in a body."""
    events = []
    for block in raw.decode().split("\n\n"):
        if not block.strip():
            continue
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields.get("event"), fields["data"]))
    return events


# --- Host check ------------------------------------------------------------------------------------------------------

HOST_CASES = [
    ("127.0.0.1:11434", 200),
    ("localhost:11434", 200),
    ("localhost", 200),
    ("LocalHost:11434", 200),
    ("", 200),
    ("[::1]:11434", 200),
    ("::1", 200),
    ("[::1]", 403),  # Go's SplitHostPort fails without a port, and "[::1]" is no IP literal
    ("0.0.0.0:11434", 200),
    ("10.0.0.5", 200),
    ("172.16.3.4:80", 200),
    ("192.168.1.10:11434", 200),
    ("[fd00::1]:11434", 200),
    ("::ffff:10.1.2.3", 200),
    ("foo.internal", 200),
    ("printer.local:11434", 200),
    ("app.localhost", 200),
    ("ollama-box:11434", 200),
    ("OLLAMA-BOX", 200),
    ("ollama.example.com", 403),
    ("ollama.example.com:443", 403),
    ("localhost.example.com", 403),
    ("localhost.", 403),
    ("internal", 403),
    ("8.8.8.8:11434", 403),
    ("100.64.0.1:11434", 403),  # CGNAT (Tailscale) is not private to Go
]


@pytest.mark.parametrize(("host", "status"), HOST_CASES, ids=[host or "empty" for host, _status in HOST_CASES])
def test_host_header_decides_like_ollama_on_loopback(double: OllamaDouble, host: str, status: int) -> None:
    reply = call(double, "GET", "/api/version", headers={"Host": host})
    assert reply.status == status
    assert double.requests[-1].header("Host") == host
    assert double.requests[-1].status == status


def test_forbidden_host_gets_an_empty_403_even_on_unknown_paths(double: OllamaDouble) -> None:
    assert call(double, "GET", "/api/version", headers={"Host": "ollama.example.com"}).body == b""
    assert call(double, "GET", "/no/such/path", headers={"Host": "ollama.example.com"}).status == 403


def test_options_is_answered_204_for_allowed_names_but_routed_for_ip_literals(double: OllamaDouble) -> None:
    assert call(double, "OPTIONS", "/api/tags", headers={"Host": "localhost:11434"}).status == 204
    by_ip = call(double, "OPTIONS", "/api/tags", headers={"Host": "127.0.0.1:11434"})
    assert (by_ip.status, by_ip.headers["Allow"]) == (405, "HEAD, GET")
    assert call(double, "OPTIONS", "/api/tags", headers={"Host": "ollama.example.com"}).status == 403


def test_http11_requires_exactly_one_host_header(double: OllamaDouble) -> None:
    missing = call(double, "GET", "/api/version", headers={"Host": None})
    assert (missing.status, missing.body) == (400, b"400 Bad Request: missing required Host header")
    http10 = raw_exchange(double, b"GET /api/version HTTP/1.0\r\n\r\n")
    assert http10.startswith(b"HTTP/1.1 200 ")  # no Host at all means the empty host name, which is allowed


def test_absolute_form_target_host_wins_over_the_host_header(double: OllamaDouble) -> None:
    reply = raw_exchange(double, b"GET http://ollama.example.com/api/version HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 403 ")


def test_host_check_is_on_for_a_loopback_listener(double: OllamaDouble) -> None:
    assert double.host_check_enabled


def test_classify_host_tells_the_kinds_of_pass_apart() -> None:
    assert classify_host("127.0.0.1:11434", "box") is HostVerdict.ALLOWED_IP
    assert classify_host("localhost:11434", "box") is HostVerdict.ALLOWED_NAME
    assert classify_host("Box", "box") is HostVerdict.ALLOWED_NAME
    assert classify_host("box.example.com", "box") is HostVerdict.FORBIDDEN


@pytest.mark.parametrize(
    ("address", "local"),
    [("127.0.0.1", True), ("192.0.2.1", False), ("224.0.0.1", False), ("255.255.255.255", False), ("::ffff:127.0.0.1", False)],
)
def test_is_local_ip_binds_only_addresses_an_interface_holds(address: str, local: bool) -> None:
    assert is_local_ip(ipaddress.ip_address(address)) is local


def test_binds_ipv6_loopback() -> None:
    try:
        double = OllamaDouble(host="::1").start()
    except OSError as problem:
        pytest.skip(f"no IPv6 loopback here: {problem}")
    with double:
        assert double.url == f"http://[::1]:{double.port}"
        assert double.host_check_enabled
        assert call(double, "GET", "/api/version").json() == {"version": double.version}
        assert double.requests[-1].client_address[0] == "::1"


# --- CORS ------------------------------------------------------------------------------------------------------------

ORIGIN_CASES = [
    ("http://localhost", 200),
    ("http://localhost:3000", 200),
    ("https://127.0.0.1:8443", 200),
    ("http://0.0.0.0:8080", 200),
    ("app://obsidian.md", 200),
    ("file://", 200),
    ("tauri://localhost", 200),
    ("vscode-webview://abc123", 200),
    ("vscode-file://vscode-app", 200),
    ("https://evil.example", 403),
    ("http://localhost.evil.example", 403),
    ("chrome-extension://abcdef", 403),
    ("null", 403),
]


@pytest.mark.parametrize(("origin", "status"), ORIGIN_CASES, ids=[origin for origin, _status in ORIGIN_CASES])
def test_origin_decides_like_ollama_defaults(double: OllamaDouble, origin: str, status: int) -> None:
    reply = call(double, "GET", "/api/tags", headers={"Origin": origin})
    assert reply.status == status
    if status == 200:
        assert reply.headers["Access-Control-Allow-Origin"] == origin
        assert reply.headers["Vary"] == "Origin"


def test_no_origin_means_no_cors_headers(double: OllamaDouble) -> None:
    reply = call(double, "GET", "/api/tags")
    assert reply.status == 200
    assert "Access-Control-Allow-Origin" not in reply.headers


def test_origin_equal_to_the_host_is_same_origin(double: OllamaDouble) -> None:
    headers = {"Host": "192.168.1.10:11434", "Origin": "http://192.168.1.10:11434"}
    assert call(double, "GET", "/api/tags", headers=headers).status == 200
    assert call(double, "GET", "/api/tags", headers={**headers, "Origin": "http://192.168.1.10:8080"}).status == 403


def test_allowed_preflight_is_answered_before_the_host_check(double: OllamaDouble) -> None:
    headers = {"Host": "ollama.example.com", "Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"}
    reply = call(double, "OPTIONS", "/api/chat", headers=headers)
    assert reply.status == 204
    assert "POST" in reply.headers["Access-Control-Allow-Methods"].split(",")
    assert reply.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"


# --- Routes ----------------------------------------------------------------------------------------------------------

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


# --- Streaming and the gate ------------------------------------------------------------------------------------------


def test_ndjson_first_chunk_is_readable_before_release(double: OllamaDouble) -> None:
    stream_id = new_stream_id()
    connection, response = open_stream(double, "/api/chat", CHAT, stream_id)
    with contextlib.closing(connection):
        assert response.status == 200
        assert response.getheader("Content-Type") == "application/x-ndjson"
        assert response.getheader("Transfer-Encoding") == "chunked"
        first = json.loads(response.readline())
        gate = double.gate(stream_id)
        assert (first["message"], first["done"]) == ({"role": "assistant", "content": "Hello"}, False)
        assert not gate.released.is_set()  # the first chunk crossed while the rest was still held back
        assert gate.first_chunk_sent.wait(TIMEOUT)
        double.release(stream_id)
        rest = [json.loads(line) for line in response.read().splitlines()]
    assert "".join(part["message"]["content"] for part in [first, *rest]) == REPLY
    assert rest[-1]["done"] is True and rest[-1]["done_reason"] == "stop"
    assert rest[-1]["eval_count"] == len(rest) and rest[-1]["total_duration"] > 0
    assert gate.finished.wait(TIMEOUT)
    assert not gate.timed_out


def test_generate_streams_responses(double: OllamaDouble) -> None:
    stream_id = new_stream_id()
    double.release(stream_id)  # released before it arrives: the stream runs straight through
    connection, response = open_stream(double, "/api/generate", {"model": "llama3.2", "prompt": "hi"}, stream_id)
    with contextlib.closing(connection):
        parts = [json.loads(line) for line in response.read().splitlines()]
    assert "".join(part["response"] for part in parts) == REPLY
    assert parts[-1]["done"] and parts[-1]["done_reason"] == "stop"


def test_sse_first_event_is_readable_before_release(double: OllamaDouble) -> None:
    stream_id = new_stream_id()
    body = {**CHAT, "stream": True, "stream_options": {"include_usage": True}}
    connection, response = open_stream(double, "/v1/chat/completions", body, stream_id)
    with contextlib.closing(connection):
        assert response.getheader("Content-Type") == "text/event-stream"
        first_line, blank = response.readline(), response.readline()
        assert (first_line.startswith(b"data: "), blank) == (True, b"\n")
        assert not double.gate(stream_id).released.is_set()
        double.release(stream_id)
        rest = response.read()
    chunks = [json.loads(data) for _event, data in sse_payloads(first_line + blank + rest) if data != "[DONE]"]
    assert sse_payloads(rest)[-1] == (None, "[DONE]")
    assert chunks[0]["object"] == "chat.completion.chunk"
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": "Hello"}
    assert "".join(chunk["choices"][0]["delta"].get("content", "") for chunk in chunks if chunk["choices"]) == REPLY
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == len(chunks) - 2


def test_unreleased_gate_times_out_and_says_so() -> None:
    with OllamaDouble(gate_timeout=0.2) as double:
        stream_id = new_stream_id()
        connection, response = open_stream(double, "/api/chat", CHAT, stream_id)
        with contextlib.closing(connection):
            lines = response.read().splitlines()
        assert json.loads(lines[-1])["done"] is True
        assert double.gate(stream_id).finished.wait(TIMEOUT)
        assert double.gate(stream_id).timed_out


def test_http10_stream_is_delimited_by_closing(double: OllamaDouble) -> None:
    body = json.dumps(CHAT).encode()
    raw = raw_exchange(double, b"POST /api/chat HTTP/1.0\r\nHost: 127.0.0.1:11434\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    head, _blank, payload = raw.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding" not in head and b"Content-Length" not in head
    assert json.loads(payload.splitlines()[-1])["done"] is True


def test_keep_alive_serves_several_requests_on_one_connection(double: OllamaDouble) -> None:
    connection = http.client.HTTPConnection(double.host, double.port, timeout=TIMEOUT)
    with contextlib.closing(connection):
        for _request in range(3):
            connection.request("POST", "/api/chat", body=json.dumps(CHAT))
            assert json.loads(connection.getresponse().read().splitlines()[-1])["done"]
    assert len({record.client_address for record in double.requests}) == 1


# --- Blobs -----------------------------------------------------------------------------------------------------------


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


def test_blob_upload_chunked_streams_to_disk(double: OllamaDouble) -> None:
    piece, count = bytes(range(256)) * 4096, 64  # 64 MiB in 1 MiB chunks
    digest = hashlib.sha256()
    for _piece in range(count):
        digest.update(piece)
    connection = http.client.HTTPConnection(double.host, double.port, timeout=TIMEOUT)
    tracemalloc.start()
    try:
        with contextlib.closing(connection):
            connection.request("POST", f"/api/blobs/sha256:{digest.hexdigest()}", body=iter([piece] * count), encode_chunked=True)
            status = connection.getresponse().status
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert status == 201
    assert double.requests[-1].header("Transfer-Encoding") == "chunked"
    assert double.requests[-1].body_size == len(piece) * count
    assert peak < 16 << 20  # far below the body's size: it was never held whole


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


def test_an_unread_body_closes_the_connection(double: OllamaDouble) -> None:
    """What a handler leaves unread would be read as the next request: the connection ends after the reply instead."""
    request = b"POST /nothing HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello"
    assert raw_exchange(double, request).startswith(b"HTTP/1.1 404 ")  # returns only once the double closed


# --- Records ---------------------------------------------------------------------------------------------------------


def test_records_what_arrived(double: OllamaDouble) -> None:
    call(double, "POST", "/api/show", body={"model": "llama3.2"}, headers={"Authorization": "Bearer secret", "X-Forwarded-For": "203.0.113.9"})
    [record] = double.requests
    assert (record.method, record.path, record.status) == ("POST", "/api/show", 200)
    assert record.header("authorization") == "Bearer secret"
    assert record.header("X-Forwarded-For") == "203.0.113.9"
    assert record.header("Origin") is None
    assert record.client_address[0] == "127.0.0.1"
    assert record.body_size == len(json.dumps({"model": "llama3.2"}))


def test_refused_requests_are_recorded_too(double: OllamaDouble) -> None:
    call(double, "POST", "/api/chat", body=CHAT, headers={"Host": "ollama.example.com"})
    call(double, "GET", "/api/tags", headers={"Origin": "https://evil.example"})
    assert [(record.path, record.status, record.body_size) for record in double.requests] == [("/api/chat", 403, 0), ("/api/tags", 403, 0)]


def test_reset_forgets_requests_gates_and_blobs(double: OllamaDouble) -> None:
    call(double, "POST", f"/api/blobs/{sha256_digest(b'x')}", body=b"x")
    double.release("left-over")
    double.reset()
    assert double.requests == []
    assert not double.blob_path(sha256_digest(b"x")).exists()
    assert not double.gate("left-over").released.is_set()  # a new gate, not the old one


# --- Command line ----------------------------------------------------------------------------------------------------


def test_parse_listen() -> None:
    assert parse_listen("127.0.0.1:11434") == ("127.0.0.1", 11434)
    assert parse_listen("[::1]:0") == ("::1", 0)
    with pytest.raises(argparse.ArgumentTypeError, match="HOST:PORT"):
        parse_listen("localhost")


def test_runs_as_a_script() -> None:
    with subprocess.Popen([sys.executable, str(SCRIPT), "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            with selectors.DefaultSelector() as selector:
                selector.register(process.stdout, selectors.EVENT_READ)
                assert selector.select(TIMEOUT), "the double printed nothing"
            line = process.stdout.readline()
            assert line.startswith("listening on http://127.0.0.1:")
            address = urlsplit(line.split()[-1])
            connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=TIMEOUT)
            with contextlib.closing(connection):
                connection.request("GET", "/api/version")
                assert json.loads(connection.getresponse().read())["version"]
        finally:
            process.terminate()
            assert process.wait(TIMEOUT) == 0


# --- Real clients, when installed ------------------------------------------------------------------------------------


def test_ollama_python_client_parses_the_replies(double: OllamaDouble, tmp_path: Path) -> None:
    ollama = pytest.importorskip("ollama", reason="the ollama Python client is not installed")
    client = ollama.Client(host=double.url, timeout=TIMEOUT)
    assert [model.model for model in client.list().models] == ["llama3.2:latest", "nomic-embed-text:latest"]
    reply = client.chat(model="llama3.2", messages=CHAT["messages"])
    assert (reply.message.content, reply.done) == (REPLY, True)
    parts = list(client.chat(model="llama3.2", messages=CHAT["messages"], stream=True))
    assert "".join(part.message.content for part in parts) == REPLY and parts[-1].done_reason == "stop"
    assert client.generate(model="llama3.2", prompt="hi").response == REPLY
    assert len(client.embed(model="nomic-embed-text", input=["a", "b"]).embeddings) == 2
    assert client.show("llama3.2").details.family == "llama"
    assert list(client.pull("qwen3:0.6b", stream=True))[-1].status == "success"
    blob = tmp_path / "model.gguf"
    blob.write_bytes(b"GGUF" * 1000)
    assert double.blob_path(client.create_blob(blob)).exists()
    with pytest.raises(ollama.ResponseError) as missing:
        client.chat(model="nope", messages=CHAT["messages"])
    assert missing.value.status_code == 404


def test_openai_sdk_parses_the_replies(double: OllamaDouble) -> None:
    openai = pytest.importorskip("openai", reason="the openai SDK is not installed")
    client = openai.OpenAI(base_url=double.url + "/v1", api_key="ollama", timeout=TIMEOUT, max_retries=0)
    assert [(model.id, model.owned_by) for model in client.models.list()] == [("llama3.2:latest", "library"), ("nomic-embed-text:latest", "library")]
    completion = client.chat.completions.create(model="llama3.2", messages=CHAT["messages"])
    assert completion.choices[0].message.content == REPLY and completion.usage is not None
    chunks = list(client.chat.completions.create(model="llama3.2", messages=CHAT["messages"], stream=True, stream_options={"include_usage": True}))
    assert "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices) == REPLY
    assert chunks[-1].usage is not None
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="nope", messages=CHAT["messages"])
    assert {record.header("Authorization") for record in double.requests} == {"Bearer ollama"}
