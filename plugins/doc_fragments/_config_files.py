# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Note that this doc fragment is **PRIVATE** to the collection. It can have breaking changes at any time.

from __future__ import annotations


class ModuleDocFragment:
    # The options config_files and gateway_files share (beside `files`, which only config_files requires).
    DOCUMENTATION = r"""
options:
  directories:
    description:
      - Directories made before the files are written, parents first. Each gets its owner, group and mode on POSIX
        targets (the task's O(owner), O(group) and O(mode) are for the files).
      - Checked in the same single look as the files, so directories that are right cost nothing more.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Path on the target.
        type: str
        required: true
      owner:
        description: Owner (POSIX targets only).
        type: str
      group:
        description: Group (POSIX targets only).
        type: str
      mode:
        description: Permissions, as for M(ansible.builtin.file) (POSIX targets only).
        type: raw
  absent:
    description:
      - Paths that must not exist, removed with the files' writes and put back (as regular files) when O(validate)
        fails. For a file that would clash with the new ones, such as a distribution's default site.
    type: list
    elements: str
    default: []
  look:
    description:
      - Further paths to look at in the same single look, without managing them; RV(checksums) reports what is there.
        For the files a later task needs to know about, such as programs already unpacked or a certificate already
        issued.
    type: list
    elements: str
    default: []
  force:
    description:
      - When V(false), only files that do not exist yet are written; existing ones are left as they are (placeholders
        that a later task fills in).
    type: bool
    default: true
  secret:
    description: Leave the content out of the diff (for keys and certificates).
    type: bool
    default: false
"""
