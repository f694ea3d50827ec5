# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.ollama_remote.proxy.plugins.filter.foreign_listeners import foreign_listeners


def test_foreign_listeners_filter() -> None:
    facts = [{"address": "0.0.0.0", "port": 80, "pid": 4, "name": "System"}, {"address": "0.0.0.0", "port": 443, "pid": 9, "name": "nginx"}]
    assert foreign_listeners(facts, [80, 443]) == ["port 80 on 0.0.0.0 is held by HTTP.sys (IIS or another http.sys service) (pid 4)"]
    assert foreign_listeners(facts, [80, 443], ["nginx", "System"]) == []


@pytest.mark.parametrize("bad", [None, "80", {"port": 80}])
def test_foreign_listeners_filter_refuses_what_is_not_facts(bad: object) -> None:
    with pytest.raises(AnsibleFilterError, match="takes the tcp_listen facts"):
        foreign_listeners(bad, [80])
