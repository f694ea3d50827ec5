# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleFilterError

from ansible_collections.ollama_remote.proxy.plugins.module_utils import _windows

DOCUMENTATION = r"""
name: foreign_listeners
short_description: Which other programs hold the ports a Windows gateway needs
version_added: 0.2.0
description:
  - Reads the C(tcp_listen) facts of M(ansible.windows.win_listen_ports_facts) and names every listener on one of the
    given ports whose process is not one of ours, so a role can stop before nginx fails to bind and its service
    restarts in a loop. HTTP.sys listeners (IIS and other http.sys services, process System with pid 4) are named as
    such.
positional: _input, ports, own
options:
  _input:
    description: The C(tcp_listen) facts.
    type: list
    elements: dict
    required: true
  ports:
    description: The ports the gateway listens on.
    type: list
    elements: int
    required: true
  own:
    description: Process names that are ours (compared without case and without C(.exe)).
    type: list
    elements: str
    default: [nginx]
"""

EXAMPLES = r"""
- name: Fail if another program holds the gateway's ports
  ansible.builtin.assert:
    that: holders | length == 0
    fail_msg: "{{ holders | join('; ') }}"
  vars:
    holders: "{{ ansible_facts['tcp_listen'] | ollama_remote.proxy.foreign_listeners([80, 443]) }}"
"""

RETURN = r"""
_value:
  description: One sentence per foreign listener, for example C(port 80 on 0.0.0.0 is held by HTTP.sys ... (pid 4)).
  type: list
  elements: str
"""


def foreign_listeners(listeners: t.Any, ports: t.Any, own: t.Any = ("nginx",)) -> list[str]:
    if not isinstance(listeners, list) or not isinstance(ports, list):
        raise AnsibleFilterError("foreign_listeners takes the tcp_listen facts and a list of ports")
    try:
        return _windows.foreign_listeners(listeners, ports, own)
    except (TypeError, ValueError) as exc:
        raise AnsibleFilterError(f"foreign_listeners: {exc}") from None


class FilterModule:
    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"foreign_listeners": foreign_listeners}
