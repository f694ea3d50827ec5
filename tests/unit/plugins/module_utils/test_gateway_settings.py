# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.ollama_remote.proxy.plugins.module_utils._gateway_settings import (
    SettingsError,
    check_backends,
    check_someone_can_get_in,
    check_tls,
)


def test_backends_are_address_and_port() -> None:
    assert check_backends(["127.0.0.1:11434", "[::1]:11434", "ollama.internal:8080"]) == ["127.0.0.1:11434", "[::1]:11434", "ollama.internal:8080"]


@pytest.mark.parametrize(
    ("backends", "message"),
    [
        ([], "at least one Ollama server"),
        ("127.0.0.1:11434", "at least one Ollama server"),
        (["127.0.0.1"], "'127.0.0.1' is not address:port"),
        (["::1:11434"], "IPv6 address in brackets"),
        (["[::g]:11434"], "is not address:port"),
        (["127.0.0.1:0"], "a port from 1 to 65535"),
        (["127.0.0.1:65536"], "a port from 1 to 65535"),
        ([11434], "is not address:port"),
    ],
)
def test_bad_backends_are_explained(backends: object, message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace("(", r"\(")):
        check_backends(backends)  # type: ignore[arg-type]


def test_someone_must_be_able_to_get_in() -> None:
    check_someone_can_get_in([], [], ["10.0.0.0/24"])
    with pytest.raises(SettingsError, match="nobody could get in"):
        check_someone_can_get_in([], [], [])


def test_a_provided_certificate_names_its_files() -> None:
    check_tls("provided", "cert.pem", "key.pem")
    check_tls("acme", "", "")
    with pytest.raises(SettingsError, match="needs gateway_tls_certificate and gateway_tls_key"):
        check_tls("provided", "cert.pem", "")
    with pytest.raises(SettingsError, match="must be one of"):
        check_tls("letsencrypt", "", "")
