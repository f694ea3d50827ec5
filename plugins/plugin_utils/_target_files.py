# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
"""Read and write files on a task's target from an action plugin, the same way on Windows and POSIX.

Nothing runs on the target but standard modules: slurp to read; copy (POSIX) or win_copy plus a rename
(Windows) to write; command or win_command to validate. Every write is atomic: copy already writes a
temporary file and renames it; win_copy overwrites in place, so on Windows the new content goes to a
sibling file first and `move /y` renames it over the old one on the same volume.
"""

from __future__ import annotations

import base64
import os
import secrets
import shlex
import tempfile
import typing as t
from dataclasses import dataclass

from ansible import constants as C
from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase


@dataclass(frozen=True)
class Change:
    """A file to bring to `new`; `old` is its content now, None when it does not exist."""

    path: str
    old: bytes | None
    new: bytes

    @property
    def differs(self) -> bool:
        return self.old != self.new


def failure_message(result: dict[str, t.Any]) -> str:
    """A failed module's message. ansible-core 2.19 keeps some (a full disk in copy's atomic move) only in the result's
    captured exception, as a chain of events from the outer message to the OS error."""
    if result.get("msg"):
        return str(result["msg"])
    messages = []
    event = getattr(result.get("exception"), "event", None)
    while event is not None:
        messages.append(str(event.msg))
        event = event.chain.event if event.chain else None
    return ": ".join(messages) or "no message"


class TargetFiles:
    def __init__(self, action: ActionBase, task_vars: dict[str, t.Any]) -> None:
        self._action = action
        self._task_vars = task_vars
        self.windows: bool = getattr(action._connection._shell, "_IS_WINDOWS", False)
        self.newline = "\r\n" if self.windows else "\n"

    def _module(self, name: str, args: dict[str, t.Any]) -> dict[str, t.Any]:
        return self._action._execute_module(module_name=name, module_args=args, task_vars=self._task_vars)

    def read(self, path: str) -> bytes | None:
        """The file's bytes, or None when it does not exist. Any other failure stops the task.

        One module run when the file exists; stat runs only after slurp fails, to tell 'missing' from 'unreadable'.
        """
        result = self._module("ansible.windows.slurp" if self.windows else "ansible.legacy.slurp", {"src": path})
        if not result.get("failed"):
            return base64.b64decode(result["content"])
        stat = self._module("ansible.windows.win_stat" if self.windows else "ansible.legacy.stat", {"path": path, "get_checksum": False})
        if not stat.get("failed") and not stat["stat"]["exists"]:
            return None
        raise AnsibleActionFail(f"cannot read {path}: {failure_message(result)}")

    def apply(self, changes: t.Sequence[Change], *, attributes: dict[str, t.Any] | None = None, validate: str | None = None) -> bool:
        """Write every change; if `validate` then fails, put every changed file back and fail with its output.

        Returns whether anything changed (or would, in check mode). On POSIX, owner, group and mode are enforced too,
        so a file whose content is right but whose mode is not still counts as a change.
        """
        attributes = {k: v for k, v in (attributes or {}).items() if v is not None}
        if self.windows and attributes:
            self._action._display.warning(f"{', '.join(sorted(attributes))} ignored on a Windows target; protect the file with ACLs")
            attributes = {}
        written = [c for c in changes if c.differs]
        changed = False
        for change in changes:
            if change.differs:
                changed |= self._write(change.path, change.new, attributes)
            elif attributes:
                # The content is right: the file module alone checks the attributes, one module run where copy takes two.
                changed |= self._set_attributes(change.path, attributes)
        if validate and written and not self._action._task.check_mode:
            self._validate(validate, written, attributes)
        return changed

    def _validate(self, command: str, written: t.Sequence[Change], attributes: dict[str, t.Any]) -> None:
        path = written[0].path
        if "%s" in command:
            command = command.replace("%s", f'"{path}"' if self.windows else shlex.quote(path))
        result = self._module("ansible.windows.win_command" if self.windows else "ansible.legacy.command", {"cmd": command})
        if not result.get("failed") and result.get("rc", 0) == 0:
            return
        for change in written:
            if change.old is None:
                self._module("ansible.windows.win_file" if self.windows else "ansible.legacy.file", {"path": change.path, "state": "absent"})
            else:
                self._write(change.path, change.old, attributes)
        output = "\n".join(s for s in (result.get("stdout", ""), result.get("stderr", ""), result.get("msg", "")) if s).strip()
        raise AnsibleActionFail(f"validation failed, so the previous file(s) were put back: {command} (rc={result.get('rc')}):\n{output}")

    def _set_attributes(self, path: str, attributes: dict[str, t.Any]) -> bool:
        result = self._module("ansible.legacy.file", {"path": path, "state": "file", **attributes})
        if result.get("failed"):
            raise AnsibleActionFail(f"cannot set {', '.join(sorted(attributes))} of {path}: {failure_message(result)}")
        return bool(result.get("changed"))

    def _write(self, path: str, data: bytes, attributes: dict[str, t.Any]) -> bool:
        fd, local = tempfile.mkstemp(dir=C.DEFAULT_LOCAL_TMP)  # mode 0600: it may hold hashes
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            if not self.windows:
                return self._copy("ansible.legacy.copy", local, path, attributes)
            if self._action._task.check_mode:
                return True
            staged = f"{path}.{secrets.token_hex(4)}.new"
            self._copy("ansible.windows.win_copy", local, staged, {})
            moved = self._module("ansible.windows.win_command", {"cmd": f'cmd.exe /d /c move /y "{staged}" "{path}"'})
            if moved.get("failed") or moved.get("rc"):
                self._module("ansible.windows.win_file", {"path": staged, "state": "absent"})
                raise AnsibleActionFail(f"cannot replace {path}: {moved.get('stderr') or moved.get('stdout') or moved.get('msg')}")
            return True
        finally:
            os.unlink(local)

    def _copy(self, action_name: str, src: str, dest: str, attributes: dict[str, t.Any]) -> bool:
        task = self._action._task.copy()
        task.args = {"src": src, "dest": dest, "force": True, **attributes}
        task.diff = False  # a content diff could show hashes; the caller builds a safe one
        copy = self._action._shared_loader_obj.action_loader.get(
            action_name,
            task=task,
            connection=self._action._connection,
            play_context=self._action._play_context,
            loader=self._action._loader,
            templar=self._action._templar,
            shared_loader_obj=self._action._shared_loader_obj,
        )
        result = copy.run(task_vars=self._task_vars)
        if result.get("failed"):
            raise AnsibleActionFail(f"cannot write {dest}: {failure_message(result)}")
        return bool(result.get("changed"))
