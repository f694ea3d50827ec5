# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# The logic lives in plugins/action/config_files.py; this file holds the documentation.

from __future__ import annotations

DOCUMENTATION = r"""
module: config_files
short_description: Write a set of configuration files together, validate them, and roll all back on failure
version_added: 0.1.0
description:
  - Makes the O(directories) that are missing, then writes each file atomically (copy on POSIX, win_copy and a rename
    on Windows), then runs O(validate) once. One find (win_find) tells what is already right, so a run that changes
    nothing costs one module run.
    When the command fails, every file the task changed is put back as it was (or removed if it was new), and the
    task fails with the command's output. The service keeps running on the old configuration.
  - Meant for configurations split over several files, such as nginx's, where no single file can be checked alone.
  - Content is rendered by the caller, typically with C(lookup('ansible.builtin.template', ...)). On Windows targets
    line endings become CRLF.
options:
  files:
    description: The files to write.
    type: list
    elements: dict
    required: true
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
  validate:
    description: Command run on the target once every file is written; V(%s) is replaced by the first path.
    type: str
extends_documentation_fragment:
  - ollama_remote.proxy._config_files
  - ollama_remote.proxy._target_file
attributes:
  diff_mode:
    description: Shows each changed file, unless O(secret).
    support: full
author:
  - Ollama Remote maintainers (@ollama-remote)
"""

EXAMPLES = r"""
- name: nginx configuration, checked before it goes live
  ollama_remote.proxy.config_files:
    files:
      - path: /etc/nginx/conf.d/ollama-gateway.conf
        content: "{{ lookup('ansible.builtin.template', 'gateway.conf.j2') }}"
    validate: nginx -t
    mode: "0644"
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
  description: Paths whose content changed (or would change in check mode).
  returned: success
  type: list
  elements: str
"""
