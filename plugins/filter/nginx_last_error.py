# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleFilterError

from ansible_collections.ollama_remote.proxy.plugins.module_utils import _nginx_log

DOCUMENTATION = r"""
name: nginx_last_error
short_description: The line of nginx's error log that says why it refused something
version_added: 0.2.0
description:
  - Returns the last line logged at C([emerg]), C([alert]) or C([crit]) among the last lines of an nginx error log, or
    the last line when there is none. A reload that nginx rejects (a port it cannot bind, say) exits 0 and says why
    only there.
positional: _input
options:
  _input:
    description: The error log's text.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Say why nginx kept its old configuration
  ansible.builtin.fail:
    msg: "{{ error_log.content | b64decode | ollama_remote.proxy.nginx_last_error }}"
"""

RETURN = r"""
_value:
  description: One line of the log.
  type: str
"""


def nginx_last_error(log: t.Any) -> str:
    if not isinstance(log, str):
        raise AnsibleFilterError("nginx_last_error takes the error log as text")
    return _nginx_log.last_error(log)


class FilterModule:
    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"nginx_last_error": nginx_last_error}
