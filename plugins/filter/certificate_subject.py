# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleFilterError

from ansible_collections.ollama_remote.proxy.plugins.module_utils._acme import certificate_subject as subject

DOCUMENTATION = r"""
name: certificate_subject
short_description: The common name and alternative names of a certificate for some DNS names and IP addresses
version_added: 0.2.0
description:
  - IP addresses (IPv6 with or without brackets) go in the subject alternative names only, as C(IP:); Let's Encrypt
    and careful clients want no IP address in the common name. DNS names go in as C(DNS:), and the first one is the
    common name; with none, O(fallback) is.
positional: _input
options:
  _input:
    description: The names, or one name.
    type: raw
    required: true
  fallback:
    description: The common name when no DNS name is given; empty for none.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: A signing request for the gateway's name or address
  community.crypto.openssl_csr_pipe:
    privatekey_content: "{{ key.privatekey }}"
    common_name: "{{ (gateway_server_name | ollama_remote.proxy.certificate_subject('Ollama gateway')).common_name }}"
    subject_alt_name: "{{ (gateway_server_name | ollama_remote.proxy.certificate_subject).subject_alt_name }}"
"""

RETURN = r"""
_value:
  description: The subject.
  type: dict
  contains:
    common_name:
      description: The first DNS name, or O(fallback).
      type: str
    subject_alt_name:
      description: C(DNS:<name>) and C(IP:<address>) entries, in the given order.
      type: list
      elements: str
"""


def certificate_subject(names: t.Any, fallback: str = "") -> dict[str, t.Any]:
    listed = [names] if isinstance(names, str) else names
    if not isinstance(listed, (list, tuple)) or not listed:
        raise AnsibleFilterError("certificate_subject takes a name or a non-empty list of names")
    return subject(listed, str(fallback))


class FilterModule:
    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"certificate_subject": certificate_subject}
