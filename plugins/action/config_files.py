# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for ollama_remote.proxy.config_files: write a set of files together, validate, roll back on failure."""

from __future__ import annotations

import hashlib
import typing as t

from ansible.errors import AnsibleActionFail

from ansible_collections.ollama_remote.proxy.plugins.module_utils._text_file import text_file_bytes
from ansible_collections.ollama_remote.proxy.plugins.plugin_utils._file_action import FileActionBase, Planned, attributes_of
from ansible_collections.ollama_remote.proxy.plugins.plugin_utils._target_files import Change, TargetFiles

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
    "look": {"type": "list", "elements": "str", "default": []},
    "force": {"type": "bool", "default": True},
    "secret": {"type": "bool", "default": False},
    "validate": {"type": "str"},
}


def paths_of(args: dict[str, t.Any]) -> list[str]:
    """Every path the task looks at: its directories, its files, the files that must go and those only looked at."""
    return [d["path"] for d in args["directories"]] + [item["path"] for item in args["files"]] + args["absent"] + args["look"]


def check(args: dict[str, t.Any]) -> None:
    """What the argument spec cannot say: no path twice."""
    paths = [item["path"] for item in args["files"]] + args["absent"] + args["look"]
    if len(set(paths)) != len(paths):
        raise AnsibleActionFail("each path may appear only once in files, absent and look")


def plan(args: dict[str, t.Any], target: TargetFiles, *, diff: bool) -> Planned:
    """The files (CRLF on Windows, a final newline always) and the removals, against what the target holds."""
    wanted: dict[str, bytes | None] = {item["path"]: text_file_bytes(item["content"], windows=target.windows) for item in args["files"]}
    wanted.update(dict.fromkeys(args["absent"]))
    kept = [item["path"] for item in args["files"] if not (args["force"] if item["force"] is None else item["force"])]
    changes = target.changes(wanted, keep_existing=kept)
    result: dict[str, t.Any] = {"changed_paths": [c.path for c in changes if c.differs], "checksums": checksums_after(args, changes, kept, target)}
    if diff and not args["secret"]:
        result["diff"] = [
            {"before_header": c.path, "after_header": c.path, "before": (c.old or b"").decode("utf-8", "replace"), "after": (c.new or b"").decode("utf-8")}
            for c in changes
            if c.differs
        ]
    return Planned(changes, attributes_of(args), result)


def checksums_after(args: dict[str, t.Any], changes: t.Sequence[Change], kept: t.Collection[str], target: TargetFiles) -> dict[str, str | None]:
    """The SHA-1 of each file and looked-at path once the task is done (None: no file there), from the one look."""
    checksums: dict[str, str | None] = {}
    files = {item["path"] for item in args["files"]}
    for change in (c for c in changes if c.path in files):
        found = target.found(change.path)
        if change.path in kept and found is not None:
            checksums[change.path] = found.checksum  # left as it is, whatever it holds
        else:
            checksums[change.path] = None if change.new is None else hashlib.sha1(change.new, usedforsecurity=False).hexdigest()
    for path in args["look"]:
        found = target.found(path)
        checksums[path] = None if found is None else found.checksum
    return checksums


class ActionModule(FileActionBase):
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def manage(self, args: dict[str, t.Any], target: TargetFiles) -> dict[str, t.Any]:
        check(args)
        target.survey(paths_of(args))  # one look for everything below
        planned = plan(args, target, diff=self._task.diff)
        changed = target.directories(args["directories"])
        changed |= target.apply(planned.changes, attributes=planned.attributes, validate=args["validate"])
        return {"changed": changed, **planned.result}
