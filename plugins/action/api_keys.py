# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for ollama_remote.proxy.api_keys: renders the bearer-key map on the controller."""

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleActionFail

from ansible_collections.ollama_remote.proxy.plugins.module_utils import _api_keys as core
from ansible_collections.ollama_remote.proxy.plugins.plugin_utils._file_action import FileActionBase
from ansible_collections.ollama_remote.proxy.plugins.plugin_utils._target_files import Change, TargetFiles

ARGUMENT_SPEC: dict[str, t.Any] = {
    "path": {"type": "str", "required": True, "aliases": ["dest"]},
    "keys": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {"name": {"type": "str", "required": True}, "key": {"type": "str", "required": True, "no_log": True}},
    },
    "min_key_length": {"type": "int", "default": 32},
    "validate": {"type": "str"},
}


class ActionModule(FileActionBase):
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def manage(self, args: dict[str, t.Any], target: TargetFiles) -> dict[str, t.Any]:
        try:
            keys = core.parse_keys(args["keys"], min_key_length=args["min_key_length"])
        except core.ApiKeysError as exc:
            raise AnsibleActionFail(f"{args['path']}: {exc}") from None
        old = target.read(args["path"])
        current = core.parse_file(old.decode("utf-8", "replace")) if old is not None else {}
        change = Change(args["path"], old, core.render(keys, target.newline).encode("utf-8"))
        changed = target.apply([change], attributes=self.attributes(args), validate=args["validate"])
        names = core.changes(current, keys)
        result: dict[str, t.Any] = {"changed": changed, "path": args["path"], **names}
        if self._task.diff and change.differs:
            result["diff"] = {
                "before_header": f"{args['path']} (key names)",
                "after_header": f"{args['path']} (key names)",
                "before": "".join(f"{name}\n" for name in current),
                "after": "".join(f"{name}{' (new key)' if name in names['updated'] else ''}\n" for name in keys),
            }
        return result
