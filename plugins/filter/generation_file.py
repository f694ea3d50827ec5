# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleFilterError

from ansible_collections.ollama_remote.proxy.plugins.module_utils import _generation

DOCUMENTATION = r"""
name: generation_file
short_description: The gateway's configuration generation file for a generation, and its checksum
version_added: 0.3.0
description:
  - Each reload of the gateway stamps a new generation, a word of lowercase letters and digits, into a file nginx
    includes; nginx serves it to the host itself. C(nginx -s reload) exits 0 even when the running nginx rejects the new
    configuration, so the run asks nginx for the generation after each reload.
  - Returns the file's line, C(return 200 "<generation>\\n";) or the stand-in C(return 404;) for an empty generation,
    and the SHA-1 of the file as M(ollama_remote.proxy.config_files) writes it. Comparing that checksum with the one
    the configuration task reports (its RV(ollama_remote.proxy.config_files#module:checksums)) tells whether nginx
    serves the file on disk, without reading it.
positional: _input, windows
options:
  _input:
    description:
      - The generation, lowercase letters and digits; empty or V(null) for the stand-in.
      - Any other text (what else answered on the generation's address) gets V(null) for both, and so matches no file.
    type: str
    required: true
  windows:
    description: Whether the file is written on a Windows target (CRLF line ends).
    type: bool
    required: true
"""

EXAMPLES = r"""
- name: Stamp the generation
  ollama_remote.proxy.config_files:
    files:
      - path: /etc/nginx/ollama-gateway/generation.conf
        content: "{{ (generation | ollama_remote.proxy.generation_file(false)).content }}"

- name: Reload when nginx serves another generation than the file on disk
  ansible.builtin.debug:
    msg: reloading
  changed_when: true
  notify: Reload nginx
  when: (served_generation | ollama_remote.proxy.generation_file(false)).checksum != written.checksums[generation_path]
"""

RETURN = r"""
_value:
  description: The file.
  type: dict
  contains:
    content:
      description: Its nginx line, without a final newline; V(null) for a text that is no generation.
      type: str
      returned: always
    checksum:
      description: Its SHA-1 once written; V(null) for a text that is no generation.
      type: str
      returned: always
"""


def generation_file(generation: t.Any, windows: t.Any) -> dict[str, str | None]:
    if not isinstance(windows, bool):
        raise AnsibleFilterError("generation_file needs whether the target is Windows (true or false)")
    text = None if generation is None else str(generation)
    return {"content": _generation.directive(text), "checksum": _generation.file_checksum(text, windows=windows)}


class FilterModule:
    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"generation_file": generation_file}
