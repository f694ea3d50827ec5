# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import typing as t

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.ollama_remote.proxy.plugins.filter.gateway_input_problems import gateway_input_problems

GOOD: dict[str, t.Any] = {"users": [{"name": "alice", "password": "a-long-enough-password"}], "rules": [{"allow": "10.0.0.0/8"}]}


@pytest.mark.parametrize("windows", [False, True])
def test_good_inputs_have_no_problem(windows: bool) -> None:
    assert gateway_input_problems({**GOOD, "windows": windows, "windows_prefix": "C:/nginx"}) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"users": [{"name": "alice", "password": "short"}]}, "shorter than", id="short-password"),
        pytest.param({"rules": [{"allow": "10.0.0.300"}]}, "10.0.0.300", id="bad-rule"),
        pytest.param({"windows": True, "hash_scheme": "bcrypt"}, "cannot be used on a Windows target", id="crypt3-on-windows"),
        pytest.param({"windows": True, "windows_prefix": "C:/Program Files/nginx"}, "Spaces and quotes would break", id="prefix-with-space"),
    ],
)
def test_bad_inputs_are_named_with_the_reason(change: dict[str, t.Any], message: str) -> None:
    problems = gateway_input_problems({**GOOD, "windows_prefix": "C:/nginx", **change})
    assert len(problems) == 1 and message in problems[0]


def test_the_prefix_is_not_checked_on_linux() -> None:
    assert gateway_input_problems({**GOOD, "windows": False, "windows_prefix": "C:/Program Files/nginx"}) == []


def test_what_is_not_inputs_is_an_error() -> None:
    with pytest.raises(AnsibleFilterError, match="takes a dictionary"):
        gateway_input_problems(["users"])
