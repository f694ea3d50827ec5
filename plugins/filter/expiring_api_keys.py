# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import datetime
import typing as t

from ansible.errors import AnsibleFilterError

from ansible_collections.ollama_remote.proxy.plugins.module_utils import _api_keys

DOCUMENTATION = r"""
name: expiring_api_keys
short_description: What to say about API keys that have expired or expire soon
version_added: 0.2.0
description:
  - Reads the C(expires) dates of a gateway's API keys (C(YYYY-MM-DD), the last day a key is accepted) and returns
    one sentence per key that has expired or expires within O(within_days) days, by the controller's date.
  - Never shows a key, only its name.
positional: _input
options:
  _input:
    description: The keys, as in C(gateway_api_keys) (C(name), optional C(expires); other fields are ignored).
    type: list
    elements: dict
    required: true
  within_days:
    description: How many days ahead to look.
    type: int
    default: 14
"""

EXAMPLES = r"""
- name: Say which keys to rotate
  ansible.builtin.debug:
    msg: "{{ gateway_api_keys | ollama_remote.proxy.expiring_api_keys(14) }}"
"""

RETURN = r"""
_value:
  description: One sentence per key, in the keys' order; empty when none is due.
  type: list
  elements: str
"""


def expiring_api_keys(keys: t.Any, within_days: t.Any = 14, today: datetime.date | None = None) -> list[str]:
    if not isinstance(keys, list) or not all(isinstance(key, t.Mapping) for key in keys):
        raise AnsibleFilterError("expiring_api_keys takes a list of keys (name, expires)")
    try:
        expiries = _api_keys.parse_expiry([{"name": key.get("name"), "expires": key.get("expires")} for key in keys])
        days = int(within_days)
    except (_api_keys.ApiKeysError, ValueError) as exc:
        raise AnsibleFilterError(f"expiring_api_keys: {exc}") from None
    day = today or datetime.date.today()
    said = [f"API key {entry.name!r} expired on {entry.expires.isoformat()}: the gateway no longer accepts it" for entry in _api_keys.expired(expiries, day)]
    said += [
        f"API key {entry.name!r} expires on {entry.expires.isoformat()}, in {entry.days_left(day)} days: rotate it"
        for entry in _api_keys.expiring(expiries, day, days)
    ]
    return said


class FilterModule:
    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"expiring_api_keys": expiring_api_keys}
