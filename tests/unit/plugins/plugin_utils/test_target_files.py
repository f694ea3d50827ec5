# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import re
import typing as t
from pathlib import Path
from types import SimpleNamespace

import pytest
from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.ollama_remote.proxy.plugins.plugin_utils._target_files import Change, TargetFiles

from .._fake_target import Call, FakeTarget, make_action, warnings_of

pytestmark = pytest.mark.usefixtures("local_tmp")

POSIX_PATH = "/etc/nginx/ollama access.conf"
WINDOWS_PATH = "C:\\nginx\\conf\\ollama access.conf"
OLD = b"allow 192.0.2.1;\ndeny all;\n"
NEW = b"allow 198.51.100.0/24;\ndeny all;\n"


class Host(ActionBase):
    """The smallest action plugin: TargetFiles only needs its connection, task and helpers."""

    def run(self, tmp: t.Any = None, task_vars: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
        return {}


def host_on(monkeypatch: pytest.MonkeyPatch, target: FakeTarget, *, check_mode: bool = False) -> Host:
    return make_action(monkeypatch, Host, target, {}, check_mode=check_mode)


def target_files(monkeypatch: pytest.MonkeyPatch, target: FakeTarget, *, check_mode: bool = False) -> TargetFiles:
    return TargetFiles(host_on(monkeypatch, target, check_mode=check_mode), {"inventory_hostname": "gateway"})


def path_for(windows: bool) -> str:
    return WINDOWS_PATH if windows else POSIX_PATH


def staged_names(target: FakeTarget, path: str) -> list[str]:
    pattern = re.compile(re.escape(path) + r"\.[0-9a-f]{8}\.new")
    return [c.args["dest"] for c in target.calls if c.name == "ansible.windows.win_copy" and pattern.fullmatch(c.args["dest"])]


@pytest.fixture(params=[False, True], ids=["posix", "windows"])
def windows(request: pytest.FixtureRequest) -> bool:
    return t.cast(bool, request.param)


@pytest.mark.parametrize(
    ("old", "new", "differs"),
    [
        pytest.param(None, b"", True, id="missing-to-empty"),
        pytest.param(None, NEW, True, id="missing-to-content"),
        pytest.param(OLD, NEW, True, id="other-content"),
        pytest.param(OLD, OLD, False, id="same"),
        pytest.param(OLD, OLD.replace(b"\n", b"\r\n"), True, id="line-endings"),
    ],
)
def test_change_differs(old: bytes | None, new: bytes, differs: bool) -> None:
    assert Change("/x", old, new).differs is differs


def test_os_and_newline_follow_the_connection_shell(monkeypatch: pytest.MonkeyPatch, windows: bool) -> None:
    files = target_files(monkeypatch, FakeTarget(windows=windows))
    assert files.windows is windows
    assert files.newline == ("\r\n" if windows else "\n")


def test_a_shell_without_the_windows_flag_is_posix(monkeypatch: pytest.MonkeyPatch) -> None:
    host = host_on(monkeypatch, FakeTarget(windows=False))
    host._connection._shell = SimpleNamespace(tmpdir=None)
    assert not TargetFiles(host, {}).windows


# --- read --------------------------------------------------------------------------------------------------------


def test_read_an_existing_file_takes_one_module_run(monkeypatch: pytest.MonkeyPatch, windows: bool) -> None:
    path = path_for(windows)
    target = FakeTarget(windows=windows, files={path: OLD})
    files = target_files(monkeypatch, target)
    assert files.read(path) == OLD
    assert target.names == [f"{target.prefix}slurp"]
    assert target.calls[0].args == {"src": path}


@pytest.mark.parametrize(("windows", "stat_module"), [(False, "ansible.legacy.stat"), (True, "ansible.windows.win_stat")], ids=["posix", "windows"])
def test_read_a_missing_file(monkeypatch: pytest.MonkeyPatch, windows: bool, stat_module: str) -> None:
    path = path_for(windows)
    target = FakeTarget(windows=windows)
    files = target_files(monkeypatch, target)
    assert files.read(path) is None
    assert target.names == [f"{target.prefix}slurp", stat_module]
    assert target.calls[1].args == {"path": path, "get_checksum": False}


@pytest.mark.parametrize("stat_fails", [False, True], ids=["exists-but-unreadable", "stat-fails-too"])
def test_read_failure_stops_the_task(monkeypatch: pytest.MonkeyPatch, windows: bool, stat_fails: bool) -> None:
    path = path_for(windows)
    target = FakeTarget(windows=windows, unreadable={path}, stat_fails=stat_fails)
    files = target_files(monkeypatch, target)
    with pytest.raises(AnsibleActionFail, match=re.escape(f"cannot read {path}: Permission denied")):
        files.read(path)


# --- survey and changes: one look at many files ---------------------------------------------------------------


def test_one_find_tells_which_files_differ_and_reads_only_those(monkeypatch: pytest.MonkeyPatch, windows: bool) -> None:
    same, other, missing = (path_for(windows) + suffix for suffix in (".same", ".other", ".missing"))
    target = FakeTarget(windows=windows, files={same: NEW, other: OLD})
    changes = target_files(monkeypatch, target).changes({same: NEW, other: NEW, missing: NEW})
    assert [(c.path, c.old, c.differs) for c in changes] == [(same, NEW, False), (other, OLD, True), (missing, None, True)]
    find = "ansible.windows.win_find" if windows else "ansible.legacy.find"
    assert target.names == [find, f"{target.prefix}slurp"], "one look; the one file to replace is read, to put it back"
    assert target.calls[1].args == {"src": other}


def test_the_look_covers_each_folder_and_exact_names(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=False, files={"/a/x.conf": NEW, "/a/y.conf": NEW, "/b/x.conf": NEW, "/b/x.conf.bak": NEW})
    found = target_files(monkeypatch, target).survey(["/a/x.conf", "/b/x.conf", "/b/y.conf"])
    assert target.calls[0].args["paths"] == ["/a", "/b"]
    assert sorted(target.calls[0].args["patterns"]) == [r"^x\.conf$", r"^y\.conf$"]
    assert {path: entry is not None for path, entry in found.items()} == {"/a/x.conf": True, "/b/x.conf": True, "/b/y.conf": False}


def test_windows_paths_match_whatever_slashes_and_letter_case_windows_answers_with(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=True, files={"C:\\Gateway\\conf\\Users.htpasswd": NEW})
    found = target_files(monkeypatch, target).survey(["C:/gateway/conf/users.htpasswd"])
    assert found["C:/gateway/conf/users.htpasswd"] is not None


def test_existing_files_can_be_kept_whatever_they_hold(monkeypatch: pytest.MonkeyPatch, windows: bool) -> None:
    path = path_for(windows)
    target = FakeTarget(windows=windows, files={path: OLD})
    files = target_files(monkeypatch, target)
    (change,) = files.changes({path: NEW}, keep_existing={path})
    assert not change.differs and len(target.calls) == 1
    assert files.apply([change]) is False and target.files == {path: OLD}


def test_a_failed_look_stops_the_task(monkeypatch: pytest.MonkeyPatch, windows: bool) -> None:
    target = FakeTarget(windows=windows, stat_fails=True)
    with pytest.raises(AnsibleActionFail, match=r"cannot look for .*: Access is denied"):
        target_files(monkeypatch, target).survey([path_for(windows)])


@pytest.mark.parametrize(
    ("held", "wanted", "calls_file"),
    [
        pytest.param({"mode": "0600", "owner": "root", "group": "www-data"}, {"mode": "0600", "owner": "root", "group": "www-data"}, False, id="held"),
        pytest.param({"mode": "0600", "owner": "root", "group": "root"}, {"mode": 0o600, "owner": "0", "group": "0"}, False, id="numbers"),
        pytest.param({"mode": "0644", "owner": "root", "group": "root"}, {"mode": "0600"}, True, id="other-mode"),
        pytest.param({"mode": "0600", "owner": "www-data", "group": "root"}, {"owner": "root"}, True, id="other-owner"),
        pytest.param({"mode": "0600", "owner": "root", "group": "root"}, {"mode": "u=rw"}, True, id="symbolic-mode-asks-the-file-module"),
    ],
)
def test_attributes_of_an_unchanged_file_are_set_only_when_they_differ(
    monkeypatch: pytest.MonkeyPatch, held: dict[str, str], wanted: dict[str, t.Any], calls_file: bool
) -> None:
    target = FakeTarget(windows=False, files={POSIX_PATH: OLD}, attributes={POSIX_PATH: held})
    monkeypatch.setattr(target, "_module_find", _numeric_ids(target._module_find))
    files = target_files(monkeypatch, target)
    files.apply(files.changes({POSIX_PATH: OLD}), attributes=wanted)
    assert ("ansible.legacy.file" in target.names) is calls_file


def _numeric_ids(find: t.Callable[[dict[str, t.Any]], dict[str, t.Any]]) -> t.Callable[[dict[str, t.Any]], dict[str, t.Any]]:
    """find as on a host where root is uid and gid 0."""

    def numbered(args: dict[str, t.Any]) -> dict[str, t.Any]:
        result = find(args)
        for entry in result["files"]:
            entry.update(uid=0 if entry["pw_name"] == "root" else 33, gid=0 if entry["gr_name"] == "root" else 33)
        return result

    return numbered


# --- apply: writing ----------------------------------------------------------------------------------------------


def test_posix_write_goes_through_copy(monkeypatch: pytest.MonkeyPatch, local_tmp: Path) -> None:
    target = FakeTarget(windows=False, files={POSIX_PATH: OLD})
    files = target_files(monkeypatch, target)
    assert files.apply([Change(POSIX_PATH, OLD, NEW)]) is True
    assert target.names == ["ansible.legacy.copy"]
    (copy,) = target.copies
    assert (copy.dest, copy.content, copy.args) == (POSIX_PATH, NEW, {"force": True})
    assert copy.diff is False, "a content diff from copy could show hashes"
    assert copy.local_mode == 0o600, "the staged content may hold hashes"
    assert target.files == {POSIX_PATH: NEW}
    assert list(local_tmp.iterdir()) == []


@pytest.mark.parametrize("existed", [True, False], ids=["replace", "create"])
def test_windows_write_is_staged_then_renamed(monkeypatch: pytest.MonkeyPatch, local_tmp: Path, existed: bool) -> None:
    target = FakeTarget(windows=True, files={WINDOWS_PATH: OLD} if existed else {})
    files = target_files(monkeypatch, target)
    assert files.apply([Change(WINDOWS_PATH, OLD if existed else None, NEW)]) is True
    assert target.names == ["ansible.windows.win_copy", "ansible.windows.win_command"]
    (staged,) = staged_names(target, WINDOWS_PATH)
    assert target.copies[0].args == {"force": True} and target.copies[0].content == NEW and target.copies[0].diff is False
    assert target.calls[1].args == {"cmd": f'cmd.exe /d /c move /y "{staged}" "{WINDOWS_PATH}"'}
    assert target.files == {WINDOWS_PATH: NEW}, "the staged file is renamed over the old one, nothing is left behind"
    assert list(local_tmp.iterdir()) == []


def test_each_windows_write_gets_its_own_staged_name(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=True)
    files = target_files(monkeypatch, target)
    files.apply([Change(WINDOWS_PATH, None, NEW)])
    files.apply([Change(WINDOWS_PATH, NEW, OLD)])
    first, second = staged_names(target, WINDOWS_PATH)
    assert first != second


def test_unchanged_content_writes_nothing(monkeypatch: pytest.MonkeyPatch, windows: bool) -> None:
    path = path_for(windows)
    target = FakeTarget(windows=windows, files={path: OLD})
    files = target_files(monkeypatch, target)
    assert files.apply([Change(path, OLD, OLD)], validate="nginx -t") is False
    assert target.calls == []


def test_several_changes_write_only_what_differs(monkeypatch: pytest.MonkeyPatch, windows: bool) -> None:
    path = path_for(windows)
    other = path + ".check"
    target = FakeTarget(windows=windows, files={path: OLD, other: OLD})
    files = target_files(monkeypatch, target)
    assert files.apply([Change(path, OLD, OLD), Change(other, OLD, NEW)]) is True
    assert [c.dest for c in target.copies] == ([other] if not windows else staged_names(target, other))
    assert target.files == {path: OLD, other: NEW}


def test_posix_attributes_are_enforced_even_when_the_content_is_right(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=False, files={POSIX_PATH: OLD})
    files = target_files(monkeypatch, target)
    attributes = {"owner": "root", "group": "www-data", "mode": "0640"}
    assert files.apply([Change(POSIX_PATH, OLD, OLD)], attributes={**attributes, "extra": None}) is True
    assert target.calls[-1].args == {"path": POSIX_PATH, "state": "file", **attributes}, "unset attributes are not passed"
    assert target.copies == [], "right content is not sent again; the file module alone checks the attributes"
    assert files.apply([Change(POSIX_PATH, OLD, OLD)], attributes=attributes) is False, "the attributes are right now"
    assert target.files == {POSIX_PATH: OLD}


@pytest.mark.parametrize(("content", "changed"), [(OLD, False), (NEW, True)], ids=["same-content", "new-content"])
def test_windows_ignores_posix_attributes_with_a_warning(monkeypatch: pytest.MonkeyPatch, content: bytes, changed: bool) -> None:
    target = FakeTarget(windows=True, files={WINDOWS_PATH: OLD})
    host = host_on(monkeypatch, target)
    files = TargetFiles(host, {})
    assert files.apply([Change(WINDOWS_PATH, OLD, content)], attributes={"owner": "Administrators", "group": None, "mode": "0640"}) is changed
    (warning,) = warnings_of(host)
    assert "mode, owner ignored on a Windows target" in warning and "ACL" in warning
    assert all(copy.args == {"force": True} for copy in target.copies)
    assert target.files == {WINDOWS_PATH: content}


def test_windows_check_mode_writes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=True, files={WINDOWS_PATH: OLD})
    files = target_files(monkeypatch, target, check_mode=True)
    assert files.apply([Change(WINDOWS_PATH, OLD, NEW), Change(WINDOWS_PATH + ".2", None, NEW)], validate="nginx -t") is True
    assert target.calls == []
    assert target.files == {WINDOWS_PATH: OLD}


def test_posix_check_mode_asks_copy_in_check_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=False, files={POSIX_PATH: OLD})
    files = target_files(monkeypatch, target, check_mode=True)
    assert files.apply([Change(POSIX_PATH, OLD, NEW)], validate="nginx -t") is True
    assert [c.check_mode for c in target.copies] == [True]
    assert target.names == ["ansible.legacy.copy"], "no validation in check mode"
    assert target.files == {POSIX_PATH: OLD}


def test_copy_failure_stops_the_task(monkeypatch: pytest.MonkeyPatch, local_tmp: Path, windows: bool) -> None:
    path = path_for(windows)
    target = FakeTarget(windows=windows, copy_result={"failed": True, "msg": "No space left on device"})
    files = target_files(monkeypatch, target)
    with pytest.raises(AnsibleActionFail, match=r"cannot write .*: No space left on device"):
        files.apply([Change(path, None, NEW)])
    assert list(local_tmp.iterdir()) == []
    assert "ansible.windows.win_command" not in target.names


@pytest.mark.parametrize(
    "move_result",
    [
        pytest.param({"rc": 1, "stdout": "", "stderr": "The process cannot access the file because it is being used by another process."}, id="rc"),
        pytest.param({"failed": True, "msg": "WinRM transport error"}, id="failed"),
    ],
)
def test_windows_rename_failure_removes_the_staged_file(monkeypatch: pytest.MonkeyPatch, move_result: dict[str, t.Any]) -> None:
    target = FakeTarget(windows=True, files={WINDOWS_PATH: OLD}, move_result=move_result)
    files = target_files(monkeypatch, target)
    with pytest.raises(AnsibleActionFail, match=re.escape(f"cannot replace {WINDOWS_PATH}: ")) as exc:
        files.apply([Change(WINDOWS_PATH, OLD, NEW)])
    assert (move_result.get("stderr") or move_result["msg"]) in str(exc.value)
    (staged,) = staged_names(target, WINDOWS_PATH)
    assert target.calls[-1].name == "ansible.windows.win_file" and target.calls[-1].args == {"path": staged, "state": "absent"}
    assert target.files == {WINDOWS_PATH: OLD}


# --- apply: validation -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("windows", "command", "expected"),
    [
        pytest.param(False, "nginx -t -c %s", f"nginx -t -c '{POSIX_PATH}'", id="posix-quoted"),
        pytest.param(True, "nginx.exe -t -c %s", f'nginx.exe -t -c "{WINDOWS_PATH}"', id="windows-quoted"),
        pytest.param(False, "nginx -t", "nginx -t", id="posix-no-placeholder"),
        pytest.param(True, "C:\\nginx\\nginx.exe -t -p C:\\nginx", "C:\\nginx\\nginx.exe -t -p C:\\nginx", id="windows-no-placeholder"),
    ],
)
def test_validate_runs_on_the_new_content(monkeypatch: pytest.MonkeyPatch, windows: bool, command: str, expected: str) -> None:
    path = path_for(windows)
    target = FakeTarget(windows=windows, files={path: OLD})
    files = target_files(monkeypatch, target)
    assert files.apply([Change(path, OLD, NEW)], validate=command) is True
    validation = [c for c in target.calls if c.args.get("cmd") == expected]
    assert [c.name for c in validation] == ["ansible.windows.win_command" if windows else "ansible.legacy.command"]
    ((ran, files_then),) = target.validated
    assert ran == expected and files_then[path] == NEW
    assert target.files == {path: NEW}


FAILURES = [
    pytest.param({"rc": 1, "stdout": "", "stderr": 'nginx: [emerg] unknown directive "alow"'}, 'unknown directive "alow"', id="rc-1"),
    pytest.param({"rc": 2, "failed": True, "msg": "[Errno 2] No such file or directory: b'nginx'"}, "No such file or directory", id="not-found"),
]


@pytest.mark.parametrize(("result", "output"), FAILURES)
def test_validate_failure_puts_the_old_file_back(monkeypatch: pytest.MonkeyPatch, windows: bool, result: dict[str, t.Any], output: str) -> None:
    path = path_for(windows)
    target = FakeTarget(windows=windows, files={path: OLD}, command_result=result)
    files = target_files(monkeypatch, target)
    with pytest.raises(AnsibleActionFail) as exc:
        files.apply([Change(path, OLD, NEW)], validate="nginx -t")
    message = str(exc.value)
    assert "validation failed, so the previous file(s) were put back: nginx -t" in message
    assert f"rc={result['rc']}" in message and output in message
    assert target.files == {path: OLD}
    assert [c.content for c in target.copies] == [NEW, OLD]


def test_validate_failure_removes_a_file_that_did_not_exist(monkeypatch: pytest.MonkeyPatch, windows: bool) -> None:
    path = path_for(windows)
    target = FakeTarget(windows=windows, command_result={"rc": 1, "stderr": "bad"})
    files = target_files(monkeypatch, target)
    with pytest.raises(AnsibleActionFail, match="bad"):
        files.apply([Change(path, None, NEW)], validate="nginx -t")
    assert target.calls[-1] == Call(f"{target.prefix}{'win_file' if windows else 'file'}", {"path": path, "state": "absent"})
    assert target.files == {}


def test_validate_failure_restores_every_changed_file(monkeypatch: pytest.MonkeyPatch, windows: bool) -> None:
    path = path_for(windows)
    check, untouched = path + ".check", path + ".same"
    target = FakeTarget(windows=windows, files={path: OLD, untouched: OLD}, command_result={"rc": 1, "stderr": "bad"})
    files = target_files(monkeypatch, target)
    with pytest.raises(AnsibleActionFail):
        files.apply([Change(path, OLD, NEW), Change(check, None, NEW), Change(untouched, OLD, OLD)], validate="nginx -t -c %s")
    assert len(target.validated) == 1, "one validation for the whole set of files"
    assert target.files == {path: OLD, untouched: OLD}


def test_validate_failure_on_posix_restores_the_attributes_too(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=False, files={POSIX_PATH: OLD}, command_result={"rc": 1, "stderr": "bad"})
    files = target_files(monkeypatch, target)
    with pytest.raises(AnsibleActionFail):
        files.apply([Change(POSIX_PATH, OLD, NEW)], attributes={"mode": "0640"}, validate="nginx -t")
    assert [(c.content, c.args) for c in target.copies] == [(NEW, {"force": True, "mode": "0640"}), (OLD, {"force": True, "mode": "0640"})]


def test_validate_is_skipped_when_only_attributes_change(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=False, files={POSIX_PATH: OLD})
    files = target_files(monkeypatch, target)
    assert files.apply([Change(POSIX_PATH, OLD, OLD)], attributes={"mode": "0640"}, validate="nginx -t") is True
    assert target.validated == []
