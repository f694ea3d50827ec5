# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# The logic lives in plugins/module_utils/_certbot.py.

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleFilterError

from ansible_collections.ollama_remote.proxy.plugins.module_utils._acme import AcmeError
from ansible_collections.ollama_remote.proxy.plugins.module_utils._certbot import certbot_plan

DOCUMENTATION = r"""
name: certbot_plan
short_description: The certbot certonly command line for an nginx webroot, checked against the certbot version
version_added: 0.1.0
description:
  - Builds C(certbot certonly --webroot) for one certificate lineage, with a deploy hook, and checks every option
    against the certbot version that introduced it (C(--preferred-profile) 4.0.0, IP addresses with the webroot
    plugin 5.4.0, C(--eab-hmac-alg) 4.2.0).
  - C(--preferred-profile) is added only when the ACME server announces the profile. With O(_input.profile=auto),
    IP identifiers get C(shortlived), which Let's Encrypt requires for IP certificates.
  - Raises an error naming the problem for a request certbot or the CA would refuse.
positional: _input
options:
  _input:
    description: The request.
    type: dict
    required: true
    suboptions:
      version:
        description: certbot's version (C(certbot --version) output works).
        type: str
        required: true
      executable:
        description: Path of certbot.
        type: str
        default: certbot
      identifiers:
        description: DNS names and IP addresses to certify.
        type: list
        elements: str
        required: true
      directory_url:
        description: ACME directory URL (C(--server)).
        type: str
        required: true
      terms_agreed:
        description: Must be V(true); becomes C(--agree-tos).
        type: bool
        required: true
      email:
        description: Account e-mail address; without one, C(--register-unsafely-without-email).
        type: str
      eab_kid:
        description: External account binding key identifier.
        type: str
      eab_hmac_key:
        description: External account binding HMAC key.
        type: str
      eab_algorithm:
        description: V(HS256), V(HS384) or V(HS512).
        type: str
        default: HS256
      key_type:
        description: V(ec) (certbot's C(ecdsa)) or V(rsa).
        type: str
        default: ec
      webroot:
        description: Directory nginx serves C(/.well-known/acme-challenge/) from.
        type: str
        required: true
      profile:
        description: V(auto), an ACME profile name, or an empty string for none.
        type: str
        default: auto
      server_profiles:
        description: Profile names the server's directory announces (C(meta.profiles)); omit when unknown.
        type: list
        elements: str
      cert_name:
        description: Name of the lineage.
        type: str
        required: true
      config_dir:
        description: certbot's C(--config-dir).
        type: str
      work_dir:
        description: certbot's C(--work-dir).
        type: str
      logs_dir:
        description: certbot's C(--logs-dir).
        type: str
      deploy_hook:
        description: Command certbot runs after every new certificate of the lineage, stored for renewals.
        type: str
      force:
        description: Add C(--force-renewal) (the lineage exists and the request changed or its certificate is invalid).
        type: bool
        default: false
author:
  - Ollama Remote maintainers (@ollama-remote)
"""

EXAMPLES = r"""
- name: Request the certificate
  ansible.builtin.command:
    argv: "{{ plan.argv }}"
  vars:
    plan: >-
      {{ {'version': '5.8.0', 'executable': '/opt/ollama-acme/bin/certbot', 'identifiers': ['gateway.example.net'],
          'directory_url': 'https://acme-v02.api.letsencrypt.org/directory', 'terms_agreed': true,
          'webroot': '/var/www/ollama-acme', 'cert_name': 'ollama-gateway'} | ollama_remote.proxy.certbot_plan }}
"""

RETURN = r"""
_value:
  description: The plan.
  type: dict
  contains:
    argv:
      description: The certonly command, one argument per element.
      type: list
      elements: str
    profile:
      description: The profile requested, or an empty string.
      type: str
    fingerprint:
      description: SHA-256 of the request without secrets, program path and C(--force-renewal).
      type: str
    notes:
      description: Things the user should know, such as a profile not requested because the server has none.
      type: list
      elements: str
    identifiers:
      description: The identifiers, normalised.
      type: list
      elements: str
    secret:
      description: Whether C(argv) holds a secret (the EAB key), so the task running it needs C(no_log).
      type: bool
"""


def certbot_plan_filter(settings: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    if not isinstance(settings, t.Mapping):
        raise AnsibleFilterError("certbot_plan takes a dictionary")
    try:
        return certbot_plan(settings).as_dict()
    except AcmeError as exc:
        raise AnsibleFilterError(f"certbot_plan: {exc}") from None


class FilterModule:
    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"certbot_plan": certbot_plan_filter}
