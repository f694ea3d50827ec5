# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
"""Read and write files on a task's target from an action plugin, the same way on Windows and POSIX.

Nothing runs on the target but standard modules: find or win_find to learn the checksum, mode and owners of many
files in one round trip; slurp to read a file whose content is needed (to merge into, or to put back); copy (POSIX) or
win_copy plus a rename (Windows) to write; command or win_command to validate. So a run that changes nothing costs one
module run per task. Every write is atomic: copy already writes a temporary file and renames it; win_copy overwrites in
place, so on Windows the new content goes to a sibling file first and `move /y` renames it over the old one on the
same volume.
"""

from __future__ import annotations

import base64
import hashlib
import ntpath
import os
import posixpath
import re
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
    """A file to bring to `new`; `old` is its content now. None for either: the file does not (or must not) exist."""

    path: str
    old: bytes | None
    new: bytes | None

    @property
    def differs(self) -> bool:
        return self.old != self.new


@dataclass(frozen=True)
class Found:
    """What find says of an existing path: its SHA-1 (files only) and, on POSIX, its mode and owners."""

    checksum: str | None
    mode: int | None = None
    owner: str = ""
    group: str = ""
    uid: int | None = None
    gid: int | None = None
    directory: bool = False

    def holds(self, attributes: dict[str, t.Any]) -> bool:
        """Whether the path already has these owner, group and mode; False when that cannot be told (a symbolic mode)."""
        for name, value in attributes.items():
            if name == "mode":
                if _octal(value) is None or _octal(value) != self.mode:
                    return False
            elif str(value) not in ((self.owner, str(self.uid)) if name == "owner" else (self.group, str(self.gid))):
                return False
        return True


def _octal(mode: t.Any) -> int | None:
    """A mode as a number: 0o600 from 384 (YAML's 0600) or '0600'; None for a symbolic mode such as 'u=rw'."""
    if isinstance(mode, int):
        return mode
    return int(mode, 8) if re.fullmatch(r"[0-7]{1,4}", str(mode)) else None


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
        self._found: dict[str, Found | None] = {}

    def _key(self, path: str) -> str:
        """A path as find reports it: Windows answers with backslashes, and its file names ignore case."""
        return path.replace("/", "\\").lower() if self.windows else path

    def survey(self, paths: t.Iterable[str]) -> dict[str, Found | None]:
        """Checksum, mode and owners of each path (None when it does not exist), in one find over their folders."""
        paths = list(dict.fromkeys(paths))
        dirname = ntpath.dirname if self.windows else posixpath.dirname
        args = {
            "paths": sorted({dirname(path) for path in paths}),
            "patterns": sorted({"^" + re.escape((ntpath if self.windows else posixpath).basename(path)) + "$" for path in paths}),
            "use_regex": True,
            "file_type": "any",
            "hidden": True,
            "get_checksum": True,
        }
        result = self._module("ansible.windows.win_find" if self.windows else "ansible.legacy.find", args)
        if result.get("failed"):
            raise AnsibleActionFail(f"cannot look for {', '.join(paths)}: {failure_message(result)}")
        reported = {self._key(entry["path"]): entry for entry in result.get("files", [])}
        for path in paths:
            entry = reported.get(self._key(path))
            self._found[self._key(path)] = (
                None
                if entry is None
                else Found(
                    checksum=str(entry["checksum"]).lower() if entry.get("checksum") else None,
                    mode=None if self.windows else _octal(entry.get("mode")),
                    owner=entry.get("pw_name", ""),
                    group=entry.get("gr_name", ""),
                    uid=entry.get("uid"),
                    gid=entry.get("gid"),
                    directory=bool(entry.get("isdir")),
                )
            )
        return {path: self._found[self._key(path)] for path in paths}

    def found(self, path: str) -> Found | None:
        """What the survey found at a path (None: nothing there); surveyed first when no survey covered it."""
        self._survey_unknown([path])
        return self._found[self._key(path)]

    def _survey_unknown(self, paths: t.Iterable[str]) -> None:
        """Survey the paths no earlier survey covered (a task's single look usually covered them all)."""
        unknown = [path for path in paths if self._key(path) not in self._found]
        if unknown:
            self.survey(unknown)

    def changes(self, wanted: t.Mapping[str, bytes | None], *, keep_existing: t.Collection[str] = ()) -> list[Change]:
        """A Change for each path, from one survey (none for paths surveyed already): a file whose checksum already
        matches is not read, nor one in `keep_existing` that exists; only a file about to be replaced is read, so it
        can be put back."""
        self._survey_unknown(wanted)
        found = {path: self._found[self._key(path)] for path in wanted}
        changes = []
        for path, new in wanted.items():
            entry = found[path]
            if entry is None and new is None:
                changes.append(Change(path, None, None))  # absent, as it should be
            elif entry is not None and new is not None and (path in keep_existing or entry.checksum == hashlib.sha1(new, usedforsecurity=False).hexdigest()):
                changes.append(Change(path, new, new))  # stays as it is; its old content is never needed
            else:
                changes.append(Change(path, None if entry is None else self.read(path), new))
        return changes

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

    def directories(self, wanted: t.Sequence[dict[str, t.Any]]) -> bool:
        """Make each directory ({path, owner, group, mode}; parents first) that is missing, and set the attributes of
        any whose attributes differ (POSIX only). Surveyed first when the caller has not. Returns whether any changed."""
        self._survey_unknown(d["path"] for d in wanted)
        changed = False
        for directory in wanted:
            attributes = {} if self.windows else {k: directory[k] for k in ("owner", "group", "mode") if directory.get(k) is not None}
            found = self._found[self._key(directory["path"])]
            if found is not None and found.directory and found.holds(attributes):
                continue
            module = "ansible.windows.win_file" if self.windows else "ansible.legacy.file"
            result = self._module(module, {"path": directory["path"], "state": "directory", **attributes})
            if result.get("failed"):
                raise AnsibleActionFail(f"cannot make the directory {directory['path']}: {failure_message(result)}")
            changed |= bool(result.get("changed"))
        return changed

    def apply(self, changes: t.Sequence[Change], *, attributes: dict[str, t.Any] | None = None, validate: str | None = None) -> bool:
        """Write every change; if `validate` then fails, put every changed file back and fail with its output.

        Returns whether anything changed (or would, in check mode). On POSIX, owner, group and mode are enforced too,
        so a file whose content is right but whose mode is not still counts as a change.
        """
        return self.apply_groups([(changes, attributes or {})], validate=validate)

    def apply_groups(self, groups: t.Sequence[tuple[t.Sequence[Change], dict[str, t.Any]]], *, validate: str | None = None) -> bool:
        """apply() for groups of changes, each with its own owner, group and mode, validated once after all."""
        written: list[tuple[Change, dict[str, t.Any]]] = []
        changed = False
        for changes, wanted in groups:
            attributes = self._posix_attributes(wanted)
            for change in changes:
                if change.differs:
                    changed |= self._remove(change.path) if change.new is None else self._write(change.path, change.new, attributes)
                    written.append((change, attributes))
                elif attributes and change.new is not None and not self._attributes_hold(change.path, attributes):
                    # The content is right: the file module alone sets the attributes, one module run where copy takes two.
                    changed |= self._set_attributes(change.path, attributes)
        if validate and written and not self._action._task.check_mode:
            self._validate(validate, written)
        return changed

    def _posix_attributes(self, attributes: dict[str, t.Any]) -> dict[str, t.Any]:
        attributes = {k: v for k, v in attributes.items() if v is not None}
        if self.windows and attributes:
            self._action._display.warning(f"{', '.join(sorted(attributes))} ignored on a Windows target; protect the file with ACLs")
            return {}
        return attributes

    def _validate(self, command: str, written: t.Sequence[tuple[Change, dict[str, t.Any]]]) -> None:
        path = written[0][0].path
        if "%s" in command:
            command = command.replace("%s", f'"{path}"' if self.windows else shlex.quote(path))
        result = self._module("ansible.windows.win_command" if self.windows else "ansible.legacy.command", {"cmd": command})
        if not result.get("failed") and result.get("rc", 0) == 0:
            return
        for change, attributes in written:
            if change.old is None:
                self._module("ansible.windows.win_file" if self.windows else "ansible.legacy.file", {"path": change.path, "state": "absent"})
            else:
                self._write(change.path, change.old, attributes)
        output = "\n".join(s for s in (result.get("stdout", ""), result.get("stderr", ""), result.get("msg", "")) if s).strip()
        raise AnsibleActionFail(f"validation failed, so the previous file(s) were put back: {command} (rc={result.get('rc')}):\n{output}")

    def _attributes_hold(self, path: str, attributes: dict[str, t.Any]) -> bool:
        found = self._found.get(self._key(path))
        return found is not None and found.holds(attributes)

    def _remove(self, path: str) -> bool:
        result = self._module("ansible.windows.win_file" if self.windows else "ansible.legacy.file", {"path": path, "state": "absent"})
        if result.get("failed"):
            raise AnsibleActionFail(f"cannot remove {path}: {failure_message(result)}")
        return bool(result.get("changed"))

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
