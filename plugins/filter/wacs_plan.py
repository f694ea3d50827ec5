# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# The logic lives in plugins/module_utils/_wacs.py.

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleFilterError

from ansible_collections.ollama_remote.proxy.plugins.module_utils._acme import AcmeError
from ansible_collections.ollama_remote.proxy.plugins.module_utils._wacs import wacs_plan

DOCUMENTATION = r"""
name: wacs_plan
short_description: The unattended wacs.exe command line of simple-acme or win-acme for an nginx webroot
version_added: 0.1.0
description:
  - Builds the C(wacs.exe) command that creates (or replaces) one renewal for nginx on Windows, with the option names of
    the clients' documentation (win-acme 2.2.9.1701 C(reference/cli.md); simple-acme C(_data/arguments.yml)), and
    says where the client puts its results.
  - The command uses the manual source, C(filesystem) validation into the webroot nginx serves at
    C(/.well-known/acme-challenge/), the PEM files store and a script installation. It never sets a common name (the
    client takes the first DNS name and never an IP address) and never uses C(--test) (staging is a C(--baseuri)).
  - C(--profile) is added only for simple-acme 2.3.5 or later and only when the ACME server announces the profile.
    With O(_input.profile=auto), IP identifiers get C(shortlived), which Let's Encrypt requires for IP certificates.
  - Raises an error naming the problem for a request the client or CA would refuse.
positional: _input
options:
  _input:
    description: The request.
    type: dict
    required: true
    suboptions:
      client:
        description: V(simple-acme) or V(win-acme).
        type: str
        default: simple-acme
      version:
        description: Client version, for example V(2.3.5.2195).
        type: str
        required: true
      executable:
        description: Absolute path of C(wacs.exe).
        type: str
        required: true
      identifiers:
        description: DNS names and IP addresses to certify.
        type: list
        elements: str
        required: true
      directory_url:
        description: ACME directory URL.
        type: str
        required: true
      terms_agreed:
        description: Must be V(true); becomes C(--accepttos).
        type: bool
        required: true
      email:
        description: Account e-mail address (optional).
        type: str
      eab_kid:
        description: External account binding key identifier.
        type: str
      eab_hmac_key:
        description: External account binding key (base64url).
        type: str
      eab_algorithm:
        description: V(HS256), V(HS384) or V(HS512).
        type: str
        default: HS256
      key_type:
        description: V(ec) or V(rsa) (C(--csr)).
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
      pem_path:
        description: Folder the PEM files are written to.
        type: str
        required: true
      pem_name:
        description: Prefix of the PEM file names.
        type: str
        required: true
      script:
        description: Script run after every new certificate (installs it and reloads nginx).
        type: str
        required: true
      script_parameters:
        description: C(--scriptparameters) for the script.
        type: str
      renewal_id:
        description: Id of the renewal (C(<id>.renewal.json)).
        type: str
        required: true
      program_data:
        description: The machine's ProgramData folder, where the client keeps its configuration.
        type: str
        default: C:/ProgramData
author:
  - Ollama Remote maintainers (@ollama-remote)
"""

EXAMPLES = r"""
- name: Request the certificate
  ansible.windows.win_command:
    argv: "{{ plan.argv }}"
  vars:
    plan: >-
      {{ {'version': '2.3.5.2195', 'executable': 'C:/Program Files/simple-acme/2.3.5.2195/wacs.exe',
          'identifiers': ['gateway.example.net'], 'directory_url': 'https://acme-v02.api.letsencrypt.org/directory',
          'terms_agreed': true, 'webroot': 'C:/nginx/html-acme', 'pem_path': 'C:/nginx/conf/tls/acme',
          'pem_name': 'ollama-gateway', 'script': 'C:/nginx/conf/tls/acme/install.bat', 'renewal_id': 'ollama-gateway'}
         | ollama_remote.proxy.wacs_plan }}
"""

RETURN = r"""
_value:
  description: The plan.
  type: dict
  contains:
    argv:
      description: The create-renewal command, one argument per element.
      type: list
      elements: str
    setup_task_argv:
      description: The command that creates or repairs the renewal's scheduled task.
      type: list
      elements: str
    task_name:
      description: Name of the scheduled task the client creates, C(<client> renew (<cleaned base URI>)).
      type: str
    config_dir:
      description: The client's configuration folder for this ACME server.
      type: str
    renewal_file:
      description: The renewal's C(.renewal.json) file.
      type: str
    settings_file:
      description: The client's C(settings.json) for this ACME server, which it merges over its program settings.
      type: str
    settings:
      description:
        - What that file holds, as a dictionary. ARI stays on (C(ScheduledTask.RenewalDisableServerSchedule)), and for
          the C(shortlived) profile C(ScheduledTask.RenewalMinimumValidDays) is 3, so a 160-hour certificate renews at
          about half its life instead of on every daily run.
      type: dict
    pem_files:
      description: Paths of the C(certificate), C(fullchain) and C(key) PEM files the store writes.
      type: dict
    profile:
      description: The profile requested, or an empty string.
      type: str
    fingerprint:
      description: SHA-256 of the request without secrets and program path; it changes when the request changes.
      type: str
    notes:
      description: Things the user should know, such as a profile not requested because the server has none.
      type: list
      elements: str
    identifiers:
      description: The identifiers, normalised.
      type: list
      elements: str
    wanted_profile:
      description:
        - The profile the request asks for before the server's profiles are known (V(shortlived) for IP addresses
          under C(profile=auto)); empty for none.
        - Only when it is not empty does the plan depend on O(_input.server_profiles), so a plan made without them is
          final otherwise.
      type: str
    secret:
      description: Whether C(argv) holds a secret (the EAB key), so the task running it needs C(no_log).
      type: bool
"""


def wacs_plan_filter(settings: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    if not isinstance(settings, t.Mapping):
        raise AnsibleFilterError("wacs_plan takes a dictionary")
    try:
        return wacs_plan(settings).as_dict()
    except AcmeError as exc:
        raise AnsibleFilterError(f"wacs_plan: {exc}") from None


class FilterModule:
    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"wacs_plan": wacs_plan_filter}
