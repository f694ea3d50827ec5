# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# The checks are those of the htpasswd, api_keys and access_rules plugins (plugins/module_utils).

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleFilterError

from ansible_collections.ollama_remote.proxy.plugins.module_utils import _access_rules, _api_keys, _gateway_settings, _htpasswd, _identities, _origins, _windows

DOCUMENTATION = r"""
name: gateway_input_problems
short_description: The problems in a gateway's users, keys and rules, found before anything is written
version_added: 0.3.0
description:
  - Runs the checks of M(ollama_remote.proxy.htpasswd), M(ollama_remote.proxy.api_keys) and
    M(ollama_remote.proxy.access_rules) on the controller, so a role can refuse bad input at its first task, before it
    changes anything on the host.
  - Returns the problems found, each a sentence that names the setting and never a secret; an empty list for good
    input. The checks stop at the first problem, so the list holds at most one; fix it and run again.
  - User and key names are checked together. Each must be safe to write into nginx's configuration, and distinct from
    every other, letter case included, because nginx's maps match names without regard to case.
positional: _input
options:
  _input:
    description: The inputs.
    type: dict
    required: true
    suboptions:
      users:
        description: Users as for M(ollama_remote.proxy.htpasswd) (C(name), C(password); other keys are ignored).
        type: list
        elements: dict
      keys:
        description: API keys as for M(ollama_remote.proxy.api_keys) (C(name), C(key); other keys are ignored).
        type: list
        elements: dict
      rules:
        description: Allowlist rules as for M(ollama_remote.proxy.access_rules).
        type: list
        elements: dict
      trusted_networks:
        description: Networks given as addresses or CIDR.
        type: list
        elements: str
      trusted_proxies:
        description: Front proxies, as for M(ollama_remote.proxy.access_rules).
        type: list
        elements: str
      allowed_origins:
        description: Web origins allowed to call the gateway from a browser (C(https://host[:port])).
        type: list
        elements: str
      backends:
        description:
          - The Ollama servers, as C(address:port). With them, the gateway-wide checks run too - someone can get in
            (a user, a key or a trusted network), and a provided certificate names its files.
        type: list
        elements: str
      tls_mode:
        description: C(self_signed), C(provided) or C(acme).
        type: str
      tls_certificate:
        description: With O(_input.tls_mode=provided), the certificate file on the controller.
        type: str
      tls_key:
        description: With O(_input.tls_mode=provided), the key file on the controller.
        type: str
      hash_scheme:
        description: The hash scheme, as for M(ollama_remote.proxy.htpasswd).
        type: str
      windows:
        description: Whether the target runs Windows (decides which hash schemes nginx can verify).
        type: bool
      windows_prefix:
        description: The nginx prefix on a Windows target; checked only when O(_input.windows) is true.
        type: str
      min_password_length:
        description: Shortest password accepted.
        type: int
      min_key_length:
        description: Shortest key accepted.
        type: int
"""

EXAMPLES = r"""
- name: Refuse bad input before changing anything
  ansible.builtin.assert:
    that: problems == []
    fail_msg: "{{ problems | join('; ') }}"
    quiet: true
  vars:
    problems: "{{ {'users': gateway_users, 'keys': gateway_api_keys, 'rules': gateway_allow} | ollama_remote.proxy.gateway_input_problems }}"
"""

RETURN = r"""
_value:
  description: The problems, as sentences; empty when the input is good.
  type: list
  elements: str
"""


INPUT_ERRORS = (
    _htpasswd.HtpasswdError,
    _api_keys.ApiKeysError,
    _access_rules.AccessRulesError,
    _identities.IdentityError,
    _origins.OriginError,
    _gateway_settings.SettingsError,
    _windows.WindowsSettingError,
)


def gateway_input_problems(inputs: t.Mapping[str, t.Any]) -> list[str]:
    if not isinstance(inputs, t.Mapping):
        raise AnsibleFilterError("gateway_input_problems takes a dictionary")
    try:
        scheme = _htpasswd.choose_scheme(inputs.get("hash_scheme", "auto"), windows=bool(inputs.get("windows")))
        users = [{"name": user.get("name"), "password": user.get("password")} for user in inputs.get("users") or []]
        keys = [{"name": key.get("name"), "key": key.get("key"), "expires": key.get("expires")} for key in inputs.get("keys") or []]
        _htpasswd.parse_users(users, min_password_length=int(inputs.get("min_password_length", 12)), scheme=scheme, password_required=True)
        _api_keys.parse_keys(keys, min_key_length=int(inputs.get("min_key_length", 32)))
        _api_keys.parse_expiry(keys)
        _identities.check_names([user["name"] for user in users], [key["name"] for key in keys])
        _access_rules.parse_rules(inputs.get("rules") or [])
        for number, network in enumerate(inputs.get("trusted_networks") or [], 1):
            _access_rules.parse_network(network, what=f"trusted network {number}")
        _access_rules.parse_trusted_proxies(inputs.get("trusted_proxies") or [])
        _origins.parse_origins(inputs.get("allowed_origins") or [])
        if "backends" in inputs:
            _gateway_settings.check_backends(inputs["backends"])
            _gateway_settings.check_someone_can_get_in(users, keys, inputs.get("trusted_networks") or [])
            _gateway_settings.check_tls(inputs.get("tls_mode"), inputs.get("tls_certificate"), inputs.get("tls_key"))
        if inputs.get("windows"):
            _windows.check_prefix(inputs.get("windows_prefix"))
    except INPUT_ERRORS as exc:
        return [str(exc)]
    return []


class FilterModule:
    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"gateway_input_problems": gateway_input_problems}
