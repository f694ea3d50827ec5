# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleFilterError

from ansible_collections.ollama_remote.proxy.plugins.module_utils import _exposure

DOCUMENTATION = r"""
name: exposed_addresses
short_description: The addresses other than loopback where a port listens
version_added: 0.3.0
description:
  - Ollama has no authentication, so its port must listen on loopback only (127.0.0.0/8, C(::1)); on any other
    address clients could bypass the gateway. This filter names those other addresses, on Linux and Windows alike.
positional: _input, port
options:
  _input:
    description:
      - The listeners, either the lines of C(ss -Hltn) (Linux) or the C(tcp_listen) facts of
        M(ansible.windows.win_listen_ports_facts) (Windows).
    type: list
    elements: raw
    required: true
  port:
    description: The port.
    type: int
    required: true
"""

EXAMPLES = r"""
- name: Fail if Ollama is reachable without the gateway
  ansible.builtin.assert:
    that: exposed == []
    fail_msg: "Port 11434 listens on {{ exposed | join(', ') }}"
  vars:
    exposed: "{{ ansible_facts['tcp_listen'] | ollama_remote.proxy.exposed_addresses(11434) }}"
"""

RETURN = r"""
_value:
  description: The addresses, as the listeners give them (C(*) is every address); empty when the port is on loopback only.
  type: list
  elements: str
"""


def exposed_addresses(listeners: t.Any, port: t.Any) -> list[str]:
    if not isinstance(listeners, list) or not all(isinstance(item, (str, t.Mapping)) for item in listeners):
        raise AnsibleFilterError("exposed_addresses takes the lines of ss -Hltn or the tcp_listen facts")
    try:
        return _exposure.exposed_addresses(listeners, int(port))
    except (TypeError, ValueError) as e:
        raise AnsibleFilterError(f"exposed_addresses: {e}") from e


class FilterModule:
    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"exposed_addresses": exposed_addresses}
