# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The double's lifecycle and state: where it listens, whether it checks Host, what reset forgets."""

from __future__ import annotations

import contextlib
import http.client

import pytest

from tests.support.ollama_double import OllamaDouble

from .client import TIMEOUT, call, sha256_digest


def test_host_check_is_on_for_a_loopback_listener(double: OllamaDouble) -> None:
    assert double.host_check_enabled


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


def test_reset_forgets_requests_gates_and_blobs(double: OllamaDouble) -> None:
    call(double, "POST", f"/api/blobs/{sha256_digest(b'x')}", body=b"x")
    double.release("left-over")
    double.reset()
    assert double.requests == []
    assert not double.blob_path(sha256_digest(b"x")).exists()
    assert not double.gate("left-over").released.is_set()  # a new gate, not the old one


def test_a_refused_upload_still_gets_its_reply(double: OllamaDouble) -> None:
    """The double answers 403 without reading the 8 MiB; closing at once would reset the connection under the reply."""
    connection = http.client.HTTPConnection(double.host, double.port, timeout=TIMEOUT)
    with contextlib.closing(connection):
        connection.request("POST", "/api/chat", body=bytes(8 << 20), headers={"Host": "ollama.example.com"})
        assert connection.getresponse().status == 403
