# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleFilterError

from ansible_collections.ollama_remote.proxy.plugins.module_utils import _health_gate

DOCUMENTATION = r"""
name: health_gate_failures
short_description: What a gateway's answers to the verify role's probe fail of the health gate
version_added: 0.3.0
description:
  - The verify role's probe asks the gateway as an anonymous client, a client and an admin would, and reports what it
    answered. This filter holds those answers against what a working gateway answers. 401 without credentials. 200
    with them. 403 for a client's model management, and the admin's passed on to Ollama. 401 for every replaced
    credential. Ollama's cloud off. A streamed reply that arrives unbuffered.
  - Returns one sentence per failed check, C(<expected>, but got <answer>); an empty list when the gateway passes.
positional: _input
options:
  _input:
    description: The probe's answers (its JSON output).
    type: dict
    required: true
  client:
    description: Whether the gateway has a client who is not an admin (the client check applies).
    type: bool
    required: true
  admin:
    description: Whether the gateway has an admin (the admin check applies).
    type: bool
    required: true
  refused:
    description: Names of replaced credentials the gateway must refuse, in the order the probe tried them.
    type: list
    elements: str
    default: []
  allow_cloud:
    description: Whether Ollama's cloud may be on (C(gateway_allow_cloud)).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Check the answers
  ansible.builtin.assert:
    that: failures == []
    fail_msg: "{{ verify_url }}: {{ failures | join('; ') }}"
  vars:
    failures: "{{ probe.stdout | from_json | ollama_remote.proxy.health_gate_failures(client=true, admin=true) }}"
"""

RETURN = r"""
_value:
  description: The failed checks, as sentences.
  type: list
  elements: str
"""


def health_gate_failures(answer: t.Any, client: t.Any, admin: t.Any, refused: t.Any = (), allow_cloud: t.Any = False) -> list[str]:
    if not isinstance(answer, t.Mapping):
        raise AnsibleFilterError("health_gate_failures takes the probe's answers, a dictionary")
    if not all(isinstance(value, bool) for value in (client, admin, allow_cloud)):
        raise AnsibleFilterError("health_gate_failures: client, admin and allow_cloud are true or false")
    return _health_gate.failures(answer, client=client, admin=admin, refused=[str(name) for name in refused or []], allow_cloud=allow_cloud)


class FilterModule:
    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"health_gate_failures": health_gate_failures}
