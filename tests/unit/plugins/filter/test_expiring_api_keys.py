# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import datetime

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.ollama_remote.proxy.plugins.filter.expiring_api_keys import expiring_api_keys

TODAY = datetime.date(2026, 11, 30)


def test_expired_and_soon_expiring_keys_are_named_never_shown() -> None:
    keys = [
        {"name": "old", "key": "secret-old-key-value-xxxxxxxxxxxxxxxx", "expires": "2026-11-01"},
        {"name": "soon", "key": "secret-soon-key-value-xxxxxxxxxxxxxxx", "expires": "2026-12-05", "admin": True},
        {"name": "later", "key": "secret-later-key-value-xxxxxxxxxxxxxx", "expires": "2027-03-01"},
        {"name": "forever", "key": "secret-forever-key-value-xxxxxxxxxxxx"},
    ]
    said = expiring_api_keys(keys, "14", today=TODAY)
    assert said == [
        "API key 'old' expired on 2026-11-01: the gateway no longer accepts it",
        "API key 'soon' expires on 2026-12-05, in 5 days: rotate it",
    ]
    assert expiring_api_keys(keys, 100, today=TODAY)[-1] == "API key 'later' expires on 2027-03-01, in 91 days: rotate it"
    assert not any("secret" in sentence for sentence in said)


@pytest.mark.parametrize(("keys", "message"), [("langflow", "takes a list of keys"), ([{"name": "k", "expires": "soon"}], "expires must be a date")])
def test_bad_input_is_explained(keys: object, message: str) -> None:
    with pytest.raises(AnsibleFilterError, match=message):
        expiring_api_keys(keys)
