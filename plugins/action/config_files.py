# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for ollama_remote.proxy.config_files: write a set of files together, validate, roll back on failure."""

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleActionFail

from ansible_collections.ollama_remote.proxy.plugins.plugin_utils._file_action import FileActionBase
from ansible_collections.ollama_remote.proxy.plugins.plugin_utils._target_files import TargetFiles

ARGUMENT_SPEC: dict[str, t.Any] = {
    "files": {
        "type": "list",
        "elements": "dict",
        "required": True,
        "options": {"path": {"type": "str", "required": True}, "content": {"type": "str", "required": True}, "force": {"type": "bool"}},
    },
    "directories": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {"path": {"type": "str", "required": True}, "owner": {"type": "str"}, "group": {"type": "str"}, "mode": {"type": "raw"}},
    },
    "absent": {"type": "list", "elements": "str", "default": []},
    "force": {"type": "bool", "default": True},
    "secret": {"type": "bool", "default": False},
    "validate": {"type": "str"},
}


class ActionModule(FileActionBase):
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def manage(self, args: dict[str, t.Any], target: TargetFiles) -> dict[str, t.Any]:
        paths = [item["path"] for item in args["files"]] + args["absent"]
        if len(set(paths)) != len(paths):
            raise AnsibleActionFail("each path may appear only once in files and absent")
        wanted: dict[str, bytes | None] = {}
        for item in args["files"]:
            text = item["content"] if item["content"].endswith("\n") or not item["content"] else item["content"] + "\n"
            if target.windows:
                text = text.replace("\r\n", "\n").replace("\n", "\r\n")
            wanted[item["path"]] = text.encode("utf-8")
        wanted.update(dict.fromkeys(args["absent"]))
        kept = [item["path"] for item in args["files"] if not (args["force"] if item["force"] is None else item["force"])]
        target.survey([d["path"] for d in args["directories"]] + paths)  # one look for everything below
        changed = target.directories(args["directories"])
        changes = target.changes(wanted, keep_existing=kept)
        changed |= target.apply(changes, attributes=self.attributes(args), validate=args["validate"])
        result: dict[str, t.Any] = {"changed": changed, "changed_paths": [c.path for c in changes if c.differs]}
        if self._task.diff and not args["secret"]:
            result["diff"] = [
                {"before_header": c.path, "after_header": c.path, "before": (c.old or b"").decode("utf-8", "replace"), "after": (c.new or b"").decode("utf-8")}
                for c in changes
                if c.differs
            ]
        return result
