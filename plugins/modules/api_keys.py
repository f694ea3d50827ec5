# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# The logic lives in plugins/action/api_keys.py; this file holds the documentation.

from __future__ import annotations

DOCUMENTATION = r"""
module: api_keys
short_description: Manage the bearer API keys an nginx gateway accepts, on Windows and POSIX targets
version_added: 0.1.0
description:
  - Writes an nginx C(map) include file with one line per key, a regular expression matching C(Bearer <key>). Included in
    C(map $http_authorization $name { default ""; include <path>; }), it turns the C(Authorization) header sent by
    OpenAI SDKs, Open WebUI and ollama-python into the key's name, or an empty string for anything else.
  - Each key is a case-sensitive regular expression because nginx compares a map's plain strings without regard to
    letter case, which would accept a key in any mix of upper and lower case. Only the scheme C(Bearer) is
    case-insensitive.
  - The plugin owns the whole file; the list of keys is the truth, in order.
  - nginx cannot hash bearer tokens, so the keys are stored in clear; the file should be readable by nginx's master
    process only (root on Linux; SYSTEM and Administrators on Windows). Results and diffs show key names only.
  - nginx reads the map when it loads its configuration, so a change needs a reload; use O(validate) to have
    C(nginx -t) check the file first, with the old file put back when it fails.
options:
  path:
    description: The map include file on the target.
    type: str
    required: true
    aliases: [dest]
  keys:
    description: The keys, each with a name (used in logs) and the secret key.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name of the key, letters, digits and C(. _ @ -). It appears in the access log.
        type: str
        required: true
      key:
        description: The secret, letters, digits and C(. _ ~ + / = -) (RFC 6750). Never shown.
        type: str
        required: true
      expires:
        description:
          - The last day the key is accepted, as C(YYYY-MM-DD), by the controller's date. From the next day the key is
            left out of the file, and the run warns that it expired.
        type: str
  min_key_length:
    description: Shortest key accepted.
    type: int
    default: 32
  expiry_warning_days:
    description: Warn about keys that expire within this many days.
    type: int
    default: 14
  validate:
    description: Command run on the target after writing, for example C(nginx -t); on failure the old file is put back.
    type: str
extends_documentation_fragment:
  - ollama_remote.proxy._target_file
attributes:
  diff_mode:
    description: Shows key names, never keys.
    support: full
seealso:
  - module: ollama_remote.proxy.htpasswd
author:
  - Ollama Remote maintainers (@ollama-remote)
"""

EXAMPLES = r"""
- name: Keys for Langflow and Open WebUI
  ollama_remote.proxy.api_keys:
    path: /etc/nginx/ollama-gateway/api-keys.map
    keys:
      - name: langflow
        key: "{{ vault_langflow_key }}"
      - name: open-webui
        key: "{{ vault_open_webui_key }}"
    mode: "0600"
    validate: nginx -t
  no_log: true
"""

RETURN = r"""
path:
  description: The file managed.
  returned: success
  type: str
added:
  description: Names of keys added.
  returned: success
  type: list
  elements: str
updated:
  description: Names of keys whose value changed.
  returned: success
  type: list
  elements: str
removed:
  description: Names of keys removed.
  returned: success
  type: list
  elements: str
expired:
  description: Names of keys left out because their O(keys[].expires) date has passed.
  returned: success
  type: list
  elements: str
expiring:
  description: Keys that expire within O(expiry_warning_days) days.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: The key's name.
      type: str
    expires:
      description: The last day it is accepted.
      type: str
    days_left:
      description: Days from today to that day (0 on the last day).
      type: int
"""
