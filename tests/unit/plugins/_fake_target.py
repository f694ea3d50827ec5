# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A target host in memory, driven through an action plugin the way Ansible drives it.

`FakeTarget.execute_module` stands in for ActionBase._execute_module (find, slurp, stat, command, file and their
Windows counterparts), `FakeTarget.loader` for the plugin loader that hands out the copy / win_copy action. A Windows
target answers only ansible.windows.* modules and a POSIX one only ansible.legacy.*, so a wrong choice fails loudly.
"""

from __future__ import annotations

import base64
import hashlib
import ntpath
import os
import posixpath
import re
import stat
import typing as t
from dataclasses import dataclass, field
from unittest.mock import MagicMock

import pytest
from ansible.playbook.task import Task
from ansible.plugins.action import ActionBase

MOVE = re.compile(r'cmd\.exe /d /c move /y "(?P<src>[^"]+)" "(?P<dest>[^"]+)"')
ActionT = t.TypeVar("ActionT", bound=ActionBase)


@dataclass(frozen=True)
class Call:
    """A module run or a copy action, in the order the plugin asked for them."""

    name: str
    args: dict[str, t.Any]


@dataclass(frozen=True)
class CopyRun:
    """What a copy / win_copy action was given: its content comes from the controller-side temporary file."""

    action: str
    dest: str
    content: bytes
    args: dict[str, t.Any]
    local_mode: int
    check_mode: bool
    diff: bool


@dataclass
class FakeTarget:
    windows: bool
    files: dict[str, bytes] = field(default_factory=dict)
    attributes: dict[str, dict[str, t.Any]] = field(default_factory=dict)
    directories: set[str] = field(default_factory=set)
    unreadable: set[str] = field(default_factory=set)
    stat_fails: bool = False
    command_result: dict[str, t.Any] = field(default_factory=lambda: {"rc": 0, "stdout": "", "stderr": ""})
    move_result: dict[str, t.Any] | None = None
    copy_result: dict[str, t.Any] | None = None
    calls: list[Call] = field(default_factory=list)
    copies: list[CopyRun] = field(default_factory=list)
    validated: list[tuple[str, dict[str, bytes]]] = field(default_factory=list)

    @property
    def prefix(self) -> str:
        return "ansible.windows." if self.windows else "ansible.legacy."

    @property
    def names(self) -> list[str]:
        return [call.name for call in self.calls]

    @property
    def writes(self) -> list[Call]:
        """Every call that changes the target: copies, renames, deletions (validation commands are not writes)."""
        return [c for c in self.calls if c.name.endswith(("copy", "file")) or MOVE.fullmatch(c.args.get("cmd", ""))]

    def execute_module(
        self, module_name: str | None = None, module_args: dict[str, t.Any] | None = None, task_vars: dict[str, t.Any] | None = None, **kwargs: t.Any
    ) -> dict[str, t.Any]:
        assert module_name is not None and module_args is not None
        assert module_name.startswith(self.prefix), f"{module_name} on a {'Windows' if self.windows else 'POSIX'} target"
        self.calls.append(Call(module_name, dict(module_args)))
        short = module_name.removeprefix(self.prefix).removeprefix("win_")
        handler = getattr(self, f"_module_{short}")
        return t.cast(dict[str, t.Any], handler(module_args))

    def _module_slurp(self, args: dict[str, t.Any]) -> dict[str, t.Any]:
        path = args["src"]
        if path in self.unreadable:
            return {"failed": True, "msg": f"Permission denied: {path}"}
        if path not in self.files:
            return {"failed": True, "msg": f"file not found: {path}"}
        return {"content": base64.b64encode(self.files[path]).decode(), "encoding": "base64", "source": path}

    def _module_find(self, args: dict[str, t.Any]) -> dict[str, t.Any]:
        """find / win_find over the given folders, as the gateway's plugins call it: exact names as anchored regexes."""
        assert args["use_regex"] and args["get_checksum"] and args["file_type"] == "any"
        if self.stat_fails:
            return {"failed": True, "msg": "Access is denied"}
        paths_module = ntpath if self.windows else posixpath
        patterns = [re.compile(pattern, re.IGNORECASE if self.windows else 0) for pattern in args["patterns"]]
        folders = {self._folder(path) for path in args["paths"]}
        files = []
        for path, content in [*self.files.items(), *((directory, None) for directory in self.directories)]:
            if path in self.unreadable or self._folder(paths_module.dirname(path)) not in folders:
                continue
            if not any(pattern.fullmatch(paths_module.basename(path)) for pattern in patterns):
                continue
            entry: dict[str, t.Any] = {"path": path.replace("/", "\\") if self.windows else path, "isdir": content is None}
            if content is not None:
                entry["checksum"] = hashlib.sha1(content, usedforsecurity=False).hexdigest()
            if not self.windows:
                attributes = self.attributes.get(path, {})
                mode = attributes.get("mode", "0666")  # a file nobody set attributes on
                entry.update(mode="%04o" % (mode if isinstance(mode, int) else int(mode, 8)), pw_name=attributes.get("owner", "nobody"))
                entry.update(gr_name=attributes.get("group", "nogroup"), uid=65534, gid=65534)
            files.append(entry)
        return {"files": files, "matched": len(files), "changed": False}

    def _folder(self, path: str) -> str:
        return path.replace("/", "\\").lower() if self.windows else path

    def _module_stat(self, args: dict[str, t.Any]) -> dict[str, t.Any]:
        if self.stat_fails:
            return {"failed": True, "msg": "Access is denied"}
        return {"stat": {"exists": args["path"] in self.files or args["path"] in self.unreadable}}

    def _module_command(self, args: dict[str, t.Any]) -> dict[str, t.Any]:
        move = MOVE.fullmatch(args["cmd"]) if self.windows else None
        if move is None:
            self.validated.append((args["cmd"], dict(self.files)))
            result = dict(self.command_result)
            if result.get("rc"):
                result.setdefault("failed", True)
            return result
        if self.move_result is not None:
            return dict(self.move_result)
        self.files[move["dest"]] = self.files.pop(move["src"])
        return {"rc": 0, "stdout": "        1 file(s) moved.", "stderr": "", "changed": True}

    def _module_file(self, args: dict[str, t.Any]) -> dict[str, t.Any]:
        if args["state"] == "directory":
            wanted = {k: v for k, v in args.items() if k in ("owner", "group", "mode")}
            changed = args["path"] not in self.directories or any(self.attributes.get(args["path"], {}).get(k) != v for k, v in wanted.items())
            self.directories.add(args["path"])
            self.attributes.setdefault(args["path"], {}).update(wanted)
            return {"changed": changed, "path": args["path"]}
        if args["state"] == "file":  # attributes of an existing file
            assert args["path"] in self.files
            wanted = {k: v for k, v in args.items() if k in ("owner", "group", "mode")}
            changed = any(self.attributes.get(args["path"], {}).get(k) != v for k, v in wanted.items())
            self.attributes.setdefault(args["path"], {}).update(wanted)
            return {"changed": changed, "path": args["path"]}
        assert args["state"] == "absent"
        existed = self.files.pop(args["path"], None) is not None
        return {"changed": existed}

    # The copy action, as the plugin loader would hand it out.

    @property
    def loader(self) -> MagicMock:
        loader = MagicMock()
        loader.action_loader.get.side_effect = self._copy_action
        return loader

    def _copy_action(self, name: str, *, task: t.Any, **kwargs: t.Any) -> MagicMock:
        assert name == f"{self.prefix}{'win_copy' if self.windows else 'copy'}", f"{name} on a {'Windows' if self.windows else 'POSIX'} target"
        action = MagicMock()
        action.run.side_effect = lambda task_vars=None: self._copy(name, task)
        return action

    def _copy(self, name: str, task: t.Any) -> dict[str, t.Any]:
        args = dict(task.args)
        src, dest = args.pop("src"), args.pop("dest")
        with open(src, "rb") as handle:
            content = handle.read()
        self.calls.append(Call(name, {"dest": dest, **args}))
        self.copies.append(CopyRun(name, dest, content, args, stat.S_IMODE(os.stat(src).st_mode), bool(task.check_mode), bool(task.diff)))
        if self.copy_result is not None:
            return dict(self.copy_result)
        wanted = {k: v for k, v in args.items() if k in ("owner", "group", "mode")}
        changed = self.files.get(dest) != content or any(self.attributes.get(dest, {}).get(k) != v for k, v in wanted.items())
        if not task.check_mode:
            self.files[dest] = content
            self.attributes.setdefault(dest, {}).update(wanted)
        return {"changed": changed, "dest": dest}


def make_task(args: dict[str, t.Any], *, action: str, check_mode: bool = False, diff: bool = False) -> MagicMock:
    task = MagicMock(Task)
    task.args = dict(args)
    task.action = action
    task.async_val = 0
    task.check_mode = check_mode
    task.diff = diff
    task.copy.side_effect = lambda: make_task(task.args, action=action, check_mode=check_mode, diff=diff)
    return task


def make_action(
    monkeypatch: pytest.MonkeyPatch,
    cls: type[ActionT],
    target: FakeTarget,
    args: dict[str, t.Any],
    *,
    check_mode: bool = False,
    diff: bool = False,
) -> ActionT:
    """An action plugin on `target`, built the way the task executor builds it, with the target's effects faked."""
    connection = MagicMock()
    connection._shell._IS_WINDOWS = target.windows
    connection._shell.tmpdir = "C:\\Windows\\TEMP\\ansible-tmp-1-1" if target.windows else "/tmp/ansible-tmp-1-1"
    task = make_task(args, action=f"ollama_remote.proxy.{cls.__module__.rsplit('.', 1)[-1]}", check_mode=check_mode, diff=diff)
    action = cls(task, connection, MagicMock(), MagicMock(), MagicMock(), None)
    monkeypatch.setattr(action, "_execute_module", target.execute_module)
    monkeypatch.setattr(action, "_shared_loader_obj", target.loader)
    monkeypatch.setattr(action, "_display", MagicMock())
    return action


def warnings_of(action: ActionBase) -> list[str]:
    display = t.cast(MagicMock, action._display)
    return [str(call.args[0]) for call in display.warning.call_args_list]
