# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# The logic lives in plugins/action/htpasswd.py; this file holds the documentation.

from __future__ import annotations

DOCUMENTATION = r"""
module: htpasswd
short_description: Manage many users of an nginx htpasswd file in one task, on Windows and POSIX targets
version_added: 0.1.0
description:
  - Adds, updates and removes users of an htpasswd file that nginx C(auth_basic) reads.
  - Runs on the controller as an action plugin, so it works on Windows targets over WinRM as well as on POSIX
    targets. The file is read with slurp and written with copy (POSIX) or win_copy plus a rename (Windows);
    the write is atomic on both.
  - Hashing happens on the controller with passlib (install it as C(libpass)). Nothing needs Python or passlib
    on the target.
  - A present user is left alone when its stored hash verifies against the given password with the wanted
    scheme; a different scheme or password gets a new hash. Comments, blank lines and users the task does not
    list keep their place.
  - Neither passwords nor hashes appear in results or diffs. The diff lists user names with their scheme.
options:
  path:
    description: Path of the htpasswd file on the target.
    type: str
    required: true
    aliases: [dest]
  users:
    description: The users to manage.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
          - User name. It cannot be empty, contain V(:) or a control character, or start with V(#).
        type: str
        required: true
      password:
        description:
          - Password in clear text; it is hashed on the controller and never shown.
          - Required for a present user when O(update_password=always), and for a new user in every case.
        type: str
      state:
        description: Whether the user should be in the file.
        type: str
        choices: [present, absent]
        default: present
  exclusive:
    description:
      - When V(true), remove every user not listed in O(users) and drop lines that are not C(name:hash) entries.
      - When V(false), such a line is an error, reported with its line number, and the file is left untouched.
    type: bool
    default: false
  update_password:
    description:
      - V(always) rehashes a user whose stored hash does not verify against the password with the wanted scheme.
      - V(on_create) sets a password only for new users and never touches existing hashes.
    type: str
    choices: [always, on_create]
    default: always
  hash_scheme:
    description:
      - The scheme new hashes are written with. nginx checks the hash on every request, so the scheme is a
        per-request cost as well as a strength.
      - V(auto) picks V(apr1) for a Windows target and V(sha512_crypt) for a POSIX target.
      - V(apr1) (Apache MD5-crypt, 1000 rounds) and V(ssha) (salted SHA-1, one round) are built into nginx on every
        platform. They are fast hashes, so use long random secrets with them.
      - V(sha256_crypt), V(sha512_crypt) (5000 rounds each) and V(bcrypt) (cost 10, written as C($2y$)) go through the
        system's C(crypt(3)) and so work only on Linux; bcrypt needs libxcrypt (Debian 12, Ubuntu 24.04, Fedora).
      - nginx for Windows has no C(crypt(3)) and compares such entries as plain text, so asking for them on a Windows
        target is an error.
      - For the same reason, on a Windows target an existing entry that nginx for Windows cannot verify (anything but
        C($apr1$), C({SSHA}), C({SHA}) and C({PLAIN}), for example a C($6$) line copied from Linux) is hashed again
        whatever O(update_password) says. If this task does not give that user's password, remove the user, or drop
        it with O(exclusive), the task fails and writes nothing, since the stored hash string would be accepted as
        the password.
      - 'Measured through nginx 1.22 on one worker (requests per second): none 70000, ssha 66000, apr1 7400,
        sha512_crypt 650, bcrypt 21.'
    type: str
    choices: [auto, apr1, ssha, sha256_crypt, sha512_crypt, bcrypt]
    default: auto
  min_password_length:
    description: Shortest password accepted.
    type: int
    default: 12
  create:
    description: Create the file when it does not exist. When V(false), a missing file is an error.
    type: bool
    default: true
extends_documentation_fragment:
  - ollama_remote.proxy._target_file
attributes:
  diff_mode:
    description: Shows what changes.
    support: full
    details: The diff shows user names and schemes, never a hash.
notes:
  - nginx re-reads the file on every request, so changes take effect without a reload.
  - A missing htpasswd file makes nginx answer 403, not 401.
seealso:
  - module: ollama_remote.proxy.access_rules
author:
  - Ollama Remote maintainers (@ollama-remote)
"""

EXAMPLES = r"""
- name: Gateway users
  ollama_remote.proxy.htpasswd:
    path: /etc/nginx/ollama.htpasswd
    users:
      - name: alice
        password: "{{ vault_alice_password }}"
      - name: bob
        state: absent
    owner: root
    group: www-data
    mode: "0640"
  no_log: true

- name: Exactly these users on a Windows gateway (apr1 is chosen automatically)
  ollama_remote.proxy.htpasswd:
    path: C:/nginx/conf/ollama.htpasswd
    users: "{{ gateway_users }}"
    exclusive: true
  no_log: true
"""

RETURN = r"""
path:
  description: The file managed.
  returned: success
  type: str
  sample: /etc/nginx/ollama.htpasswd
scheme:
  description: The scheme new hashes were (or would be) written with.
  returned: success
  type: str
  sample: sha512_crypt
added:
  description: Users added.
  returned: success
  type: list
  elements: str
  sample: [alice]
updated:
  description: Users whose hash was replaced (new password or new scheme), or whose duplicate lines were removed.
  returned: success
  type: list
  elements: str
  sample: []
removed:
  description: Users removed.
  returned: success
  type: list
  elements: str
  sample: [bob]
"""
