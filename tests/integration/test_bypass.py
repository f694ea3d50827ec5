"""What a client can get past the converged gateway: a bypass corpus sent byte for byte, and a TLS scan.

Each request is written by hand and sent over its own TLS socket (or plain TCP to the redirect port), so nothing
normalises it on the way. The Ollama test double records every request that reaches it: a case lists the requests it
may let through (method and path as Ollama routes them), and anything else arriving fails the case.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import socket
import subprocess
import typing as t
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.support import windows_nginx
from tests.support.ollama_double import OllamaDouble

from .conftest import BLOCKED, KEYS, OUTSIDE, PASSWORDS, TRUSTED, Gateway, authorization, gateway_vars
from .windows_gateway import WindowsGateway, serve

ALICE, ADMIN = authorization("alice")["Authorization"], authorization("root-admin")["Authorization"]
KEY, ADMIN_KEY = authorization("langflow")["Authorization"], authorization("ops-key")["Authorization"]
BLOB = "sha256:" + "0" * 64
TAGS, PULL = ("GET", "/api/tags"), ("POST", "/api/pull")


def basic(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


def flip_case(text: str) -> str:
    return text.swapcase()


def request(
    method: str = "GET",
    target: str = "/api/tags",
    *headers: str,
    auth: str | None = ALICE,
    version: str = "HTTP/1.1",
    host: str | None = "127.0.0.1",
    body: bytes = b"",
    close: bool = True,
) -> bytes:
    """One request as raw bytes: request line, Host, Authorization, extra header lines as given, Content-Length, body."""
    lines = [f"{method} {target} {version}".rstrip()]
    lines += [f"Host: {host}"] * (host is not None) + [f"Authorization: {auth}"] * (auth is not None) + list(headers)
    lines += [f"Content-Length: {len(body)}"] * bool(body) + ["Connection: close"] * close
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@dataclass(frozen=True)
class Case:
    name: str
    raw: bytes
    status: int | tuple[int, ...]  # one status, or one per pipelined request
    reaches: tuple[tuple[str, str], ...] = ()  # (method, path) that may reach Ollama, in order
    source: str = "127.0.0.1"
    port: str = "https"  # or "http", the redirect server
    head: tuple[bool, ...] = (False,)  # per response: whether it answers a HEAD (no body follows)
    # nginx for Windows matches locations without regard to case and drops a trailing space from the path, as
    # Windows file names go: `/API/PULL` is the admin route there (403 for a non-admin), where Linux answers 404.
    # Either way nothing reaches Ollama, whose routes are case-sensitive.
    windows_status: int | None = None

    @property
    def statuses(self) -> tuple[int, ...]:
        return self.status if isinstance(self.status, tuple) else (self.status,)


def case(name: str, raw: bytes, status: int | tuple[int, ...], *reaches: tuple[str, str], **options: t.Any) -> Case:
    return Case(name, raw, status, reaches, **options)


PULL_BODY = b'{"model":"llama3.2","stream":false}'
SHOW_BODY = b'{"model":"llama3.2"}'
# A chunked body that ends early, followed by an unauthenticated admin request: nginx must treat it as a request.
SMUGGLED = (
    request("POST", "/api/show", "Transfer-Encoding: chunked", close=False)
    + b"%x\r\n%s\r\n0\r\n\r\n" % (len(SHOW_BODY), SHOW_BODY)
    + request("POST", "/api/pull", auth=None, body=PULL_BODY)
)

CONTROLS = [
    case("control: alice reads tags", request(), 200, TAGS),
    case("control: no credentials", request(auth=None), 401),
    case("control: alice may not pull", request("POST", "/api/pull", body=PULL_BODY), 403),
    case("control: admin key pulls", request("POST", "/api/pull", auth=ADMIN_KEY, body=PULL_BODY), 200, PULL),
    case("control: admin user pulls", request("POST", "/api/pull", auth=ADMIN, body=PULL_BODY), 200, PULL),
]

PATHS = [
    case("leading double slash", request("POST", "//api/pull"), 400),
    case("inner double slash", request("POST", "/api//pull"), 400),
    case("dot segment first", request("POST", "/./api/pull"), 400),
    case("dot segment inside", request("POST", "/api/./pull"), 400),
    case("dot-dot from an allowed path", request("POST", "/api/tags/../pull"), 400),
    case("dot-dot from /v1", request("POST", "/v1/../api/pull"), 400),
    case("trailing dot-dot", request("GET", "/api/tags/.."), 400),
    case("trailing dot", request("POST", "/api/pull/."), 400),
    case("encoded dots lower", request("POST", "/api/tags/%2e%2e/pull"), 400),
    case("encoded dots upper", request("POST", "/api/tags/%2E%2E/pull"), 400),
    case("encoded single dot", request("POST", "/api/%2e/pull"), 400),
    case("encoded slash lower", request("POST", "/api%2fpull"), 400),
    case("encoded slash upper", request("POST", "/api%2Fpull"), 400),
    case("encoded backslash", request("POST", "/api%5cpull"), 400),
    case("literal backslash", request("POST", "/api\\pull"), 400),
    case("literal backslash, dot segments to an allowed path", request("DELETE", "/api/user/keys/a\\..\\..\\..\\tags"), 400),
    # An encoded newline decodes into $uri, and PCRE's `$` matches before a final newline: `^/api/pull$` would match.
    case("encoded newline after an admin route", request("POST", "/api/pull%0a", auth=None, body=PULL_BODY), 400),
    case("encoded newline after an allowed route", request("GET", "/api/tags%0A"), 400),
    case("encoded carriage return", request("GET", "/api/tags%0d"), 400),
    case("encoded NUL at the end", request("GET", "/api/tags%00"), 400),
    case("encoded unit separator", request("GET", "/api/ta%1Fgs"), 400),
    case("encoded DEL", request("GET", "/api/tags%7f"), 400),
    case("encoded control in a query is the query's business", request("GET", "/api/tags?x=%0a"), 200, TAGS),
    case("double-encoded dots stay literal", request("POST", "/api/%252e%252e/pull"), 404),
    case("encoded letter reaches the admin rule", request("POST", "/api/%70ull"), 403),
    case("encoded last letter", request("POST", "/api/pul%6C"), 403),
    case("encoded prefix letter", request("POST", "/%61pi/pull"), 403),
    case("encoded NUL", request("POST", "/api/pull%00"), 400),
    case("encoded space", request("POST", "/api/pull%20"), 404, windows_status=403),
    case("encoded question mark", request("POST", "/api/pull%3F"), 404),
    case("semicolon", request("POST", "/api/pull;"), 404),
    case("matrix parameter", request("POST", "/api/pull;x=1"), 404),
    case("semicolon then dot-dot", request("POST", "/api/tags;/../pull"), 400),
    case("empty query", request("POST", "/api/pull?"), 403),
    case("dot-dot in the query stays query", request("POST", "/api/pull?x=/../tags"), 403),
    case("query cannot change an allowed path", request("GET", "/api/tags?/../pull"), 200, TAGS),
    case("fragment", request("POST", "/api/pull#x"), 403),
    case("upper case", request("POST", "/API/PULL"), 404, windows_status=403),
    case("mixed case prefix", request("POST", "/Api/pull"), 404, windows_status=403),
    case("mixed case name", request("POST", "/api/Pull"), 404, windows_status=403),
    case("trailing slash", request("POST", "/api/pull/"), 404),
    case("blob digest encoded colon", request("POST", "/api/blobs/sha256%3a" + "0" * 64), 403),
    case("blob digest upper-case hex", request("POST", "/api/blobs/sha256:" + "A" * 64), 404, windows_status=403),
    case("blob for a non-admin", request("HEAD", f"/api/blobs/{BLOB}"), 403),
    case("unauthenticated path trick is refused before auth", request("GET", "//api/tags", auth=None), 400),
    case("unauthenticated encoded path", request("GET", "/%61pi/tags", auth=None), 401),
]

ADMIN_ROUTES = [
    case(f"{method} {path} for a non-admin", request(method, path, auth=who), 403)
    for method, path, who in [
        ("POST", "/api/push", ALICE),
        ("POST", "/api/copy", ALICE),
        ("POST", "/api/create", KEY),
        ("DELETE", "/api/delete", ALICE),
        ("POST", "/api/me", KEY),
        ("POST", "/api/signout", ALICE),
        ("DELETE", "/api/user/keys/abc", ALICE),
        ("POST", "/api/experimental/web_fetch", KEY),
        ("GET", "/api/experimental/model-recommendations", ALICE),
        ("POST", "/api/experimental/web_search", KEY),
    ]
]

# Each route takes only the methods Ollama serves there (plugins/module_utils/_ollama_routes.py); any other gets 405
# before Ollama sees it, whoever asks.
METHODS = [
    case("HEAD on an admin route that takes POST", request("HEAD", "/api/pull"), 405, head=(True,)),
    case("HEAD without credentials", request("HEAD", "/api/tags", auth=None), 401, head=(True,)),
    case("HEAD for alice", request("HEAD", "/api/tags"), 200, ("HEAD", "/api/tags"), head=(True,)),
    case("HEAD on an inference route", request("HEAD", "/api/chat"), 405, head=(True,)),
    case("DELETE on a read route", request("DELETE", "/api/tags"), 405),
    case("DELETE on a read route by an admin", request("DELETE", "/api/tags", auth=ADMIN_KEY), 405),
    case("POST on a read route", request("POST", "/api/tags", body=SHOW_BODY), 405),
    case("GET on an inference route", request("GET", "/api/chat"), 405),
    case("GET on an admin route", request("GET", "/api/pull"), 405),
    case("GET on the delete route by an admin", request("GET", "/api/delete", auth=ADMIN_KEY), 405),
    case("PUT on an OpenAI route", request("PUT", "/v1/chat/completions", body=SHOW_BODY), 405),
    case("PATCH on a model", request("PATCH", "/v1/models/llama3.2"), 405),
    case("POST on the sign-out key route", request("POST", "/api/user/keys/abc", auth=ADMIN_KEY), 405),
    case("OPTIONS from a foreign page", request("OPTIONS", "/api/tags", "Origin: https://evil.example", auth=None), 403),
    case("CORS preflight from a foreign origin", request("OPTIONS", "/api/pull", "Origin: http://localhost", "Access-Control-Request-Method: POST"), 403),
    case("OPTIONS without an origin", request("OPTIONS", "/api/tags", auth=None), 405),
    case("TRACE", request("TRACE", "/api/tags"), 405),
    case("TRACE without credentials", request("TRACE", "/api/pull", auth=None), 405),
    case("unknown method without credentials", request("FOO", "/api/tags", auth=None), 405),
    case("unknown method on an admin route", request("FOO", "/api/pull"), 405),
    case("WebDAV method on an admin route", request("PROPFIND", "/api/pull"), 405),
    case("PUT on an admin route", request("PUT", "/api/pull", body=PULL_BODY), 405),
    case("unknown method on no route", request("FOO", "/nothing"), 404),
    case("lower-case method", request("get", "/api/tags", auth=None), 400),
    case("CONNECT", request("CONNECT", "127.0.0.1:11434", auth=None), 400),
]

# A page on another site drives a browser that holds an admin's Basic credentials: it sends them, with its Origin.
ALLOWED_ORIGIN = "Origin: https://chat.example.net"  # gateway_allowed_origins in the tests' gateway
TEXT_PLAIN = "Content-Type: text/plain"  # a "simple" request: the browser sends it without a preflight
ORIGINS = [
    case("text/plain pull from a foreign page", request("POST", "/api/pull", "Origin: https://evil.example", TEXT_PLAIN, auth=ADMIN, body=PULL_BODY), 403),
    case("foreign origin reading tags", request("GET", "/api/tags", "Origin: https://evil.example"), 403),
    case("opaque origin (sandboxed page, file:)", request("GET", "/api/tags", "Origin: null"), 403),
    case("own host over plain HTTP is another origin", request("GET", "/api/tags", "Origin: http://127.0.0.1"), 403),
    case("allowed origin with a suffix", request("GET", "/api/tags", "Origin: https://chat.example.net.evil.example"), 403),
    case("cross-site without Origin (image, form navigation)", request("GET", "/api/tags", "Sec-Fetch-Site: cross-site"), 403),
    case("cross-site without credentials", request("POST", "/api/pull", "Sec-Fetch-Site: cross-site", auth=None), 403),
    case("same-site fetch", request("GET", "/api/tags", "Sec-Fetch-Site: same-site"), 200, TAGS),
    case("allowed origin", request("GET", "/api/tags", ALLOWED_ORIGIN, "Sec-Fetch-Site: cross-site"), 200, TAGS),
    case("allowed origin in capitals", request("GET", "/api/tags", "Origin: HTTPS://CHAT.EXAMPLE.NET"), 200, TAGS),
    case("allowed origin still needs credentials", request("GET", "/api/tags", ALLOWED_ORIGIN, auth=None), 401),
    case("allowed origin is no admin", request("POST", "/api/pull", ALLOWED_ORIGIN, body=PULL_BODY), 403),
    case("preflight from the allowed origin", request("OPTIONS", "/api/chat", ALLOWED_ORIGIN, "Access-Control-Request-Method: POST", auth=None), 204),
    case("OPTIONS from the allowed origin without a method asked", request("OPTIONS", "/api/chat", ALLOWED_ORIGIN, auth=None), 405),
]

REQUEST_LINES = [
    case("HTTP/1.0 without credentials", request(version="HTTP/1.0", host=None, auth=None, close=False), 401),
    case("HTTP/1.0 admin route", request("POST", "/api/pull", version="HTTP/1.0", host=None, close=False), 403),
    case("HTTP/1.0 for alice", request(version="HTTP/1.0", host=None, close=False), 200, TAGS),
    case("absolute form naming Ollama", request("POST", "http://127.0.0.1:11434/api/pull"), 403),
    case("absolute form without credentials", request("GET", "http://localhost:11434/api/tags", auth=None), 401),
    case("absolute form elsewhere still goes to Ollama", request("GET", "https://evil.example/api/tags"), 200, TAGS),
    case("absolute form with a double slash", request("POST", "http://127.0.0.1//api/pull"), 400),
    case("asterisk form", request("OPTIONS", "*", auth=None), 400),
    case("HTTP/2.0 in a text request line", request(version="HTTP/2.0"), 505),
    case("HTTP/1.1 without Host", request(host=None), 400),
    case("no version (HTTP/0.9)", request(version="", host=None, auth=None, close=False), 0),
]

AUTHORIZATION = [
    case("valid user then admin key", request("POST", "/api/pull", f"Authorization: {ADMIN_KEY}"), 400),
    case("admin name, wrong password, then a valid key", request("POST", "/api/pull", f"Authorization: {KEY}", auth=basic("root-admin:wrong")), 400),
    case("bearer carrying basic credentials", request(auth="Bearer " + base64.b64encode(f"alice:{PASSWORDS['alice']}".encode()).decode()), 401),
    case("basic carrying a key", request(auth="Basic " + KEYS["langflow"]), 401),
    case("basic with the key as the key name's password", request(auth=basic(f"langflow:{KEYS['langflow']}")), 401),
    case("admin key name as a user name", request("POST", "/api/pull", auth=basic(f"ops-key:{KEYS['ops-key']}")), 401),
    case("admin user name, wrong password", request("POST", "/api/pull", auth=basic("root-admin:not-the-password")), 401),
    case("key with its case flipped", request(auth="Bearer " + flip_case(KEYS["langflow"])), 401),
    case("key with a suffix", request(auth=KEY + "x"), 401),
    case("key prefix only", request(auth=KEY[:-1]), 401),
    case("two spaces before the key", request(auth="Bearer  " + KEYS["langflow"]), 401),
    case("key followed by a comma", request(auth=KEY + ","), 401),
    case("bearer without a key", request(auth="Bearer"), 401),
    case("basic without a colon", request(auth="Basic " + base64.b64encode(b"alice").decode()), 401),
    case("basic with an empty password", request(auth=basic("alice:")), 401),
    case("basic that is not base64", request(auth="Basic !!!!"), 401),
    case("credentials in Proxy-Authorization", request("GET", "/api/tags", f"Proxy-Authorization: {ALICE}", auth=None), 401),
    case("credentials in X-Authorization", request("GET", "/api/tags", f"X-Authorization: {KEY}", auth=None), 401),
    case("Authorization with an underscore", request("GET", "/api/tags", f"Authorization_: {KEY}", auth=None), 401),
    case("header folded over two lines", request("GET", "/api/tags", "Authorization: Bearer", " " + KEYS["langflow"], auth=None), 400),
    case("lower-case header name works", request("GET", "/api/tags", f"authorization: {KEY}", auth=None), 200, TAGS),
    case("lower-case scheme works", request(auth="bearer " + KEYS["langflow"]), 200, TAGS),
]

SPOOFING = [
    case("outsider claims a local X-Forwarded-For", request("GET", "/api/tags", "X-Forwarded-For: 127.0.0.1"), 403, source=OUTSIDE),
    case("outsider claims a local X-Real-IP", request("GET", "/api/tags", "X-Real-IP: 127.0.0.1"), 403, source=OUTSIDE),
    case("outsider claims a local Forwarded", request("GET", "/api/tags", "Forwarded: for=127.0.0.1"), 403, source=OUTSIDE),
    case("outsider claims the trusted network", request("GET", "/api/tags", "X-Forwarded-For: " + TRUSTED, auth=None), 403, source=OUTSIDE),
    case("blocked address claims an allowed one", request("GET", "/api/tags", "X-Forwarded-For: 127.0.0.1"), 403, source=BLOCKED),
    case("X-Forwarded-For cannot make a client trusted", request("GET", "/api/tags", "X-Forwarded-For: " + TRUSTED, auth=None), 401),
    case("X-Real-IP cannot make a client trusted", request("GET", "/api/tags", "X-Real-IP: " + TRUSTED, auth=None), 401),
    case("Forwarded cannot make a client trusted", request("GET", "/api/tags", f"Forwarded: for={TRUSTED}", auth=None), 401),
    case("trusted client is still not an admin", request("POST", "/api/pull", "X-Forwarded-For: 127.0.0.1", auth=None), 403, source=TRUSTED),
]

HOSTS = [
    case("foreign Host is served with Ollama's Host", request(host="evil.example"), 200, TAGS),
    case("foreign Host without credentials", request(host="evil.example", auth=None), 401),
    case("Ollama's own Host on an admin route", request("POST", "/api/pull", host="127.0.0.1:11434"), 403),
    case("empty Host", request(host=""), 400),
    case("two Host headers", request("GET", "/api/tags", "Host: localhost"), 400),
    case("Host with a path", request(host="localhost/api/pull"), 400),
    case("Host with user info", request(host="user@localhost"), 200, TAGS),
    case("unterminated IPv6 Host is replaced like any other", request(host="[::1"), 200, TAGS),
]

OVERSIZED = [
    case("one 9 KB header", request("GET", "/api/tags", "X-Pad: " + "a" * 9000), 400),
    case("16 KB Authorization", request(auth="Bearer " + "a" * 16000), 400),
    case("10 KB request line", request("GET", "/api/tags?" + "a" * 10000), 414),
    case("40 KB of headers", request("GET", "/api/tags", *[f"X-Pad-{n}: {'a' * 200}" for n in range(200)]), 400),
    case("body over the size limit", request("POST", "/api/chat", "Content-Length: 209715200", close=True), 413),
]

FRAMING = [
    case("Content-Length and Transfer-Encoding", request("POST", "/api/show", "Transfer-Encoding: chunked", body=b"0\r\n\r\n"), 400),
    case("unknown Transfer-Encoding", request("POST", "/api/show", "Transfer-Encoding: xchunked"), 501),
    case("two Content-Length headers", request("POST", "/api/show", "Content-Length: 2", body=b"{}"), 400),
    case("negative Content-Length", request("POST", "/api/show", "Content-Length: -1"), 400),
    case("chunked body ends early, the rest is a second request", SMUGGLED, (200, 403), ("POST", "/api/show"), head=(False, False)),
    case("pipelined admin request without credentials", request(close=False) + request("POST", "/api/pull", auth=None), (200, 403), TAGS, head=(False, False)),
    case("pipelined admin request from alice", request(close=False) + request("POST", "/api/pull", body=PULL_BODY), (200, 403), TAGS, head=(False, False)),
]

REDIRECT_PORT = [
    case("plain HTTP never proxies", request(), 308, port="http"),
    case("plain HTTP admin route", request("POST", "/api/pull", auth=ADMIN_KEY), 308, port="http"),
    case("plain HTTP absolute form", request("GET", "http://127.0.0.1:11434/api/tags"), 308, port="http"),
    case("ACME path climbing out", request("GET", "/.well-known/acme-challenge/../../api/tags"), 308, port="http"),
    case("ACME path with encoded dots", request("GET", "/.well-known/acme-challenge/%2e%2e/%2e%2e/api/tags"), 308, port="http"),
]

CORPUS = [*CONTROLS, *PATHS, *ADMIN_ROUTES, *METHODS, *ORIGINS, *REQUEST_LINES, *AUTHORIZATION, *SPOOFING, *HOSTS, *OVERSIZED, *FRAMING, *REDIRECT_PORT]


# --- Sending and reading ------------------------------------------------------------------------------------------


def exchange(gateway: Gateway, item: Case) -> bytes:
    """Send the raw bytes from the case's source address; read until every expected response is complete, or EOF."""
    ipv6 = ":" in item.source
    port = gateway.https_port if item.port == "https" else gateway.http_port
    raw = socket.create_connection(("::1" if ipv6 else "127.0.0.1", port), timeout=10, source_address=(item.source, 0))
    with raw:
        sock = gateway.context(check_hostname=not ipv6).wrap_socket(raw, server_hostname="127.0.0.1") if item.port == "https" else raw
        sock.sendall(item.raw)
        data = b""
        # Stopping at the last expected response spares nginx's lingering close (it waits for a body never sent).
        with contextlib.suppress(TimeoutError, ConnectionResetError):
            while chunk := sock.recv(65536):
                data += chunk
                statuses, complete = parse_responses(data, item.head)
                if complete and len(statuses) >= len(item.statuses):
                    break
        return data


STATUS_LINE = re.compile(rb"HTTP/1\.[01] (\d{3})[^\r\n]*\r\n")


def parse_responses(data: bytes, head: t.Sequence[bool]) -> tuple[list[int], bool]:
    """Status of each response in `data` (0 for a reply without a status line, as HTTP/0.9 has), and whether the last
    one is complete; a body delimited by the end of the connection is complete only at EOF."""
    statuses: list[int] = []
    position = 0
    while position < len(data):
        match = STATUS_LINE.match(data, position)
        if match is None:
            return [*statuses, 0], False
        statuses.append(int(match[1]))
        header_end = data.find(b"\r\n\r\n", match.end())
        if header_end < 0:
            return statuses, False
        no_body = (len(statuses) <= len(head) and head[len(statuses) - 1]) or statuses[-1] in (204, 304)
        body_end = header_end + 4 if no_body else find_body_end(data, header_end + 4, data[match.end() : header_end].decode("latin-1").lower())
        if body_end is None or body_end > len(data):
            return statuses, False
        position = body_end
    return statuses, True


def find_body_end(data: bytes, position: int, headers: str) -> int | None:
    """Where a body starting at `position` ends, by chunked framing or Content-Length; None when not known yet."""
    if "transfer-encoding: chunked" in headers:
        while (line_end := data.find(b"\r\n", position)) >= 0:
            size = int(data[position:line_end].split(b";")[0], 16)
            position = line_end + 2 + size + 2
            if size == 0:
                return position
        return None
    length = re.search(r"content-length: *(\d+)", headers)
    return position + int(length[1]) if length else None


@pytest.mark.parametrize("item", CORPUS, ids=[item.name for item in CORPUS])
def test_bypass_corpus(gateway: Gateway, item: Case) -> None:
    before = len(gateway.double.requests)
    reply = exchange(gateway, item)
    arrived = gateway.double.requests[before:]
    assert parse_responses(reply, item.head)[0] == list(item.statuses), reply[:300]
    assert [(record.method, record.path) for record in arrived] == list(item.reaches), "only these requests may reach Ollama"
    for record in arrived:
        assert record.header("Authorization") is None and record.header("Host") == "localhost"


@pytest.fixture(scope="module")
def windows_gateway(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[WindowsGateway]:
    """The same users, keys, allowlist and settings, in the configuration the role renders for Windows, served by
    nginx for Windows under Wine (IPv4 loopback only)."""
    if windows_nginx.available():
        pytest.skip(windows_nginx.available())

    def settings(double_port: int, https_port: int, http_port: int) -> dict[str, t.Any]:
        play_vars = gateway_vars(t.cast(OllamaDouble, SimpleNamespace(port=double_port)), https_port, http_port)
        return {**play_vars, "gateway_listen_addresses": ["127.0.0.1"]}

    with serve(tmp_path_factory.mktemp("windows-prefix"), settings) as running:
        yield running


@pytest.mark.parametrize("item", CORPUS, ids=[item.name for item in CORPUS])
def test_bypass_corpus_on_windows(windows_gateway: WindowsGateway, item: Case) -> None:
    """The corpus holds on the configuration rendered for Windows, read by nginx for Windows. Wine is not Windows:
    this proves how nginx for Windows parses and decides, not Windows' own network stack."""
    before = len(windows_gateway.double.requests)
    reply = exchange(t.cast(Gateway, windows_gateway), item)
    arrived = windows_gateway.double.requests[before:]
    expected = [item.windows_status] if item.windows_status else list(item.statuses)
    assert parse_responses(reply, item.head)[0] == expected, reply[:300]
    assert [(record.method, record.path) for record in arrived] == list(item.reaches), "only these requests may reach Ollama"


def test_corpus_is_large_and_mostly_refusals() -> None:
    assert len(CORPUS) >= 60
    assert len({item.name for item in CORPUS}) == len(CORPUS)
    assert sum(not item.reaches for item in CORPUS) > 0.8 * len(CORPUS)


# HTTP/2 frames cannot be written by hand as simply; curl sends them, with --path-as-is so the path is not cleaned.
H2_CASES = [
    ("alice reads tags", "GET", "/api/tags", ALICE, 200, (TAGS,)),
    ("no credentials", "GET", "/api/tags", None, 401, ()),
    ("alice may not pull", "POST", "/api/pull", ALICE, 403, ()),
    ("double slash", "POST", "//api/pull", ALICE, 400, ()),
    ("dot-dot", "POST", "/api/tags/../pull", ALICE, 400, ()),
    ("encoded letter", "POST", "/api/%70ull", KEY, 403, ()),
    ("key with its case flipped", "GET", "/api/tags", "Bearer " + flip_case(KEYS["langflow"]), 401, ()),
    ("admin name, wrong password", "POST", "/api/pull", basic("root-admin:not-the-password"), 401, ()),
]


@pytest.mark.parametrize(("method", "path", "auth", "status", "reaches"), [c[1:] for c in H2_CASES], ids=[c[0] for c in H2_CASES])
def test_http2_requests(gateway: Gateway, method: str, path: str, auth: str | None, status: int, reaches: tuple[tuple[str, str], ...]) -> None:
    before = len(gateway.double.requests)
    # --insecure: curl 7.88 cannot verify a certificate whose issuer name is empty, as the self-signed one for an IP
    # address is (its name is in the subject alternative name only); the corpus above checks the certificate.
    command = ["curl", "--http2", "--path-as-is", "--silent", "--max-time", "10", "--insecure"]
    command += ["--request", method, "--output", "/dev/null", "--write-out", "%{http_version} %{http_code}"]
    command += ["--header", f"Authorization: {auth}"] * (auth is not None)
    result = subprocess.run([*command, f"https://127.0.0.1:{gateway.https_port}{path}"], capture_output=True, text=True, timeout=30, check=False)
    assert result.stdout == f"2 {status}"
    assert [(record.method, record.path) for record in gateway.double.requests[before:]] == list(reaches)


# --- TLS scan -------------------------------------------------------------------------------------------------------

# Every check but client simulation, which only lists which browsers would connect and triples the scan time.
TESTSSL_CHECKS = ["--protocols", "--std", "--fs", "--server-defaults", "--server-preference", "--headers", "--vulnerable"]
# Findings testssl rates HIGH or CRITICAL that the self-signed certificate alone causes, with the text that proves it.
CERTIFICATE_EXEMPT = {
    "cert_chain_of_trust": "self signed",  # no CA vouches for a self-signed certificate; clients pin fullchain.pem
    "cert_revocation": "Neither CRL nor OCSP URI provided",  # only an issuer can revoke; a self-signed one has none
}
# testssl 3.2 (Debian 13) grades the server, and an untrusted certificate caps the grade at T ("trust").
GRADE_EXEMPT = {"overall_grade": "T"}
# Cipher lists that must be empty: all but the strong ones (3.0 calls them STRONG, 3.2 STRONG_FS and STRONG_NOFS, and
# 3.2 renamed AVERAGE to OBSOLETED). These five are named alike in both, so the check is never empty.
STRONG_CIPHER_LISTS = {"cipherlist_STRONG", "cipherlist_STRONG_FS"}
WEAK_CIPHER_LISTS_IN_BOTH = {"cipherlist_NULL", "cipherlist_aNULL", "cipherlist_EXPORT", "cipherlist_LOW", "cipherlist_3DES_IDEA"}


def test_testssl_finds_no_old_protocol_and_nothing_vulnerable(gateway: Gateway, tmp_path: Path) -> None:
    report = tmp_path / "testssl.json"
    command = ["testssl", "--quiet", "--color", "0", "--warnings", "off", "--jsonfile", str(report), *TESTSSL_CHECKS]
    scan = subprocess.run([*command, f"https://127.0.0.1:{gateway.https_port}"], capture_output=True, text=True, timeout=300, check=False)
    findings = {item["id"]: item for item in json.loads(report.read_text())}
    assert "scanProblem" not in findings, scan.stdout[-2000:]
    assert [findings[name]["finding"] for name in ("SSLv2", "SSLv3", "TLS1", "TLS1_1")] == ["not offered"] * 4
    assert findings["TLS1_2"]["finding"] == "offered" and findings["TLS1_3"]["finding"].startswith("offered")
    assert findings["HSTS_time"]["severity"] == "OK"
    assert not [name for name, item in findings.items() if "VULNERABLE" in item["finding"].upper().replace("NOT VULNERABLE", "")]
    for name, text in CERTIFICATE_EXEMPT.items():
        assert text in findings[name]["finding"], name
    # testssl 3.0 rates "the client picks the suite" HIGH whatever the suites are. Mozilla's intermediate profile
    # leaves the choice to the client on purpose; that is only sound while every suite offered is strong.
    weak = {name for name in findings if name.startswith("cipherlist_")} - STRONG_CIPHER_LISTS
    assert weak >= WEAK_CIPHER_LISTS_IN_BOTH
    assert {name: findings[name]["finding"] for name in weak} == dict.fromkeys(weak, "not offered")
    for name, grade in GRADE_EXEMPT.items():
        assert findings.get(name, {"finding": grade})["finding"] == grade, name
    exempt = {*CERTIFICATE_EXEMPT, *GRADE_EXEMPT, "cipher_order"}
    assert not {name: item["finding"] for name, item in findings.items() if item["severity"] in ("HIGH", "CRITICAL") and name not in exempt}
