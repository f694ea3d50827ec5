# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# The logic lives in plugins/action/access_rules.py; this file holds the documentation.

from __future__ import annotations

DOCUMENTATION = r"""
module: access_rules
short_description: Manage the ordered nginx allow/deny rules of a gateway, on Windows and POSIX targets
version_added: 0.1.0
description:
  - Writes an nginx IP allowlist from an ordered list of rules, either as C(allow)/C(deny) directives or as a
    C(geo) block for large lists. Both formats make the same decisions.
  - Every rule is checked with Python's C(ipaddress) module. Host names are rejected (nginx C(allow)/C(deny) take
    only addresses), a network with host bits set is an error that names the correct network, an exact
    duplicate is dropped with a warning, and a rule that an earlier broader rule already covers is an error,
    because nginx stops at the first match and the later rule could never apply.
  - Runs on the controller as an action plugin, so it works on Windows targets over WinRM as well as on POSIX
    targets; files on Windows targets get CRLF line endings.
  - With O(validate), the command runs after the new file is in place; when it fails, the previous file is
    put back (or the new one removed) and the task fails with the command's output.
options:
  path:
    description:
      - The file to write. Without O(marker), the plugin owns the whole file (an include file).
      - With O(format=directives), include it in a C(server) or C(location) context; with O(format=geo), in the
        C(http) context.
    type: str
    required: true
    aliases: [dest]
  rules:
    description:
      - Ordered rules, each a one-key mapping C(allow) or C(deny) to an IPv4 or IPv6 address or CIDR network.
      - Put narrower rules before broader ones, for example C(deny 198.51.100.7) before C(allow 198.51.100.0/24).
    type: list
    elements: raw
    default: []
  default:
    description: What happens to every client no rule matches (the final C(deny all;) or C(allow all;)).
    type: str
    choices: [allow, deny]
    default: deny
  format:
    description:
      - V(directives) writes C(allow)/C(deny) lines, checked in order on every request.
      - V(geo) writes a C(geo) block (a radix tree, one lookup whatever the list size) that sets
        C($<geo_variable>) to V(1) for a denied client; the check C(if ($<geo_variable>) { return 403; }) goes in
        the C(server) context, written to O(check_path) or returned as RV(check).
    type: str
    choices: [directives, geo]
    default: directives
  geo_variable:
    description: Name of the variable the C(geo) block sets, without the C($).
    type: str
    default: ollama_access_denied
  check_path:
    description: With O(format=geo), a file to hold the server-level check that uses the C(geo) variable.
    type: str
  marker:
    description:
      - Manage only the lines between C(# BEGIN <marker>) and C(# END <marker>) of an existing file, indented like
        the BEGIN line. Both lines must already be there, where the rules belong.
      - Only with O(format=directives).
    type: str
  trusted_proxies:
    description:
      - Addresses or networks of front proxies whose C(X-Forwarded-For) header gives the client address (nginx
        realip). Only these are trusted; a C(/0) network is refused, since it would let any client pick its own
        address.
    type: list
    elements: str
    default: []
  validate:
    description:
      - Command run on the target after writing, for example C(nginx -t). V(%s) in it is replaced by O(path).
      - On failure every file the task changed is restored and the task fails.
    type: str
extends_documentation_fragment:
  - ollama_remote.proxy._target_file
attributes:
  diff_mode:
    description: Shows what changes.
    support: full
notes:
  - C(allow)/C(deny) directives are inherited only by contexts that define none of their own; include the file in
    every location that defines its own.
  - nginx matches IPv4-mapped IPv6 clients against IPv4 rules.
seealso:
  - module: ollama_remote.proxy.htpasswd
author:
  - Ollama Remote maintainers (@ollama-remote)
"""

EXAMPLES = r"""
- name: Allowlist of the gateway, checked by nginx before it goes live
  ollama_remote.proxy.access_rules:
    path: /etc/nginx/ollama-access.conf
    rules:
      - deny: 198.51.100.7
      - allow: 198.51.100.0/24
      - allow: 2001:db8::/32
      - allow: 203.0.113.42
    default: deny
    validate: nginx -t

- name: Ten thousand networks as a geo block, with its server-level check
  ollama_remote.proxy.access_rules:
    path: /etc/nginx/conf.d/ollama-access-geo.conf
    check_path: /etc/nginx/ollama-access-check.conf
    format: geo
    rules: "{{ office_rules }}"  # [{allow: 192.0.2.0/24}, ...] from a vars file

- name: A marked block inside an existing server block
  ollama_remote.proxy.access_rules:
    path: /etc/nginx/sites-available/ollama
    marker: OLLAMA ACCESS
    rules:
      - allow: 192.0.2.0/24
    trusted_proxies:
      - 10.0.0.5
"""

RETURN = r"""
path:
  description: The file managed.
  returned: success
  type: str
  sample: /etc/nginx/ollama-access.conf
rules:
  description: The rules as written, in order, after duplicates were dropped.
  returned: success
  type: list
  elements: str
  sample: [deny 198.51.100.7, allow 198.51.100.0/24]
check:
  description: With O(format=geo), the server-level check that uses the geo variable.
  returned: when format is geo
  type: str
  sample: "if ($ollama_access_denied) {\n    return 403;\n}"
"""
