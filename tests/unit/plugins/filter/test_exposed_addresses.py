# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.ollama_remote.proxy.plugins.filter.exposed_addresses import exposed_addresses


def test_exposed_addresses_filter() -> None:
    assert exposed_addresses(["LISTEN 0 4096 0.0.0.0:11434 0.0.0.0:*"], "11434") == ["0.0.0.0"]
    assert exposed_addresses([{"address": "127.0.0.1", "port": 11434}], 11434) == []


@pytest.mark.parametrize("bad", [None, "LISTEN", [1]])
def test_exposed_addresses_filter_refuses_what_is_no_listener_list(bad: object) -> None:
    with pytest.raises(AnsibleFilterError, match="takes the lines of ss"):
        exposed_addresses(bad, 11434)
