# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.ollama_remote.proxy.plugins.filter.health_gate_failures import health_gate_failures


def test_health_gate_failures_filter() -> None:
    answer = {"anonymous": 401, "authenticated": 502, "cloud": {"disabled": True}, "stream": {"skipped": "no models"}}
    assert health_gate_failures(answer, False, False) == ["200 with a password or key (Ollama reached), but got 502"]
    with pytest.raises(AnsibleFilterError, match="takes the probe's answers"):
        health_gate_failures("{}", False, False)
    with pytest.raises(AnsibleFilterError, match="true or false"):
        health_gate_failures(answer, "yes", False)
