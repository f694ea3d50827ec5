# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
"""What every file-managing action plugin of the collection shares: argument checking, the target, clean-up."""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from ansible.plugins.action import ActionBase

from ansible_collections.ollama_remote.proxy.plugins.plugin_utils._target_files import Change, TargetFiles

# POSIX file attributes, documented by the `_target_file` doc fragment; ignored with a warning on Windows.
FILE_ATTRIBUTES: dict[str, t.Any] = {"owner": {"type": "str"}, "group": {"type": "str"}, "mode": {"type": "raw"}}


def attributes_of(args: dict[str, t.Any]) -> dict[str, t.Any]:
    return {name: args[name] for name in FILE_ATTRIBUTES}


@dataclass(frozen=True)
class Planned:
    """What a file plugin will do: its changes, their owner, group and mode, and its result but for `changed`. The
    gateway_files plugin applies the plans of several plugins together."""

    changes: list[Change]
    attributes: dict[str, t.Any]
    result: dict[str, t.Any]


class FileActionBase(ActionBase):
    """Validates the task's arguments against ARGUMENT_SPEC, then lets `manage` work on the target's files."""

    TRANSFERS_FILES = True
    ARGUMENT_SPEC: t.ClassVar[dict[str, t.Any]] = {}
    MUTUALLY_EXCLUSIVE: t.ClassVar[list[list[str]]] = []

    def run(self, tmp: t.Any = None, task_vars: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
        self._supports_check_mode = True
        self._supports_async = False
        result = super().run(tmp, task_vars)
        del tmp
        spec = {**self.ARGUMENT_SPEC, **FILE_ATTRIBUTES}
        args = self.validate_argument_spec(argument_spec=spec, mutually_exclusive=self.MUTUALLY_EXCLUSIVE)[1]
        try:
            result.update(self.manage(args, TargetFiles(self, task_vars or {})))
            return result
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)

    def manage(self, args: dict[str, t.Any], target: TargetFiles) -> dict[str, t.Any]:
        """Apply the plugin's plan; plugins that do more than write one plan override this."""
        planned = self.plan(args, target)
        changed = target.apply(planned.changes, attributes=planned.attributes, validate=args.get("validate"))
        return {"changed": changed, **planned.result}

    def plan(self, args: dict[str, t.Any], target: TargetFiles) -> Planned:
        raise NotImplementedError
