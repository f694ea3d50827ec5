# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.ollama_remote.proxy.plugins.module_utils._identities import IdentityError, check_names


def test_distinct_names_pass_in_order() -> None:
    assert check_names(["alice", "root-admin"], ["langflow", "ops.key@team"]) == ["alice", "root-admin", "langflow", "ops.key@team"]
    assert check_names([], []) == []


@pytest.mark.parametrize(
    ("users", "keys", "fragments"),
    [
        pytest.param(["alice"], ["alice"], ["'alice' is used twice", "gateway_users and gateway_api_keys"], id="user-and-key"),
        pytest.param([], ["k", "k"], ["'k' is used twice (gateway_api_keys and gateway_api_keys)"], id="two-keys"),
        pytest.param(["alice"], ["ALICE"], ["'alice' (gateway_users) and 'ALICE' (gateway_api_keys) differ only in letter case", "Rename one"], id="case"),
        pytest.param(["Admin", "admin"], [], ["'Admin' (gateway_users) and 'admin' (gateway_users)"], id="case-among-users"),
        pytest.param(["al ice", "bob"], [None], ["refused: 'al ice', None"], id="unsafe-characters"),
    ],
)
def test_names_that_cannot_tell_clients_apart_are_refused(users: list[object], keys: list[object], fragments: list[str]) -> None:
    with pytest.raises(IdentityError) as refused:
        check_names(users, keys)
    for fragment in fragments:
        assert fragment in str(refused.value)
