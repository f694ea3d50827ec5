# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for ollama_remote.proxy.config_files: write a set of files together, validate, roll back on failure."""

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.ollama_remote.proxy.plugins.plugin_utils._target_files import Change, TargetFiles

ARGUMENT_SPEC: dict[str, t.Any] = {
    "files": {
        "type": "list",
        "elements": "dict",
        "required": True,
        "options": {"path": {"type": "str", "required": True}, "content": {"type": "str", "required": True}},
    },
    "force": {"type": "bool", "default": True},
    "secret": {"type": "bool", "default": False},
    "validate": {"type": "str"},
    "owner": {"type": "str"},
    "group": {"type": "str"},
    "mode": {"type": "raw"},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = True

    def run(self, tmp: t.Any = None, task_vars: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
        self._supports_check_mode = True
        self._supports_async = False
        result = super().run(tmp, task_vars)
        del tmp
        args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1]
        paths = [item["path"] for item in args["files"]]
        if len(set(paths)) != len(paths):
            raise AnsibleActionFail("each path may appear only once in files")
        target = TargetFiles(self, task_vars or {})
        try:
            changes = []
            for item in args["files"]:
                text = item["content"] if item["content"].endswith("\n") or not item["content"] else item["content"] + "\n"
                if target.windows:
                    text = text.replace("\r\n", "\n").replace("\n", "\r\n")
                old = target.read(item["path"])
                new = text.encode("utf-8") if args["force"] or old is None else old
                changes.append(Change(item["path"], old, new))
            attributes = {name: args[name] for name in ("owner", "group", "mode")}
            changed = target.apply(changes, attributes=attributes, validate=args["validate"])
            result.update(changed=changed, changed_paths=[c.path for c in changes if c.differs])
            if self._task.diff and not args["secret"]:
                result["diff"] = [
                    {"before_header": c.path, "after_header": c.path, "before": (c.old or b"").decode("utf-8", "replace"), "after": c.new.decode("utf-8")}
                    for c in changes
                    if c.differs
                ]
            return result
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
