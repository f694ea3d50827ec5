# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ollama's Host and Origin checks, over real sockets on loopback and as functions."""

from __future__ import annotations

import ipaddress

import pytest

from tests.support.ollama_double import OllamaDouble
from tests.support.ollama_double.checks import HostVerdict, classify_host, is_local_ip

from .client import call

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
