# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.ollama_remote.proxy.plugins.module_utils._exposure import exposed_addresses


@pytest.mark.parametrize(
    ("local", "exposed"),
    [
        ("127.0.0.1:11434", []),
        ("127.0.0.53%lo:11434", []),
        ("[::1]:11434", []),
        ("[::ffff:127.0.0.1]:11434", []),
        ("0.0.0.0:11434", ["0.0.0.0"]),
        ("*:11434", ["*"]),
        ("[::]:11434", ["[::]"]),
        ("192.0.2.7:11434", ["192.0.2.7"]),
        ("192.0.2.7:8080", []),
    ],
)
def test_lines_of_ss(local: str, exposed: list[str]) -> None:
    assert exposed_addresses([f"LISTEN 0      4096      {local}      0.0.0.0:*"], 11434) == exposed


def test_tcp_listen_facts_of_windows() -> None:
    facts = [
        {"address": "127.0.0.1", "port": 11434, "name": "ollama"},
        {"address": "::1", "port": 11434, "name": "ollama"},
        {"address": "0.0.0.0", "port": 11434, "name": "ollama"},
        {"address": "::", "port": 11434, "name": "ollama"},
        {"address": "0.0.0.0", "port": 443, "name": "nginx"},
    ]
    assert exposed_addresses(facts, 11434) == ["0.0.0.0", "::"]


def test_what_is_no_listener_is_skipped() -> None:
    assert exposed_addresses(["", "garbage", "LISTEN 0 1 nonsense 0.0.0.0:*"], 11434) == []
