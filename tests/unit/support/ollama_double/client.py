# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Talking to the double as a proxy would: one request per connection, or raw bytes, or an open stream."""

from __future__ import annotations

import hashlib
import http.client
import json
import socket
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tests.support.ollama_double import STREAM_ID_HEADER, OllamaDouble

TIMEOUT = 5.0  # bound on every socket operation and wait in these tests
CHAT = {"model": "llama3.2", "messages": [{"role": "user", "content": "Why is the sky blue?"}]}


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


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
