# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Note that this doc fragment is **PRIVATE** to the collection. It can have breaking changes at any time.

from __future__ import annotations


class ModuleDocFragment:
    # Options and attributes of every plugin that manages files on the target through slurp and copy/win_copy.
    DOCUMENTATION = r"""
options:
  owner:
    description: Owner of the file (POSIX targets; ignored with a warning on Windows, where ACLs apply).
    type: str
  group:
    description: Group of the file (POSIX targets only).
    type: str
  mode:
    description: Permissions of the file, as for M(ansible.builtin.copy) (POSIX targets only).
    type: raw
attributes:
  action:
    description: Runs on the controller; reads and writes the target's files through standard modules.
    support: full
  check_mode:
    description: Reports what would change without writing.
    support: full
  idempotent:
    description: A second run with the same arguments changes nothing.
    support: full
  platform:
    description: Targets it can manage files on.
    support: full
    platforms: [posix, windows]
"""
