# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Request bodies read as Go reads them: by length or chunked, refused when malformed, streamed rather than held."""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import io
import tracemalloc
from email.message import Message

import pytest

from tests.support.ollama_double import OllamaDouble
from tests.support.ollama_double.body import BadRequest, Body

from .client import TIMEOUT


def body_of(raw: bytes, *headers: tuple[str, str]) -> Body:
    message = Message()
    for name, value in headers:
        message[name] = value
    return Body(io.BytesIO(raw), message)


def test_a_body_is_read_to_its_length_and_no_further() -> None:
    body = body_of(b"hello, then the next request", ("Content-Length", "5"))
    assert (body.read_all(), body.size, body.finished) == (b"hello", 5, True)


def test_no_length_means_no_body() -> None:
    assert body_of(b"GET / HTTP/1.1").finished


def test_chunked_body_with_extensions_and_trailers() -> None:
    body = body_of(b"5;name=value\r\nhello\r\n1\r\n!\r\n0\r\nX-Trailer: t\r\n\r\nnext", ("Transfer-Encoding", "chunked"))
    assert (body.read_all(), body.size, body.finished) == (b"hello!", 6, True)


@pytest.mark.parametrize(
    ("raw", "headers", "status"),
    [
        (b"ab", [("Content-Length", "1"), ("Content-Length", "2")], 400),
        (b"", [("Content-Length", "-1")], 400),
        (b"", [("Transfer-Encoding", "gzip")], 501),
        (b"zz\r\n", [("Transfer-Encoding", "chunked")], 400),
        (b"1\r\nab\r\n", [("Transfer-Encoding", "chunked")], 400),
    ],
    ids=["two lengths", "negative length", "unknown encoding", "bad chunk size", "chunk longer than its size"],
)
def test_framing_go_refuses(raw: bytes, headers: list[tuple[str, str]], status: int) -> None:
    with pytest.raises(BadRequest) as refused:
        body_of(raw, *headers).read_all()
    assert refused.value.status == status


def test_a_body_cut_short_is_a_connection_error() -> None:
    with pytest.raises(ConnectionError):
        body_of(b"abc", ("Content-Length", "10")).read_all()


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
