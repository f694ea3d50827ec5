# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import typing as t

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.ollama_remote.proxy.plugins.filter.gateway_inputs import gateway_inputs

GOOD: dict[str, t.Any] = {"users": [{"name": "alice", "password": "a-long-enough-password"}], "rules": [{"allow": "10.0.0.0/8"}]}


@pytest.mark.parametrize("windows", [False, True])
def test_good_inputs_come_back_unchanged(windows: bool) -> None:
    inputs = {**GOOD, "windows": windows, "windows_prefix": "C:/nginx"}
    assert gateway_inputs(inputs) is inputs


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"users": [{"name": "alice", "password": "short"}]}, "shorter than", id="short-password"),
        pytest.param({"rules": [{"allow": "10.0.0.300"}]}, "10.0.0.300", id="bad-rule"),
        pytest.param({"windows": True, "hash_scheme": "bcrypt"}, "cannot be used on a Windows target", id="crypt3-on-windows"),
        pytest.param({"windows": True, "windows_prefix": "C:/Program Files/nginx"}, "Spaces and quotes would break", id="prefix-with-space"),
    ],
)
def test_bad_inputs_are_refused_with_the_reason(change: dict[str, t.Any], message: str) -> None:
    with pytest.raises(AnsibleFilterError, match=message):
        gateway_inputs({**GOOD, "windows_prefix": "C:/nginx", **change})


def test_the_prefix_is_not_checked_on_linux() -> None:
    assert gateway_inputs({**GOOD, "windows": False, "windows_prefix": "C:/Program Files/nginx"})
