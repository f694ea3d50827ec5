# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ollama test double: a stdlib-only HTTP server that answers like ``ollama serve`` wherever a reverse proxy can tell.

The rules follow ollama/ollama v0.33.0-rc2 (``server/routes.go`` GenerateRoutes and allowedHostsMiddleware,
``envconfig/config.go`` AllowedOrigins, ``middleware/openai.go``, ``openai/``) on gin v1.10 and gin-contrib/cors v1.7.2:

* Order: CORS, then the allowed-hosts check, then the route. Both checks also run before a 404 or 405 answer; a
  trailing-slash redirect (301 for GET, 307 otherwise) is answered before either, as gin does.
* CORS: a request whose ``Origin`` is neither one Ollama allows by default (no OLLAMA_ORIGINS) nor ``http(s)://<Host>``
  gets 403. An allowed preflight (OPTIONS with Origin) gets 204 at once, without the Host check.
* Host check, only when the listen address is loopback: an IP literal that is loopback, private, unspecified or held by
  a local interface passes, and so do the names "", ``localhost``, this machine's hostname and ``*.localhost``,
  ``*.local``, ``*.internal`` (OPTIONS for such a name is answered 204 there). Anything else gets 403.
* Routes: all of routes.go is routed, so 404, 405 (with Allow) and redirects are Ollama's. Served are the routes the
  tests reach: ``/``, ``/api/version``, ``/api/status``, ``/api/tags``, ``/api/show``, ``/api/pull``,
  ``/api/blobs/:digest``, ``/api/generate``, ``/api/chat``, ``/api/embed``, ``/v1/chat/completions`` and
  ``/v1/models``; any other route answers 501, so a test that starts to reach one fails plainly.
* Streams: NDJSON (``application/x-ndjson``) on native endpoints, SSE (``text/event-stream``) on ``/v1``; chunked on
  HTTP/1.1, delimited by closing the connection on HTTP/1.0.

Test hooks Ollama does not have:

* Stream gate: for a request with ``X-Test-Stream-Id: <id>``, a streamed reply sends and flushes its first chunk, then
  waits until ``double.release(id)``, or until ``gate_timeout`` passes, which ``double.gate(id).timed_out`` records.
  A test can thus prove that the first chunk crossed a proxy before the rest existed, with no sleeps or timing
  thresholds.
* Every request that reached the server is in ``double.requests`` before its reply's first byte is sent.

Library use::

    with OllamaDouble() as double:  # 127.0.0.1, a free port
        urllib.request.urlopen(double.url + "/api/tags")
        assert double.requests[-1].header("Host") == f"127.0.0.1:{double.port}"

Script use: ``python tests/support/ollama_double.py --listen 127.0.0.1:11434`` (``--help`` lists the flags).
"""

from __future__ import annotations

import argparse
import contextlib
import enum
import hashlib
import io
import ipaddress
import json
import math
import os
import random
import re
import signal
import socket
import socketserver
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

DEFAULT_VERSION = "0.33.0-rc2"
DEFAULT_LISTEN = "127.0.0.1:11434"
DEFAULT_GATE_TIMEOUT = 10.0
REPLY = "Hello from the Ollama test double."
STREAM_ID_HEADER = "X-Test-Stream-Id"
EMBEDDING_SIZE = 8
COPY_CHUNK_SIZE = 1 << 20
# Go half-closes and lingers this long before closing, so unread input cannot reset the connection under the reply.
LINGER_SECONDS = 0.5

JSON_UTF8 = "application/json; charset=utf-8"
JSON_PLAIN = "application/json"
NDJSON = "application/x-ndjson"
SSE = "text/event-stream"
TEXT_UTF8 = "text/plain; charset=utf-8"
TEXT_PLAIN = "text/plain"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


# --- Host check (server/routes.go: allowedHostsMiddleware, allowedHost, isLocalIP) ---------------------------------


class HostVerdict(enum.Enum):
    """Outcome of Ollama's allowed-hosts check; the two kinds of pass differ for OPTIONS."""

    ALLOWED_IP = "allowed-ip"
    ALLOWED_NAME = "allowed-name"
    FORBIDDEN = "forbidden"


_PRIVATE_NETWORKS = tuple(ipaddress.ip_network(cidr) for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"))
_LOCAL_NAME_SUFFIXES = (".localhost", ".local", ".internal")


def host_without_port(host: str) -> str:
    """The host part of a Host value as Go's net.SplitHostPort finds it, else the whole value (``localhost``, ``[::1]``)."""
    split = _split_host_port(host)
    return host if split is None else split


def _split_host_port(value: str) -> str | None:
    colon = value.rfind(":")
    if colon < 0:
        return None
    if value.startswith("["):
        end = value.find("]")
        if end < 0 or end + 1 != colon or "[" in value[1:] or "]" in value[end + 1 :]:
            return None
        return value[1:end]
    if ":" in value[:colon] or "[" in value or "]" in value:
        return None
    return value[:colon]


def parse_ip(text: str) -> IPAddress | None:
    """The address if ``text`` is an IP literal (IPv6 zones allowed, as by Go's netip.ParseAddr), else None."""
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _unmapped(addr: IPAddress) -> IPAddress:
    # Go's IsLoopback and IsPrivate look through IPv4-mapped IPv6 addresses; IsUnspecified and isLocalIP do not.
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def _is_private(addr: IPAddress) -> bool:
    plain = _unmapped(addr)
    return any(plain.version == network.version and plain in network for network in _PRIVATE_NETWORKS)


def _is_unspecified(addr: IPAddress) -> bool:
    # Go compares the whole address, zone included: "::%eth0" is not unspecified.
    return addr in (ipaddress.IPv4Address(0), ipaddress.IPv6Address(0))


def is_local_ip(addr: IPAddress) -> bool:
    """Whether an interface of this machine holds ``addr``; found by binding to it, since the stdlib lists no addresses.

    Ollama compares the interface addresses as text, so zoned and IPv4-mapped forms never match. The kernel lets a
    socket bind multicast and broadcast addresses that no interface holds, so those are ruled out first.
    """
    if addr.is_multicast or addr == ipaddress.IPv4Address("255.255.255.255"):
        return False
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.scope_id or addr.ipv4_mapped is not None:
            return False
        scopes = _interface_indexes() if addr.is_link_local else [0]
        return any(_can_bind((str(addr), 0, 0, scope), socket.AF_INET6) for scope in scopes)
    return _can_bind((str(addr), 0), socket.AF_INET)


def _interface_indexes() -> list[int]:
    try:
        return [index for index, _name in socket.if_nameindex()]
    except OSError:
        return []


def _can_bind(address: tuple[Any, ...], family: socket.AddressFamily) -> bool:
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.bind(address)
    except OSError:
        return False
    return True


def allowed_ip(addr: IPAddress) -> bool:
    """Ollama's IP-literal rule: loopback, private (RFC 1918, ULA), unspecified, or held by a local interface."""
    return _unmapped(addr).is_loopback or _is_private(addr) or _is_unspecified(addr) or is_local_ip(addr)


def allowed_host_name(host: str, hostname: str) -> bool:
    """Ollama's name rule: empty, ``localhost``, the machine's hostname, or a ``.localhost``/``.local``/``.internal`` name."""
    name = host.lower()
    return name in ("", "localhost") or (bool(hostname) and name == hostname.lower()) or name.endswith(_LOCAL_NAME_SUFFIXES)


def classify_host(host: str, hostname: str) -> HostVerdict:
    """Ollama's decision on a Host value (port optional) when it listens on loopback; ``hostname`` is os.Hostname()."""
    name = host_without_port(host)
    addr = parse_ip(name)
    if addr is not None and allowed_ip(addr):
        return HostVerdict.ALLOWED_IP
    if allowed_host_name(name, hostname):
        return HostVerdict.ALLOWED_NAME
    return HostVerdict.FORBIDDEN


# --- CORS (envconfig/config.go: AllowedOrigins; gin-contrib/cors v1.7.2) -------------------------------------------

# Ollama's default origins (no OLLAMA_ORIGINS): these exactly, or with any port, and a few app schemes with anything.
_DEFAULT_HOSTS = tuple(f"{scheme}://{host}" for host in ("localhost", "127.0.0.1", "0.0.0.0") for scheme in ("http", "https"))
_ORIGIN_PREFIXES = (*(f"{origin}:" for origin in _DEFAULT_HOSTS), "app://", "file://", "tauri://", "vscode-webview://", "vscode-file://")
_CORS_METHODS = "GET,POST,PUT,PATCH,DELETE,HEAD,OPTIONS"


def origin_allowed(origin: str) -> bool:
    """Whether a request carrying this Origin passes Ollama's CORS middleware."""
    return origin in _DEFAULT_HOSTS or origin.startswith(_ORIGIN_PREFIXES)


def cors_headers(origin: str, *, preflight: bool) -> list[tuple[str, str]]:
    """Headers added to the reply of an allowed cross-origin request (Ollama's preflight answer also lists the allowed
    request headers and a max age, which nothing here reads)."""
    headers = [("Vary", "Origin"), ("Access-Control-Allow-Origin", origin)]
    return [("Access-Control-Allow-Methods", _CORS_METHODS), *headers] if preflight else headers


# --- Test hooks: stream gates and the request record ---------------------------------------------------------------


@dataclass
class StreamGate:
    """Synchronisation points of the request tagged ``X-Test-Stream-Id: <stream_id>``.

    ``first_chunk_sent``: the first chunk of a streamed reply was written to the socket; it is set just after the write,
    so a client may read the chunk a moment earlier: wait on it, do not poll it. ``released``: the test let the reply go
    on. ``finished``: the double is done with the request. ``timed_out``: nobody released it within the gate timeout,
    so it went on by itself.
    """

    stream_id: str
    first_chunk_sent: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    timed_out: bool = False

    def hold(self, timeout: float) -> None:
        """Wait for release; past the timeout carry on but remember it, so the test can fail on it."""
        if not self.released.wait(timeout):
            self.timed_out = True


@dataclass(frozen=True)
class RecordedRequest:
    """One request as it reached the double: what a proxy forwarded, and the status the double answered."""

    method: str
    path: str  # percent-decoded path, what routing matched
    headers: tuple[tuple[str, str], ...]  # in arrival order, repeats kept
    client_address: tuple[str, int]
    body_size: int  # body bytes the double read before answering (unread bodies of refused requests count 0)
    status: int

    def header(self, name: str) -> str | None:
        """First value of a header, matched case-insensitively; None when absent."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


# --- Models ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelInfo:
    """A model the double claims to have installed."""

    name: str
    family: str = "llama"
    parameter_size: str = "3.2B"
    quantization_level: str = "Q4_K_M"
    size: int = 2_019_393_189
    capabilities: tuple[str, ...] = ("completion", "tools")
    context_length: int = 131_072
    modified_at: str = "2025-01-01T00:00:00Z"

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.name.encode()).hexdigest()

    def details(self) -> dict[str, Any]:
        return {
            "parent_model": "",
            "format": "gguf",
            "family": self.family,
            "families": [self.family],
            "parameter_size": self.parameter_size,
            "quantization_level": self.quantization_level,
        }


MODELS = (
    ModelInfo("llama3.2:latest"),
    ModelInfo("nomic-embed-text:latest", "nomic-bert", "137M", "F16", 274_302_450, ("embedding",), 2048),
)


def normalize_model_name(name: str) -> str:
    """``llama3.2`` -> ``llama3.2:latest``: a name without a tag means the ``latest`` tag."""
    name = name.strip()
    if name and ":" not in name.rsplit("/", 1)[-1]:
        return name + ":latest"
    return name


def find_model(name: str) -> ModelInfo | None:
    """The installed model a request names (tag optional, case ignored), or None."""
    key = normalize_model_name(name).lower()
    return next((model for model in MODELS if model.name.lower() == key), None) if name else None


def tags_entry(model: ModelInfo) -> dict[str, Any]:
    return {"name": model.name, "model": model.name, "modified_at": model.modified_at, "size": model.size, "digest": model.digest, "details": model.details()}


def show_payload(model: ModelInfo) -> dict[str, Any]:
    """/api/show for a model: what clients read (details, model_info, capabilities)."""
    arch = model.family.replace("-", "_")
    model_info = {"general.architecture": arch, f"{arch}.context_length": model.context_length, f"{arch}.embedding_length": 3072}
    return {"details": model.details(), "model_info": model_info, "capabilities": list(model.capabilities), "modified_at": model.modified_at}


def openai_model(model: ModelInfo) -> dict[str, Any]:
    """/v1/models entry; ``owned_by`` is the namespace, ``library`` for plain names."""
    parts = model.name.split("/")
    created = int(datetime.fromisoformat(model.modified_at.replace("Z", "+00:00")).timestamp())
    return {"id": model.name, "object": "model", "created": created, "owned_by": parts[-2] if len(parts) > 1 else "library"}


# --- Wire formats ---------------------------------------------------------------------------------------------------


def dumps(value: Any) -> bytes:
    """Compact JSON as Go's encoder writes it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def ndjson_line(value: Any) -> bytes:
    return dumps(value) + b"\n"


def sse_data(value: Any) -> bytes:
    return b"data: " + dumps(value) + b"\n\n"


SSE_DONE = b"data: [DONE]\n\n"


def now_rfc3339() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def split_tokens(text: str) -> list[str]:
    """Word-sized pieces with their leading space, like an LLM's tokens."""
    return re.findall(r"\s*\S+", text) or [text]


def count_tokens(value: Any) -> int:
    """A stand-in token count: the words of every string inside ``value``, at least 1 (Ollama omits zero counts)."""
    return max(1, _count_words(value))


def _count_words(value: Any) -> int:
    if isinstance(value, str):
        return len(value.split())
    if isinstance(value, dict):
        return sum(_count_words(item) for item in value.values())
    if isinstance(value, list):
        return sum(_count_words(item) for item in value)
    return 0


def embedding_of(text: str) -> list[float]:
    """A deterministic unit vector derived from the text: equal inputs embed equally."""
    raw = [(byte - 127.5) / 127.5 for byte in hashlib.sha256(text.encode()).digest()[:EMBEDDING_SIZE]]
    norm = math.sqrt(sum(value * value for value in raw)) or 1.0
    return [round(value / norm, 6) for value in raw]


def openai_error(status: int, message: str) -> dict[str, Any]:
    kind = {400: "invalid_request_error", 404: "not_found_error"}.get(status, "api_error")
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


@dataclass
class _Generation:
    """One simulated generation of the reply text for ``model``, in the native and the OpenAI wire format."""

    model: str
    prompt_tokens: int
    tokens: list[str] = field(default_factory=lambda: split_tokens(REPLY))
    started_ns: int = field(default_factory=time.perf_counter_ns)

    @property
    def text(self) -> str:
        return "".join(self.tokens)

    def metrics(self) -> dict[str, int]:
        total = max(time.perf_counter_ns() - self.started_ns, 1)
        return {
            "total_duration": total,
            "load_duration": max(total // 10, 1),
            "prompt_eval_count": self.prompt_tokens,
            "prompt_eval_duration": max(total // 5, 1),
            "eval_count": len(self.tokens),
            "eval_duration": max(total // 2, 1),
        }

    def usage(self) -> dict[str, int]:
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": len(self.tokens), "total_tokens": self.prompt_tokens + len(self.tokens)}

    # Native API: /api/chat and /api/generate.

    def chat_parts(self) -> Iterator[dict[str, Any]]:
        for token in self.tokens:
            yield {"model": self.model, "created_at": now_rfc3339(), "message": {"role": "assistant", "content": token}, "done": False}
        yield self.chat_done("")

    def chat_done(self, content: str) -> dict[str, Any]:
        message = {"role": "assistant", "content": content}
        return {"model": self.model, "created_at": now_rfc3339(), "message": message, "done": True, "done_reason": "stop", **self.metrics()}

    def generate_parts(self) -> Iterator[dict[str, Any]]:
        for token in self.tokens:
            yield {"model": self.model, "created_at": now_rfc3339(), "response": token, "done": False}
        yield self.generate_done("")

    def generate_done(self, response: str) -> dict[str, Any]:
        return {"model": self.model, "created_at": now_rfc3339(), "response": response, "done": True, "done_reason": "stop", **self.metrics()}

    # OpenAI API: /v1/chat/completions.

    def openai_chat_stream(self, chat_id: str, include_usage: bool) -> Iterator[bytes]:
        created = int(time.time())
        for index, token in enumerate(self.tokens):
            delta = {"role": "assistant", "content": token} if index == 0 else {"content": token}
            yield sse_data(self._chat_chunk(chat_id, created, {"index": 0, "delta": delta, "finish_reason": None}))
        finish = self._chat_chunk(chat_id, created, {"index": 0, "delta": {}, "finish_reason": "stop"})
        tail = sse_data(finish)
        if include_usage:
            tail += sse_data({**finish, "choices": [], "usage": self.usage()})
        yield tail + SSE_DONE  # Ollama writes the finish chunk, usage and [DONE] in one flush

    def _chat_chunk(self, chat_id: str, created: int, choice: dict[str, Any]) -> dict[str, Any]:
        head = {"id": chat_id, "object": "chat.completion.chunk", "created": created, "model": self.model}
        return {**head, "system_fingerprint": "fp_ollama", "choices": [choice]}

    def openai_chat_completion(self, chat_id: str) -> dict[str, Any]:
        choice = {"index": 0, "message": {"role": "assistant", "content": self.text}, "finish_reason": "stop"}
        return {
            "id": chat_id,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model,
            "system_fingerprint": "fp_ollama",
            "choices": [choice],
            "usage": self.usage(),
        }


# --- Routing (gin v1.10: exact routes, one ":param" segment, trailing-slash redirects, 404/405) ----------------------

# server/routes.go's routes; registration order matters: it is the order of the methods in a 405's Allow header.
# A route whose handler is None is routed but not served (501): no test reaches it.
_ROUTES: tuple[tuple[str, str, str | None], ...] = (
    ("HEAD", "/", "_root"),
    ("GET", "/", "_root"),
    ("HEAD", "/api/version", "_version"),
    ("GET", "/api/version", "_version"),
    ("GET", "/api/status", "_status"),
    ("POST", "/api/pull", "_pull"),
    ("POST", "/api/push", None),
    ("HEAD", "/api/tags", "_tags"),
    ("GET", "/api/tags", "_tags"),
    ("POST", "/api/show", "_show"),
    ("DELETE", "/api/delete", None),
    ("POST", "/api/me", None),
    ("POST", "/api/signout", None),
    ("DELETE", "/api/user/keys/:encodedKey", None),
    ("POST", "/api/create", None),
    ("POST", "/api/blobs/:digest", "_blob_upload"),
    ("HEAD", "/api/blobs/:digest", "_blob_head"),
    ("POST", "/api/copy", None),
    ("POST", "/api/experimental/web_search", None),
    ("POST", "/api/experimental/web_fetch", None),
    ("GET", "/api/experimental/model-recommendations", None),
    ("GET", "/api/ps", None),
    ("POST", "/api/generate", "_generate"),
    ("POST", "/api/chat", "_chat"),
    ("POST", "/api/embed", "_embed"),
    ("POST", "/api/embeddings", None),
    ("POST", "/v1/chat/completions", "_v1_chat"),
    ("POST", "/v1/completions", None),
    ("POST", "/v1/embeddings", None),
    ("GET", "/v1/models", "_v1_models"),
    ("GET", "/v1/models/:model", None),
    ("POST", "/v1/responses", None),
    ("POST", "/v1/audio/transcriptions", None),
    ("POST", "/v1/messages", None),
)

ROUTES: tuple[tuple[str, str], ...] = tuple((method, pattern) for method, pattern, _handler in _ROUTES)


@dataclass(frozen=True)
class _Resolution:
    route: tuple[str, str, str | None] | None = None
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


def resolve_route(method: str, path: str) -> _Resolution:
    """What gin does with a request: a route, a trailing-slash redirect, a 405 (with the allowed methods) or a 404."""
    for route in _ROUTES:
        params = _match(route[1], path) if route[0] == method else None
        if params is not None:
            return _Resolution(route=route, params=params)
    if method != "CONNECT" and path != "/":
        toggled = path[:-1] if path.endswith("/") else path + "/"
        if any(route_method == method and _match(pattern, toggled) is not None for route_method, pattern, _handler in _ROUTES):
            return _Resolution(redirect_to=toggled)
    allowed = dict.fromkeys(route_method for route_method, pattern, _handler in _ROUTES if route_method != method and _match(pattern, path) is not None)
    return _Resolution(allowed=tuple(allowed))


# --- Request bodies -------------------------------------------------------------------------------------------------


class _BadRequest(Exception):
    """A request Go's net/http refuses before any handler runs; it answers ``status`` and closes the connection."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _content_length(headers: Message) -> int:
    values = {value.strip() for value in headers.get_all("Content-Length") or []}
    if not values:
        return 0
    if len(values) > 1 or not re.fullmatch(r"[0-9]+", next(iter(values))):
        raise _BadRequest("bad Content-Length")
    return int(next(iter(values)))


class _Body:
    """A request body read lazily in either framing (Content-Length or chunked), never held whole unless asked."""

    def __init__(self, rfile: io.BufferedIOBase, headers: Message) -> None:
        encoding = (headers.get("Transfer-Encoding") or "").strip().lower()
        if encoding not in ("", "chunked"):
            raise _BadRequest("Unsupported transfer encoding", 501)
        self.chunked = encoding == "chunked"
        self._rfile = rfile
        self._left = 0 if self.chunked else _content_length(headers)
        self.finished = not self.chunked and self._left == 0
        self.size = 0

    def chunks(self, size: int = COPY_CHUNK_SIZE) -> Iterator[bytes]:
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
            raise _BadRequest("malformed chunked encoding")

    def _chunk_size(self) -> int:
        line = self._rfile.readline(1024)
        if not line:
            raise ConnectionError("the request body ended early")
        size_text = line.split(b";", 1)[0].strip()
        if not re.fullmatch(rb"[0-9a-fA-F]+", size_text):
            raise _BadRequest("malformed chunked encoding")
        return int(size_text, 16)

    def _skip_trailers(self) -> None:
        for _line in range(100):
            if self._rfile.readline(8192) in (b"\r\n", b"\n", b""):
                return
        raise _BadRequest("too many trailers")


# --- The HTTP handler -----------------------------------------------------------------------------------------------

_DIGEST = re.compile(r"sha256[:-][0-9a-fA-F]{64}")


class _Handler(BaseHTTPRequestHandler):
    """One connection: parses requests, applies Ollama's middleware, routes, and writes replies the way Go would."""

    protocol_version = "HTTP/1.1"
    # Go's TCP connections have Nagle's algorithm off; with it on, small writes wait ~40 ms for delayed ACKs.
    disable_nagle_algorithm = True
    server: _Server

    # Per-request state, reset by parse_request.
    _body: _Body | None = None
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
        pass  # the records are the log

    @property
    def double(self) -> OllamaDouble:
        return self.server.double

    # Request flow.

    def _dispatch(self) -> None:
        try:
            self._serve()
        except _BadRequest as problem:
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
        self._body = _Body(self.rfile, self.headers)
        host = self._request_host(target.netloc)
        resolution = resolve_route(self.command, self._path)
        if resolution.redirect_to is not None:
            self._redirect(resolution.redirect_to, target.query)
        elif not self._cors_passes(host) or not self._host_passes(host):
            return
        elif resolution.route is None:
            self._route_miss(resolution.allowed)
        elif resolution.route[2] is None:
            self._send_json(501, {"error": f"the Ollama test double does not serve {self.command} {resolution.route[1]}"})
        else:
            getattr(self, resolution.route[2])(resolution.params)

    def _request_host(self, url_host: str) -> str:
        """The host Go puts in Request.Host: from an absolute URL, else the Host header, which HTTP/1.1 requires once."""
        values = self.headers.get_all("Host") or []
        if len(values) > 1:
            raise _BadRequest("too many Host headers")
        if not values and self.request_version != "HTTP/1.0":
            raise _BadRequest("missing required Host header")
        return url_host or (values[0].strip() if values else "")

    def _cors_passes(self, host: str) -> bool:
        origin = (self.headers.get("Origin") or "").strip()
        if not origin or origin in (f"http://{host}", f"https://{host}"):
            return True  # no Origin, or a same-origin fetch: not a CORS request
        if not origin_allowed(origin):
            self._send(403)
            return False
        preflight = self.command == "OPTIONS"
        self._extra_headers = cors_headers(origin, preflight=preflight)
        if preflight:
            self._send(204)
            return False
        return True

    def _host_passes(self, host: str) -> bool:
        if not self.double.host_check_enabled:
            return True
        verdict = classify_host(host, self.double.hostname)
        if verdict is HostVerdict.FORBIDDEN:
            self._send(403)
            return False
        if verdict is HostVerdict.ALLOWED_NAME and self.command == "OPTIONS":
            self._send(204)
            return False
        return True

    def _route_miss(self, allowed: tuple[str, ...]) -> None:
        if allowed:
            self._send(405, b"405 method not allowed", TEXT_PLAIN, [("Allow", ", ".join(allowed))])
        else:
            self._send(404, b"404 page not found", TEXT_PLAIN)

    def _redirect(self, path: str, query: str) -> None:
        location = path + (f"?{query}" if query else "")
        if self.command in ("GET", "HEAD"):
            body = f'<a href="{location}">{"Moved Permanently" if self.command == "GET" else "Temporary Redirect"}</a>.\n\n'.encode()
            self._send(301 if self.command == "GET" else 307, body, "text/html; charset=utf-8", [("Location", location)])
        else:
            self._send(307, headers=[("Location", location)])

    def _refuse(self, problem: _BadRequest) -> None:
        self.close_connection = True
        if not self._started:
            text = f"{problem.status} {HTTPStatus(problem.status).phrase}: {problem}"
            self._send(problem.status, text.encode(), TEXT_UTF8, [("Connection", "close")])

    # Replies.

    def _record(self, status: int) -> None:
        if self._recorded:
            return
        self._recorded = True
        host, port = self.client_address[:2]
        record = RecordedRequest(
            method=self.command,
            path=self._path,
            headers=tuple(self.headers.items()),
            client_address=(str(host), int(port)),
            body_size=self._body.size if self._body else 0,
            status=status,
        )
        self.double._append_record(record)

    def _begin(self, status: int, headers: Sequence[tuple[str, str]]) -> None:
        """Record the exchange, then send the status line and headers: the record exists before the client sees a byte."""
        self._record(status)
        self._started = True
        self.send_response_only(status)
        self.send_header("Date", self.date_time_string())
        for name, value in [*headers, *self._extra_headers]:
            self.send_header(name, value)
        self.end_headers()

    def _send(self, status: int, body: bytes = b"", content_type: str | None = None, headers: Sequence[tuple[str, str]] = ()) -> None:
        """A reply of known length; HEAD gets the same headers without the body, as from Go."""
        bodiless = status in (204, 304)
        fields = [("Content-Type", content_type)] if content_type else []
        fields += [] if bodiless else [("Content-Length", str(len(body)))]
        self._begin(status, [*fields, *headers])
        if body and not bodiless and self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(self, status: int, value: Any, content_type: str = JSON_UTF8, *, trailing_newline: bool = False) -> None:
        # gin's c.JSON writes no newline; the /v1 writers use json.Encoder, which ends with one.
        self._send(status, dumps(value) + (b"\n" if trailing_newline else b""), content_type)

    def _send_stream(self, content_type: str, units: Iterable[bytes]) -> None:
        """A streamed reply, one flush per unit; when gated, the first unit goes out and the rest waits for release."""
        chunked = self.request_version != "HTTP/1.0"
        if not chunked:
            self.close_connection = True  # HTTP/1.0 has no chunking: the end of the body is the end of the connection
        framing = [("Transfer-Encoding", "chunked")] if chunked else []
        self._begin(200, [("Content-Type", content_type), *framing])
        gate = self._gate
        try:
            for index, unit in enumerate(unit for unit in units if unit):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(unit), unit) if chunked else unit)
                if index == 0 and gate is not None:
                    gate.first_chunk_sent.set()
                    gate.hold(self.double.gate_timeout)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def _error(self, status: int, message: str, *, openai: bool = False) -> None:
        if openai:
            self._send_json(status, openai_error(status, message), JSON_PLAIN, trailing_newline=True)
        else:
            self._send_json(status, {"error": message})

    # Handler helpers.

    def _read_json(self, *, openai: bool = False) -> dict[str, Any] | None:
        """The JSON object body, or None after answering 400 as Ollama does for an empty or malformed one."""
        assert self._body is not None
        raw = self._body.read_all()
        if not raw.strip():
            self._error(400, "EOF" if openai else "missing request body", openai=openai)
            return None
        try:
            value = json.loads(raw)
        except ValueError as problem:
            self._error(400, f"invalid JSON: {problem}", openai=openai)
            return None
        if not isinstance(value, dict):
            self._error(400, f"json: cannot unmarshal {type(value).__name__} into a request object", openai=openai)
            return None
        return value

    def _find_model(self, name: Any, *, required: bool, openai: bool = False) -> ModelInfo | None:
        """The named model, or None after answering 400 (no name, where the handler requires one) or 404."""
        name = name if isinstance(name, str) else ""
        if required and not name:
            self._error(400, "model is required", openai=openai)
            return None
        model = find_model(name)
        if model is None:
            self._error(404, f"model '{name}' not found", openai=openai)
        return model

    # Health and model information.

    def _root(self, _params: dict[str, str]) -> None:
        self._send(200, b"Ollama is running", TEXT_UTF8)

    def _version(self, _params: dict[str, str]) -> None:
        self._send_json(200, {"version": self.double.version})

    def _status(self, _params: dict[str, str]) -> None:
        disabled = self.double.cloud_disabled
        self._send_json(200, {"cloud": {"disabled": disabled, "source": "env" if disabled else "none"}})

    def _tags(self, _params: dict[str, str]) -> None:
        self._send_json(200, {"models": [tags_entry(model) for model in MODELS]})

    def _show(self, _params: dict[str, str]) -> None:
        body = self._read_json()
        if body is not None and (model := self._find_model(body.get("model") or body.get("name"), required=True)):
            self._send_json(200, show_payload(model))

    # Native inference.

    def _generate(self, _params: dict[str, str]) -> None:
        body = self._read_json()
        if body is None or not self._find_model(body.get("model"), required=False):
            return
        generation = _Generation(str(body["model"]), count_tokens(body.get("prompt")))
        if body.get("stream") is False:
            self._send_json(200, generation.generate_done(generation.text))
        else:
            self._send_stream(NDJSON, (ndjson_line(part) for part in generation.generate_parts()))

    def _chat(self, _params: dict[str, str]) -> None:
        body = self._read_json()
        if body is None or not self._find_model(body.get("model"), required=True):
            return
        generation = _Generation(str(body["model"]), count_tokens(body.get("messages")))
        if body.get("stream") is False:
            self._send_json(200, generation.chat_done(generation.text))
        else:
            self._send_stream(NDJSON, (ndjson_line(part) for part in generation.chat_parts()))

    def _embed(self, _params: dict[str, str]) -> None:
        body = self._read_json()
        if body is None or not self._find_model(body.get("model"), required=False):
            return
        inputs = _embed_inputs(body.get("input"))
        if inputs is None:
            self._error(400, "invalid input type")
            return
        reply: dict[str, Any] = {"model": body["model"], "embeddings": [embedding_of(text) for text in inputs]}
        if inputs:
            reply |= {"total_duration": 1_000_000, "load_duration": 100_000, "prompt_eval_count": count_tokens(inputs)}
        self._send_json(200, reply)

    # Model management.

    def _pull(self, _params: dict[str, str]) -> None:
        """Progress as NDJSON, or only the last status with ``stream: false``; the installed models stay as they are."""
        body = self._read_json()
        if body is None:
            return
        name = normalize_model_name(str(body.get("model") or body.get("name") or ""))
        if not name:
            self._error(400, "invalid model name")
            return
        steps = [{"status": "pulling manifest"}, {"status": "verifying sha256 digest"}, {"status": "writing manifest"}, {"status": "success"}]
        if body.get("stream") is False:
            self._send_json(200, steps[-1], JSON_PLAIN)
        else:
            self._send_stream(NDJSON, (ndjson_line(step) for step in steps))

    def _blob_head(self, params: dict[str, str]) -> None:
        digest = params["digest"]
        if not _DIGEST.fullmatch(digest):
            self._error(400, "invalid digest format")
        elif self.double.blob_path(digest).exists():
            self._send(200)
        else:
            self._error(404, f"blob {json.dumps(digest)} not found")

    def _blob_upload(self, params: dict[str, str]) -> None:
        """Stream the body to a file while hashing it; 201 when it matches the digest, 200 if the blob was already there."""
        digest = params["digest"]
        if not _DIGEST.fullmatch(digest):
            self._error(400, "invalid digest format")
            return
        final = self.double.blob_path(digest)
        if final.exists():
            self._send(200)  # Ollama answers without reading the body
            return
        assert self._body is not None
        received, hex_digest = _store_body(self._body, final.parent)
        actual = f"sha256:{hex_digest}"
        if actual != digest:  # Ollama compares with the "sha256:" form, so a "sha256-" digest never matches
            received.unlink(missing_ok=True)
            self._error(400, f"digest mismatch, expected {json.dumps(digest)}, got {json.dumps(actual)}")
            return
        os.replace(received, final)
        self._send(201)

    # OpenAI-compatible API.

    def _v1_chat(self, _params: dict[str, str]) -> None:
        body = self._read_json(openai=True)
        if body is None:
            return
        if not body.get("messages"):
            self._error(400, "[] is too short - 'messages'", openai=True)
            return
        if not self._find_model(body.get("model"), required=True, openai=True):
            return
        generation = _Generation(str(body["model"]), count_tokens(body.get("messages")))
        chat_id = f"chatcmpl-{random.randrange(999)}"
        if body.get("stream") is True:
            options = body.get("stream_options")
            include_usage = isinstance(options, dict) and options.get("include_usage") is True
            self._send_stream(SSE, generation.openai_chat_stream(chat_id, include_usage))
        else:
            self._send_json(200, generation.openai_chat_completion(chat_id), JSON_PLAIN, trailing_newline=True)

    def _v1_models(self, _params: dict[str, str]) -> None:
        self._send_json(200, {"object": "list", "data": [openai_model(model) for model in MODELS]}, JSON_PLAIN, trailing_newline=True)


def _embed_inputs(value: Any) -> list[str] | None:
    """/api/embed's ``input``: one string or a list of strings; None when it is neither (Ollama answers 400)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    return None


def _store_body(body: _Body, directory: Path) -> tuple[Path, str]:
    """Copy the body chunk by chunk into a new file in ``directory``; returns the file and the body's sha256 (hex)."""
    digest = hashlib.sha256()
    handle, name = tempfile.mkstemp(dir=directory, prefix="upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in body.chunks():
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name), digest.hexdigest()


# --- The server -----------------------------------------------------------------------------------------------------


def _linger_close(sock: socket.socket) -> None:
    """Half-close, read what the client still sends for a moment, then close, so unread input cannot reset the reply."""
    try:
        sock.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + LINGER_SECONDS
        while (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            if not sock.recv(COPY_CHUNK_SIZE):
                break
    except OSError:
        pass
    finally:
        sock.close()


class _Server(ThreadingHTTPServer):
    """ThreadingHTTPServer that knows its double, binds IPv6 literals too, and can cut every open connection."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], double: OllamaDouble) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.double = double
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the FQDN of the address, a DNS round trip nothing here needs.
        socketserver.TCPServer.server_bind(self)
        host, port = self.socket.getsockname()[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up (wrk at the end of a run, a proxy cutting a stream) is normal, not an error to print.
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        _linger_close(request)

    def cut_connections(self) -> None:
        """Shut every open connection, so idle keep-alive and stalled handler threads end and can be joined."""
        with self._open_lock:
            connections = list(self._open)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class OllamaDouble:
    """An Ollama test double serving HTTP on a background thread; use it as a context manager or call start()/close().

    host, port: where to listen; port 0 takes a free port (read it back from ``port`` or ``url``). ``"::1"`` binds IPv6.
        The Host check is on, as in Ollama, only when that address is loopback.
    hostname: the name the Host check accepts as this machine's (default: socket.gethostname()).
    gate_timeout: how long a gated stream waits for release() before it goes on by itself and records ``timed_out``.
    cloud_disabled: act as with OLLAMA_NO_CLOUD=1 (an attribute a test may change). version: what /api/version reports.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        hostname: str | None = None,
        gate_timeout: float = DEFAULT_GATE_TIMEOUT,
        cloud_disabled: bool = False,
        version: str = DEFAULT_VERSION,
    ) -> None:
        self.bind_host, self.bind_port = host, port
        self.hostname = socket.gethostname() if hostname is None else hostname
        self.gate_timeout, self.cloud_disabled, self.version = gate_timeout, cloud_disabled, version
        self._records: list[RecordedRequest] = []
        self._records_lock = threading.Lock()
        self._gates: dict[str, StreamGate] = {}
        self._gates_lock = threading.Lock()
        self._blob_dir: Path | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # Lifecycle.

    def start(self) -> OllamaDouble:
        """Bind and serve on a daemon thread; returns self."""
        if self._server is not None:
            raise RuntimeError("the double is already running")
        self._blob_dir = Path(tempfile.mkdtemp(prefix="ollama-double-blobs-"))
        try:
            self._server = _Server((self.bind_host, self.bind_port), self)
        except BaseException:
            self._remove_blob_dir()
            raise
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"ollama-double-{self.port}", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving: release held replies, cut open connections, join the handler threads, delete stored blobs."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        self._release_all()
        server.cut_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=DEFAULT_GATE_TIMEOUT)
        self._remove_blob_dir()

    def __enter__(self) -> OllamaDouble:
        # Starts it unless start() was already called, so ``with OllamaDouble(...).start() as double`` works too.
        return self if self._server is not None else self.start()

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # Where it listens.

    @property
    def host(self) -> str:
        """The address bound, e.g. ``127.0.0.1`` or ``::1``."""
        return str(self._running().socket.getsockname()[0])

    @property
    def port(self) -> int:
        return int(self._running().socket.getsockname()[1])

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. ``http://127.0.0.1:40123`` or ``http://[::1]:40123``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def host_check_enabled(self) -> bool:
        """Whether Host values are checked: as in Ollama, only on a loopback listener."""
        addr = parse_ip(self.host)
        return addr is not None and _unmapped(addr).is_loopback

    # Recorded requests.

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of the requests recorded so far, oldest first."""
        with self._records_lock:
            return list(self._records)

    def reset(self) -> None:
        """Forget requests and gates (releasing held replies), delete uploaded blobs."""
        with self._records_lock:
            self._records.clear()
        self._release_all(forget=True)
        if self._blob_dir is not None:
            for path in self._blob_dir.iterdir():
                path.unlink(missing_ok=True)

    def _append_record(self, record: RecordedRequest) -> None:
        with self._records_lock:
            self._records.append(record)

    # Stream gates.

    def gate(self, stream_id: str) -> StreamGate:
        """The gate for a stream id, created on first use (by the test or by the request, whichever comes first)."""
        with self._gates_lock:
            return self._gates.setdefault(stream_id, StreamGate(stream_id))

    def release(self, stream_id: str) -> None:
        """Let that request's reply go on; may be called before the request arrives."""
        self.gate(stream_id).released.set()

    def _release_all(self, *, forget: bool = False) -> None:
        with self._gates_lock:
            gates = list(self._gates.values())
            if forget:
                self._gates.clear()
        for gate in gates:
            gate.released.set()

    # Blobs.

    @property
    def blob_dir(self) -> Path:
        """Where uploaded blobs are stored while the double runs."""
        if self._blob_dir is None:
            raise RuntimeError("the double is not running")
        return self._blob_dir

    def blob_path(self, digest: str) -> Path:
        """File of a blob (``sha256:<hex>`` and ``sha256-<hex>`` name the same one, as in Ollama's store)."""
        return self.blob_dir / digest.replace(":", "-")

    def _running(self) -> _Server:
        if self._server is None:
            raise RuntimeError("the double is not running")
        return self._server

    def _remove_blob_dir(self) -> None:
        if self._blob_dir is not None:
            for path in self._blob_dir.iterdir():
                path.unlink(missing_ok=True)
            self._blob_dir.rmdir()
            self._blob_dir = None


# --- Command line ---------------------------------------------------------------------------------------------------


def parse_listen(value: str) -> tuple[str, int]:
    """``HOST:PORT`` or ``[IPV6]:PORT``, the OLLAMA_HOST form without a scheme."""
    if value.startswith("["):
        host, _bracket, rest = value[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    else:
        host, _colon, port_text = value.rpartition(":")
    if not host or not port_text.isdigit() or int(port_text) > 65535:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT or [IPV6]:PORT, got {value!r}")
    return host, int(port_text)


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Ollama test double: answers like `ollama serve` does, for proxy tests.")
    parser.add_argument("--listen", type=parse_listen, default=DEFAULT_LISTEN, help="HOST:PORT or [IPV6]:PORT to bind; port 0 picks a free one (%(default)s)")
    parser.add_argument("--no-cloud", action="store_true", help="act as with OLLAMA_NO_CLOUD=1")
    parser.add_argument("--gate-timeout", type=float, default=DEFAULT_GATE_TIMEOUT, help="seconds a gated stream waits for release (%(default)s)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until SIGINT or SIGTERM; prints ``listening on <url>`` once ready, so a wrapper can wait for that line."""
    args = _arguments(argv)
    host, port = args.listen
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_args: stop.set())
    with OllamaDouble(host, port, gate_timeout=args.gate_timeout, cloud_disabled=args.no_cloud) as double:
        print(f"listening on {double.url}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while not stop.wait(0.5):  # a timed wait keeps Ctrl-C working on every platform
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
