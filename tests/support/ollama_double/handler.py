# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One HTTP connection of the double: requests go through Ollama's middleware in its order (CORS, then the Host check,
then the route; a trailing-slash redirect before either), and replies are written the way Go writes them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from .body import BadRequest, Body
from .checks import HostVerdict, classify_host, cors_headers, origin_allowed
from .endpoints import ENDPOINTS
from .hooks import STREAM_ID_HEADER, RecordedRequest, StreamGate
from .models import ModelInfo, find_model
from .routes import resolve_route
from .wire import JSON_PLAIN, JSON_UTF8, TEXT_PLAIN, TEXT_UTF8, dumps

if TYPE_CHECKING:
    from .server import DoubleHTTPServer, OllamaDouble


class Handler(BaseHTTPRequestHandler):
    """Parses requests, applies Ollama's checks, routes to ``endpoints``, records each exchange before replying."""

    protocol_version = "HTTP/1.1"
    # Go's TCP connections have Nagle's algorithm off; with it on, small writes wait ~40 ms for delayed ACKs.
    disable_nagle_algorithm = True
    server: DoubleHTTPServer

    # Per-request state, reset by parse_request.
    _body: Body | None = None
    _path: str = "/"
    _gate: StreamGate | None = None
    _extra_headers: list[tuple[str, str]]
    _recorded: bool = False
    _started: bool = False

    def __getattr__(self, name: str) -> Any:
        # Go serves any method token; sending them all through one dispatcher gives unknown ones gin's 404/405.
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def parse_request(self) -> bool:
        self._body, self._path, self._gate = None, "/", None
        self._extra_headers, self._recorded, self._started = [], False, False
        return super().parse_request()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class names it so
        pass  # double.requests is the log

    @property
    def double(self) -> OllamaDouble:
        return self.server.double

    @property
    def body(self) -> Body:
        assert self._body is not None, "routes run only once the body is known"
        return self._body

    # Request flow.

    def _dispatch(self) -> None:
        try:
            self._serve()
        except BadRequest as problem:
            self._refuse(problem)
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        finally:
            if self._body is not None and not self._body.finished:
                self.close_connection = True  # what is left of the body would be read as the next request
            if self._gate is not None:
                self._gate.finished.set()

    def _serve(self) -> None:
        target = urlsplit(self.path)
        self._path = unquote(target.path) or "/"
        stream_id = self.headers.get(STREAM_ID_HEADER)
        if stream_id:
            self._gate = self.double.gate(stream_id)
        self._body = Body(self.rfile, self.headers)
        host = self._request_host(target.netloc)
        resolution = resolve_route(self.command, self._path)
        if resolution.redirect_to is not None:
            self._redirect(resolution.redirect_to, target.query)
        elif not self._cors_passes(host) or not self._host_passes(host):
            return
        elif resolution.route is None:
            self._route_miss(resolution.allowed)
        elif (endpoint := ENDPOINTS.get(resolution.route)) is None:
            # Routed, so misses stay Ollama's, but not served: no test reaches it, and one that starts to should fail plainly.
            self.reply_json(501, {"error": f"the Ollama test double does not serve {self.command} {resolution.route[1]}"})
        else:
            endpoint(self, resolution.params)

    def _request_host(self, url_host: str) -> str:
        """The host Go puts in Request.Host: from an absolute URL, else the Host header, which HTTP/1.1 requires once."""
        values = self.headers.get_all("Host") or []
        if len(values) > 1:
            raise BadRequest("too many Host headers")
        if not values and self.request_version != "HTTP/1.0":
            raise BadRequest("missing required Host header")
        return url_host or (values[0].strip() if values else "")

    def _cors_passes(self, host: str) -> bool:
        origin = (self.headers.get("Origin") or "").strip()
        if not origin or origin in (f"http://{host}", f"https://{host}"):
            return True  # no Origin, or a same-origin fetch: not a CORS request
        if not origin_allowed(origin):
            self.reply(403)
            return False
        preflight = self.command == "OPTIONS"
        self._extra_headers = cors_headers(origin, preflight=preflight)
        if preflight:
            self.reply(204)
            return False
        return True

    def _host_passes(self, host: str) -> bool:
        if not self.double.host_check_enabled:
            return True
        verdict = classify_host(host, self.double.hostname)
        if verdict is HostVerdict.FORBIDDEN:
            self.reply(403)
            return False
        if verdict is HostVerdict.ALLOWED_NAME and self.command == "OPTIONS":
            self.reply(204)
            return False
        return True

    def _route_miss(self, allowed: tuple[str, ...]) -> None:
        if allowed:
            self.reply(405, b"405 method not allowed", TEXT_PLAIN, [("Allow", ", ".join(allowed))])
        else:
            self.reply(404, b"404 page not found", TEXT_PLAIN)

    def _redirect(self, path: str, query: str) -> None:
        location = path + (f"?{query}" if query else "")
        if self.command in ("GET", "HEAD"):
            body = f'<a href="{location}">{"Moved Permanently" if self.command == "GET" else "Temporary Redirect"}</a>.\n\n'.encode()
            self.reply(301 if self.command == "GET" else 307, body, "text/html; charset=utf-8", [("Location", location)])
        else:
            self.reply(307, headers=[("Location", location)])

    def _refuse(self, problem: BadRequest) -> None:
        self.close_connection = True
        if not self._started:
            text = f"{problem.status} {HTTPStatus(problem.status).phrase}: {problem}"
            self.reply(problem.status, text.encode(), TEXT_UTF8, [("Connection", "close")])

    # Replies.

    def _begin(self, status: int, headers: Sequence[tuple[str, str]]) -> None:
        """Record the exchange, then send the status line and headers: the record exists before the client sees a byte."""
        if not self._recorded:
            self._recorded = True
            host, port = self.client_address[:2]
            size = self._body.size if self._body else 0
            self.double._append_record(RecordedRequest(self.command, self._path, tuple(self.headers.items()), (str(host), int(port)), size, status))
        self._started = True
        self.send_response_only(status)
        self.send_header("Date", self.date_time_string())
        for name, value in [*headers, *self._extra_headers]:
            self.send_header(name, value)
        self.end_headers()

    def reply(self, status: int, body: bytes = b"", content_type: str | None = None, headers: Sequence[tuple[str, str]] = ()) -> None:
        """A reply of known length; HEAD gets the same headers without the body, as from Go."""
        bodiless = status in (204, 304)
        fields = [("Content-Type", content_type)] if content_type else []
        fields += [] if bodiless else [("Content-Length", str(len(body)))]
        self._begin(status, [*fields, *headers])
        if body and not bodiless and self.command != "HEAD":
            self.wfile.write(body)

    def reply_json(self, status: int, value: Any, content_type: str = JSON_UTF8, *, trailing_newline: bool = False) -> None:
        # gin's c.JSON writes no newline; the /v1 writers use json.Encoder, which ends with one.
        self.reply(status, dumps(value) + (b"\n" if trailing_newline else b""), content_type)

    def reply_stream(self, content_type: str, units: Iterable[bytes]) -> None:
        """A streamed reply, one flush per unit; when gated, the first unit goes out and the rest waits for release."""
        chunked = self.request_version != "HTTP/1.0"
        if not chunked:
            self.close_connection = True  # HTTP/1.0 has no chunking: the end of the body is the end of the connection
        self._begin(200, [("Content-Type", content_type), *([("Transfer-Encoding", "chunked")] if chunked else [])])
        try:
            for index, unit in enumerate(unit for unit in units if unit):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(unit), unit) if chunked else unit)
                if index == 0 and self._gate is not None:
                    self._gate.first_chunk_sent.set()
                    self._gate.hold(self.double.gate_timeout)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def reply_error(self, status: int, message: str, *, openai: bool = False) -> None:
        """Ollama's error body, ``{"error": message}``, or on /v1 the OpenAI error object."""
        if openai:
            kind = {400: "invalid_request_error", 404: "not_found_error"}.get(status, "api_error")
            error = {"message": message, "type": kind, "param": None, "code": None}
            self.reply_json(status, {"error": error}, JSON_PLAIN, trailing_newline=True)
        else:
            self.reply_json(status, {"error": message})

    # What route handlers share.

    def read_json(self, *, openai: bool = False) -> dict[str, Any] | None:
        """The JSON object body, or None after answering 400 as Ollama does for an empty or malformed one."""
        raw = self.body.read_all()
        if not raw.strip():
            self.reply_error(400, "EOF" if openai else "missing request body", openai=openai)
            return None
        try:
            value = json.loads(raw)
        except ValueError as problem:
            self.reply_error(400, f"invalid JSON: {problem}", openai=openai)
            return None
        if not isinstance(value, dict):
            self.reply_error(400, f"json: cannot unmarshal {type(value).__name__} into a request object", openai=openai)
            return None
        return value

    def find_model(self, name: Any, *, required: bool, openai: bool = False) -> ModelInfo | None:
        """The named model, or None after answering 400 (no name, where the route requires one) or 404."""
        name = name if isinstance(name, str) else ""
        if required and not name:
            self.reply_error(400, "model is required", openai=openai)
            return None
        model = find_model(name)
        if model is None:
            self.reply_error(404, f"model '{name}' not found", openai=openai)
        return model
