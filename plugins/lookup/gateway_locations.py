# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: gateway_locations
short_description: The nginx locations that pass Ollama's routes on, with their methods and who may use them
version_added: 0.2.0
description:
  - Returns one entry per kind of Ollama route, from the collection's table of Ollama's routes (its C(server/routes.go)).
    A kind is the methods a route serves, whether only admins may use it, and whether it carries model uploads.
  - The gateway role renders one nginx C(location) per entry, refuses other methods with 405, and refuses
    non-admins on admin routes with 403.
  - Takes no terms.
"""

EXAMPLES = r"""
- name: Show the routes the gateway passes on
  ansible.builtin.debug:
    msg: "{{ query('ollama_remote.proxy.gateway_locations') }}"
"""

RETURN = r"""
_list:
  description: The locations.
  type: list
  elements: dict
  contains:
    regex:
      description: The anchored PCRE for C(location ~).
      type: str
    methods:
      description: The methods Ollama serves there.
      type: list
      elements: str
    allow_header:
      description: The methods as an C(Allow) header value.
      type: str
    admin:
      description: Whether only admins may use these routes.
      type: bool
    upload:
      description: Whether requests carry model files (no size limit, not spooled to disk).
      type: bool
"""


import typing as t

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.ollama_remote.proxy.plugins.module_utils import _ollama_routes


class LookupModule(LookupBase):
    def run(self, terms: list[t.Any], variables: dict[str, t.Any] | None = None, **kwargs: t.Any) -> list[dict[str, t.Any]]:
        if terms:
            raise AnsibleLookupError("gateway_locations takes no terms")
        return [location.as_dict() for location in _ollama_routes.locations()]
