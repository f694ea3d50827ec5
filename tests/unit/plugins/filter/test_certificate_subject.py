# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.ollama_remote.proxy.plugins.filter.certificate_subject import certificate_subject


@pytest.mark.parametrize(
    ("names", "fallback", "common_name", "alternative"),
    [
        ("gateway.example.net", "Ollama gateway", "gateway.example.net", ["DNS:gateway.example.net"]),
        ("203.0.113.10", "Ollama gateway", "Ollama gateway", ["IP:203.0.113.10"]),
        ("[2001:DB8::10]", "", "", ["IP:2001:db8::10"]),
        (["203.0.113.10", "gw1", "gateway.example.net"], "", "gw1", ["IP:203.0.113.10", "DNS:gw1", "DNS:gateway.example.net"]),
    ],
)
def test_addresses_never_become_the_common_name(names: object, fallback: str, common_name: str, alternative: list[str]) -> None:
    assert certificate_subject(names, fallback) == {"common_name": common_name, "subject_alt_name": alternative}


def test_nothing_to_certify_is_an_error() -> None:
    with pytest.raises(AnsibleFilterError, match="non-empty list"):
        certificate_subject([])
