# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleFilterError

from ansible_collections.ollama_remote.proxy.plugins.module_utils import _windows

DOCUMENTATION = r"""
name: found_files
short_description: Which of some Windows paths one win_find found, and their checksums
version_added: 0.3.0
description:
  - Reads the C(files) that M(ansible.windows.win_find) returned and tells, for each named path, its checksum (an empty
    string when win_find was asked for none) or V(None) when win_find did not find it. Paths compare as Windows
    compares them, without regard to slashes or letter case.
  - One win_find over several folders answers for many files, where a M(ansible.windows.win_stat) per file costs a
    round trip each.
positional: _input, wanted
options:
  _input:
    description: The C(files) of a win_find result.
    type: list
    elements: dict
    required: true
  wanted:
    description: Names, each mapped to the path it stands for.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Look for the programs
  ansible.windows.win_find:
    paths: C:/nginx/dist
    patterns: [nginx.exe, shawl.exe]
    recurse: true
    depth: 2
  register: found

- name: Download nginx when it is missing
  ansible.windows.win_get_url:
    url: https://nginx.org/download/nginx-1.27.5.zip
    dest: C:/nginx/dist/nginx-1.27.5.zip
  when: unpacked.nginx is none
  vars:
    unpacked: "{{ found.files | ollama_remote.proxy.found_files({'nginx': 'C:/nginx/dist/nginx-1.27.5/nginx.exe'}) }}"
"""

RETURN = r"""
_value:
  description: Each name of O(wanted), mapped to the checksum of its path, or V(None) when it was not found.
  type: dict
"""


def found_files(found: t.Any, wanted: t.Any) -> dict[str, str | None]:
    if not isinstance(found, list) or not isinstance(wanted, t.Mapping):
        raise AnsibleFilterError("found_files takes the files of a win_find result and a mapping of names to paths")
    try:
        return _windows.found_files(found, wanted)
    except (KeyError, TypeError) as exc:
        raise AnsibleFilterError(f"found_files: an entry without {exc}") from None


class FilterModule:
    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"found_files": found_files}
