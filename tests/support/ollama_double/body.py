# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Request bodies as Go's net/http reads them: by Content-Length or chunked, lazily, never held whole unless asked."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from email.message import Message

CHUNK_SIZE = 1 << 20


class BadRequest(Exception):
    """A request Go's net/http refuses before any handler runs; it answers ``status`` and closes the connection."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def content_length(headers: Message) -> int:
    values = {value.strip() for value in headers.get_all("Content-Length") or []}
    if not values:
        return 0
    if len(values) > 1 or not re.fullmatch(r"[0-9]+", next(iter(values))):
        raise BadRequest("bad Content-Length")
    return int(next(iter(values)))


class Body:
    """The body of one request; ``size`` counts the bytes read so far, ``finished`` says all of it was."""

    def __init__(self, rfile: io.BufferedIOBase, headers: Message) -> None:
        encoding = (headers.get("Transfer-Encoding") or "").strip().lower()
        if encoding not in ("", "chunked"):
            raise BadRequest("Unsupported transfer encoding", 501)
        self.chunked = encoding == "chunked"
        self._rfile = rfile
        self._left = 0 if self.chunked else content_length(headers)
        self.finished = not self.chunked and self._left == 0
        self.size = 0

    def chunks(self, size: int = CHUNK_SIZE) -> Iterator[bytes]:
        while not self.finished:
            data = self._next(size)
            if data:
                yield data

    def read_all(self) -> bytes:
        return b"".join(self.chunks())

    def _next(self, size: int) -> bytes:
        if self.chunked and self._left == 0:
            self._left = self._chunk_size()
            if self._left == 0:
                self._skip_trailers()
                self.finished = True
                return b""
        data = self._rfile.read(min(size, self._left))
        if not data:
            raise ConnectionError("the request body ended early")
        self._left -= len(data)
        self.size += len(data)
        if self._left == 0:
            self._end_of_data()
        return data

    def _end_of_data(self) -> None:
        if not self.chunked:
            self.finished = True
        elif self._rfile.readline(3) not in (b"\r\n", b"\n"):
            raise BadRequest("malformed chunked encoding")

    def _chunk_size(self) -> int:
        line = self._rfile.readline(1024)
        if not line:
            raise ConnectionError("the request body ended early")
        size_text = line.split(b";", 1)[0].strip()
        if not re.fullmatch(rb"[0-9a-fA-F]+", size_text):
            raise BadRequest("malformed chunked encoding")
        return int(size_text, 16)

    def _skip_trailers(self) -> None:
        for _line in range(100):
            if self._rfile.readline(8192) in (b"\r\n", b"\n", b""):
                return
        raise BadRequest("too many trailers")
