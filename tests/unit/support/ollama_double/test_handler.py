# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The request flow and the replies as Go writes them: Host header rules, streams and gates, connections, records."""

from __future__ import annotations

import contextlib
import http.client
import json

from tests.support.ollama_double import OllamaDouble
from tests.support.ollama_double.generation import REPLY

from .client import CHAT, TIMEOUT, call, new_stream_id, open_stream, raw_exchange, sse_payloads


def test_http11_requires_exactly_one_host_header(double: OllamaDouble) -> None:
    missing = call(double, "GET", "/api/version", headers={"Host": None})
    assert (missing.status, missing.body) == (400, b"400 Bad Request: missing required Host header")
    http10 = raw_exchange(double, b"GET /api/version HTTP/1.0\r\n\r\n")
    assert http10.startswith(b"HTTP/1.1 200 ")  # no Host at all means the empty host name, which is allowed


def test_absolute_form_target_host_wins_over_the_host_header(double: OllamaDouble) -> None:
    reply = raw_exchange(double, b"GET http://ollama.example.com/api/version HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 403 ")


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


def test_an_unread_body_closes_the_connection(double: OllamaDouble) -> None:
    """What a handler leaves unread would be read as the next request: the connection ends after the reply instead."""
    request = b"POST /nothing HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello"
    assert raw_exchange(double, request).startswith(b"HTTP/1.1 404 ")  # returns only once the double closed


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
