# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# The logic lives in plugins/action/gateway_files.py; this file holds the documentation.

from __future__ import annotations

DOCUMENTATION = r"""
module: gateway_files
short_description: All of a gateway's nginx files in one task - configuration, users, API keys and allowlist
version_added: 0.3.0
description:
  - Does what M(ollama_remote.proxy.config_files), M(ollama_remote.proxy.htpasswd), M(ollama_remote.proxy.api_keys)
    and M(ollama_remote.proxy.access_rules) do, for one gateway, in one task. One find (win_find) looks at every file
    and directory; only the users file is read whole (its hashes are salted), and a file about to be replaced, to put
    it back. Every changed file is written, then O(validate) runs once, and when it fails every change is undone.
  - A run that changes nothing costs two module runs, where the four tasks take five or more. The parts report as
    their plugins do, under their names; a failure names the part.
options:
  files:
    description: The configuration files to write.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Path on the target.
        type: str
        required: true
      content:
        description: Full content of the file.
        type: str
        required: true
      force:
        description: O(force) for this file alone; unset, the task's O(force) applies.
        type: bool
  users:
    description:
      - The users file, with the options of M(ollama_remote.proxy.htpasswd) (its own O(owner), O(group) and O(mode)
        included). Its file is the one the task reads whole, since its hashes are salted.
    type: dict
  api_keys:
    description: The API key map, with the options of M(ollama_remote.proxy.api_keys) but O(validate).
    type: dict
  access:
    description: The allowlist, with the options of M(ollama_remote.proxy.access_rules) but O(validate).
    type: dict
  validate:
    description:
      - Command run on the target once every file of the task is written; V(%s) is replaced by the first path
        written. When it fails, every file the task changed is put back.
    type: str
extends_documentation_fragment:
  - ollama_remote.proxy._config_files
  - ollama_remote.proxy._target_file
attributes:
  diff_mode:
    description: Each configuration file unless O(secret), and the names of users and keys (never a password, hash or key).
    support: full
author:
  - Ollama Remote maintainers (@ollama-remote)
"""

EXAMPLES = r"""
- name: The gateway's configuration, users, keys and allowlist, checked together by nginx -t
  ollama_remote.proxy.gateway_files:
    files:
      - path: /etc/nginx/conf.d/ollama-gateway.conf
        content: "{{ lookup('ansible.builtin.template', 'ollama-gateway.conf.j2') }}"
    mode: "0644"
    users:
      path: /etc/nginx/ollama-gateway/users.htpasswd
      users: "{{ gateway_users }}"
      exclusive: true
      group: www-data
      mode: "0640"
    api_keys:
      path: /etc/nginx/ollama-gateway/api-keys.map
      keys: "{{ gateway_api_keys }}"
      mode: "0600"
    access:
      path: /etc/nginx/ollama-gateway/access.conf
      rules: [{allow: 192.0.2.0/24}]
      mode: "0600"
    validate: nginx -t -q
"""

RETURN = r"""
checksums:
  description:
    - The SHA-1 of each file of O(files) and of each path of O(look) once the task is done (as it would be, in check
      mode), from the single look; V(null) where there is no file (nothing there, or a directory).
    - A file kept by O(force=false) reports what it holds, not O(files[].content).
  returned: success
  type: dict
  sample: {"/etc/nginx/conf.d/ollama-gateway.conf": "8843d7f92416211de9ebb963ff4ce28125932878"}
changed_paths:
  description: Paths whose content changed (or would change in check mode), of every part.
  returned: success
  type: list
  elements: str
users:
  description: What M(ollama_remote.proxy.htpasswd) returns (C(path), C(scheme), C(added), C(updated), C(removed)).
  returned: when O(users) is given
  type: dict
api_keys:
  description: What M(ollama_remote.proxy.api_keys) returns (C(added), C(updated), C(removed), C(expired), C(expiring)).
  returned: when O(api_keys) is given
  type: dict
access:
  description: What M(ollama_remote.proxy.access_rules) returns (C(path), C(rules), C(check) for geo).
  returned: when O(access) is given
  type: dict
"""
