# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.ollama_remote.proxy.plugins.module_utils._health_gate import CLOUD_OFF, failures

PASSING: dict[str, t.Any] = {
    "anonymous": 401,
    "authenticated": 200,
    "client_model_management": 403,
    "admin_model_management": 404,
    "refused": [401, 401],
    "cloud": {"disabled": True, "source": "env"},
    "stream": {"model": "llama3.2", "status": 200, "pieces": 5, "end_arrived_with_the_first_token": False},
}
EVERYONE = {"client": True, "admin": True, "refused": ["alice", "langflow"], "allow_cloud": False}


def test_a_working_gateway_passes() -> None:
    assert failures(PASSING, **EVERYONE) == []


@pytest.mark.parametrize(
    ("change", "failure"),
    [
        ({"anonymous": 200}, "401 without credentials, but got 200"),
        ({"authenticated": 502}, "200 with a password or key (Ollama reached), but got 502"),
        ({"client_model_management": 200}, "403 on model management for a client who is not an admin, but got 200"),
        ({"admin_model_management": 403}, "model management passed on to Ollama for an admin (404 for a blob it does not have), but got 403"),
        ({"refused": [401, 200]}, "401 for every replaced password or key (alice, langflow), but got [('alice', 401), ('langflow', 200)]"),
        ({"cloud": {"disabled": False, "source": "none"}}, f"{CLOUD_OFF}, but got cloud on (none)"),
        ({"stream": {"status": 200, "end_arrived_with_the_first_token": True}}, "arrives before its end (unbuffered), but got {'status': 200,"),
        ({"stream": {"status": 502}}, "arrives before its end (unbuffered), but got {'status': 502}"),
    ],
)
def test_each_failed_check_says_what_was_expected_and_what_came(change: dict[str, t.Any], failure: str) -> None:
    found = failures(PASSING | change, **EVERYONE)
    assert len(found) == 1 and failure in found[0]


def test_checks_apply_only_where_the_gateway_has_what_they_test() -> None:
    answer = PASSING | {"client_model_management": None, "cloud": {"disabled": False, "source": "none"}, "stream": {"skipped": "no models"}}
    answer = {k: v for k, v in answer.items() if k not in ("admin_model_management", "refused")}
    assert failures(answer, client=False, admin=False, refused=[], allow_cloud=True) == []
    assert failures(answer, client=True, admin=True, refused=[], allow_cloud=True) == [
        "403 on model management for a client who is not an admin, but got None",
        "model management passed on to Ollama for an admin (404 for a blob it does not have), but got nothing",
    ]
