# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json
import re
import typing as t
from pathlib import Path

import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.ollama_remote.proxy.plugins.action.htpasswd import ActionModule
from ansible_collections.ollama_remote.proxy.plugins.module_utils import _htpasswd as core

from .._fake_target import FakeTarget, make_action, warnings_of

pytestmark = pytest.mark.usefixtures("local_tmp")

POSIX_PATH = "/etc/nginx/ollama.htpasswd"
WINDOWS_PATH = "C:\\nginx\\conf\\ollama.htpasswd"
ALICE = "alice-correct-horse-battery"
BOB = "bob-staple-of-the-gateway"
CAROL = "carol-long-random-secret-1234"


def path_for(windows: bool) -> str:
    return WINDOWS_PATH if windows else POSIX_PATH


def run_action(
    monkeypatch: pytest.MonkeyPatch, target: FakeTarget, *, check_mode: bool = False, diff: bool = False, **args: t.Any
) -> tuple[dict[str, t.Any], ActionModule]:
    """Run the task on `target`; the path defaults to one fitting the target's OS."""
    args.setdefault("path", path_for(target.windows))
    action = make_action(monkeypatch, ActionModule, target, args, check_mode=check_mode, diff=diff)
    return action.run(task_vars={"inventory_hostname": "gateway"}), action


def run(monkeypatch: pytest.MonkeyPatch, target: FakeTarget, **kwargs: t.Any) -> dict[str, t.Any]:
    return run_action(monkeypatch, target, **kwargs)[0]


def entries_of(target: FakeTarget) -> dict[str, str]:
    content = target.files[path_for(target.windows)].decode()
    return {e.name: t.cast(str, e.hashed) for e in core.parse(content) if e.name is not None}


def apr1(password: str) -> str:
    return t.cast(str, core.SCHEMES["apr1"].handler().hash(password))


@pytest.fixture(params=[False, True], ids=["posix", "windows"])
def windows(request: pytest.FixtureRequest) -> bool:
    return t.cast(bool, request.param)


@pytest.mark.parametrize(
    ("windows", "scheme", "newline", "modules"),
    [
        pytest.param(False, "sha512_crypt", b"\n", ["ansible.legacy.slurp", "ansible.legacy.stat", "ansible.legacy.copy"], id="posix"),
        pytest.param(
            True,
            "apr1",
            b"\r\n",
            ["ansible.windows.slurp", "ansible.windows.win_stat", "ansible.windows.win_copy", "ansible.windows.win_command"],
            id="windows",
        ),
    ],
)
def test_new_file(monkeypatch: pytest.MonkeyPatch, local_tmp: Path, windows: bool, scheme: str, newline: bytes, modules: list[str]) -> None:
    target = FakeTarget(windows=windows)
    result = run(monkeypatch, target, users=[{"name": "alice", "password": ALICE}, {"name": "bob", "password": BOB}])
    assert result == {"changed": True, "path": path_for(windows), "scheme": scheme, "added": ["alice", "bob"], "updated": [], "removed": []}
    assert target.names == modules
    content = target.files[path_for(windows)]
    assert content.count(newline) == content.count(b"\n") == 2
    hashes = entries_of(target)
    assert list(hashes) == ["alice", "bob"]
    assert core.verifies(core.SCHEMES[scheme], ALICE, hashes["alice"]) and core.verifies(core.SCHEMES[scheme], BOB, hashes["bob"])
    assert list(local_tmp.iterdir()) == [], "the controller copy of the hashes is removed"


def test_windows_write_is_staged_and_renamed(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=True)
    run(monkeypatch, target, users=[{"name": "alice", "password": ALICE}])
    copy, move = target.calls[-2:]
    assert re.fullmatch(re.escape(WINDOWS_PATH) + r"\.[0-9a-f]{8}\.new", copy.args["dest"])
    assert move.name == "ansible.windows.win_command"
    assert move.args == {"cmd": f'cmd.exe /d /c move /y "{copy.args["dest"]}" "{WINDOWS_PATH}"'}
    assert list(target.files) == [WINDOWS_PATH]


def test_second_run_changes_nothing(monkeypatch: pytest.MonkeyPatch, windows: bool) -> None:
    target = FakeTarget(windows=windows)
    users = [{"name": "alice", "password": ALICE}, {"name": "bob", "password": BOB}]
    run(monkeypatch, target, users=users)
    before, calls = dict(target.files), len(target.calls)
    result = run(monkeypatch, target, users=users, exclusive=True)
    assert result["changed"] is False and result["added"] == result["updated"] == result["removed"] == []
    assert target.names[calls:] == [f"{target.prefix}slurp"], "one read, no write"
    assert target.files == before


def test_an_lf_file_on_windows_is_left_alone_when_nothing_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    content = f"# gateway users\nalice:{apr1(ALICE)}\n".encode()
    target = FakeTarget(windows=True, files={WINDOWS_PATH: content})
    result = run(monkeypatch, target, users=[{"name": "alice", "password": ALICE}])
    assert result["changed"] is False
    assert target.names == ["ansible.windows.slurp"]
    assert target.files[WINDOWS_PATH] == content


def test_existing_file_keeps_comments_and_other_users(monkeypatch: pytest.MonkeyPatch) -> None:
    zoe = apr1(CAROL)
    target = FakeTarget(windows=False, files={POSIX_PATH: f"# gateway\nzoe:{zoe}\n\nalice:{apr1(BOB)}\n".encode()})
    result = run(monkeypatch, target, users=[{"name": "alice", "password": ALICE}, {"name": "bob", "password": BOB}], hash_scheme="apr1")
    assert (result["added"], result["updated"], result["removed"]) == (["bob"], ["alice"], [])
    lines = target.files[POSIX_PATH].decode().splitlines()
    assert lines[:3] == ["# gateway", f"zoe:{zoe}", ""]
    assert [line.split(":")[0] for line in lines[3:]] == ["alice", "bob"]


@pytest.mark.parametrize(
    ("users", "exclusive", "expected"),
    [
        pytest.param([{"name": "bob", "state": "absent"}], False, {"removed": ["bob"]}, id="absent"),
        pytest.param([{"name": "alice", "password": ALICE}], True, {"removed": ["bob"]}, id="exclusive"),
        pytest.param([{"name": "alice", "password": BOB}], False, {"updated": ["alice"]}, id="new-password"),
    ],
)
def test_changes_are_reported(monkeypatch: pytest.MonkeyPatch, users: list[dict[str, t.Any]], exclusive: bool, expected: dict[str, list[str]]) -> None:
    target = FakeTarget(windows=True, files={WINDOWS_PATH: f"alice:{apr1(ALICE)}\r\nbob:{apr1(BOB)}\r\n".encode()})
    result = run(monkeypatch, target, users=users, exclusive=exclusive)
    assert result["changed"] is True
    assert {key: result[key] for key in ("added", "updated", "removed") if result[key]} == expected


def test_update_password_on_create_keeps_existing_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    stored = apr1(ALICE)
    target = FakeTarget(windows=False, files={POSIX_PATH: f"alice:{stored}\n".encode()})
    result = run(
        monkeypatch,
        target,
        users=[{"name": "alice", "password": BOB}, {"name": "carol", "password": CAROL}],
        update_password="on_create",
        hash_scheme="apr1",
    )
    assert (result["added"], result["updated"]) == (["carol"], [])
    assert entries_of(target)["alice"] == stored


@pytest.mark.parametrize("scheme", ["bcrypt", "sha512_crypt", "sha256_crypt"])
def test_crypt3_scheme_on_windows_fails_before_anything_is_written(monkeypatch: pytest.MonkeyPatch, scheme: str) -> None:
    target = FakeTarget(windows=True, files={WINDOWS_PATH: b"alice:{SSHA}abc\r\n"})
    with pytest.raises(AnsibleActionFail) as exc:
        run(monkeypatch, target, users=[{"name": "alice", "password": ALICE}], hash_scheme=scheme)
    assert str(exc.value).startswith(f"{WINDOWS_PATH}: hash_scheme {scheme} cannot be used on a Windows target")
    assert target.calls == []
    assert target.files == {WINDOWS_PATH: b"alice:{SSHA}abc\r\n"}


def test_an_entry_nginx_for_windows_reads_as_plain_text_is_refused_and_nothing_is_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """A $6$ line copied from Linux: on Windows its hash string would be the password."""
    old = f"alice:{apr1(ALICE)}\r\nzoe:{core.SCHEMES['sha512_crypt'].handler().hash(BOB)}\r\n".encode()
    target = FakeTarget(windows=True, files={WINDOWS_PATH: old})
    with pytest.raises(AnsibleActionFail, match=r"'zoe' use a scheme nginx for Windows cannot verify \(sha512_crypt\)"):
        run(monkeypatch, target, users=[{"name": "alice", "password": ALICE}])
    assert target.files == {WINDOWS_PATH: old}
    assert target.names == ["ansible.windows.slurp"]


def test_windows_check_mode_writes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    old = f"alice:{apr1(ALICE)}\r\n".encode()
    target = FakeTarget(windows=True, files={WINDOWS_PATH: old})
    result = run(monkeypatch, target, check_mode=True, users=[{"name": "alice", "state": "absent"}, {"name": "bob", "password": BOB}])
    assert result["changed"] is True and result["added"] == ["bob"] and result["removed"] == ["alice"]
    assert target.names == ["ansible.windows.slurp"]
    assert target.files == {WINDOWS_PATH: old}


def test_posix_check_mode_leaves_the_write_to_copy_in_check_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=False)
    result = run(monkeypatch, target, check_mode=True, users=[{"name": "bob", "password": BOB}])
    assert result["changed"] is True
    assert [c.check_mode for c in target.copies] == [True]
    assert target.files == {}


def test_posix_owner_group_mode_go_to_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=False)
    result, action = run_action(monkeypatch, target, users=[{"name": "bob", "password": BOB}], owner="root", group="www-data", mode="0640")
    assert result["changed"] is True
    assert target.copies[0].args == {"force": True, "owner": "root", "group": "www-data", "mode": "0640"}
    assert warnings_of(action) == []


def test_windows_ignores_owner_group_mode_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=True)
    result, action = run_action(monkeypatch, target, users=[{"name": "bob", "password": BOB}], owner="Administrators", mode="0640")
    assert result["changed"] is True
    (warning,) = warnings_of(action)
    assert "mode, owner ignored on a Windows target" in warning
    assert target.copies[0].args == {"force": True}


def test_diff_lists_users_and_schemes(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=True, files={WINDOWS_PATH: f"# top\r\nalice:{apr1(BOB)}\r\nzoe:{{SHA}}abc=\r\n".encode()})
    result = run(monkeypatch, target, diff=True, users=[{"name": "alice", "password": ALICE}, {"name": "bob", "password": BOB}], exclusive=True)
    assert result["diff"] == {
        "before_header": f"{WINDOWS_PATH} (users)",
        "after_header": f"{WINDOWS_PATH} (users)",
        "before": "alice (apr1)\nzoe (other)\n",
        "after": "alice (apr1, new hash)\nbob (apr1)\n",
    }


def test_no_diff_without_a_change(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=True, files={WINDOWS_PATH: f"alice:{apr1(ALICE)}\r\n".encode()})
    result = run(monkeypatch, target, diff=True, users=[{"name": "alice", "password": ALICE}])
    assert "diff" not in result


def test_no_password_or_hash_in_the_result(monkeypatch: pytest.MonkeyPatch, windows: bool) -> None:
    old_hashes = [apr1(ALICE), apr1(BOB), apr1(CAROL)]
    newline = "\r\n" if windows else "\n"
    old = newline.join(f"{name}:{value}" for name, value in zip(["alice", "bob", "zoe"], old_hashes, strict=True)) + newline
    target = FakeTarget(windows=windows, files={path_for(windows): old.encode()})
    users = [{"name": "alice", "password": BOB}, {"name": "bob", "state": "absent"}, {"name": "carol", "password": CAROL}]
    result, action = run_action(monkeypatch, target, diff=True, exclusive=True, users=users, owner="root")
    new_hashes = list(entries_of(target).values())
    assert len(new_hashes) == 2
    shown = json.dumps(result) + json.dumps(warnings_of(action))
    for secret in [ALICE, BOB, CAROL, *old_hashes, *new_hashes]:
        assert secret not in shown
    for value in [*old_hashes, *new_hashes]:
        assert value.split("$")[-1] not in shown, "not even the checksum part of a hash"


@pytest.mark.parametrize(
    ("files", "args", "fragments"),
    [
        pytest.param({POSIX_PATH: b"alice:$apr1$a$b\nbroken\n"}, {"users": [{"name": "alice", "password": ALICE}]}, ["line(s) 2", "exclusive"], id="malformed"),
        pytest.param({}, {"users": [{"name": "alice", "password": ALICE}], "create": False}, ["does not exist and create is false"], id="missing-no-create"),
        pytest.param({POSIX_PATH: b"alice:\xff\xfe\n"}, {"users": []}, [f"{POSIX_PATH} is not UTF-8 text"], id="not-utf8"),
        pytest.param({}, {"users": [{"name": "alice", "password": ALICE[:8]}]}, ["'alice'", "min_password_length (12"], id="short-password"),
        pytest.param({}, {"users": [{"name": "al:ice", "password": ALICE}]}, ["contains ':'"], id="bad-name"),
        pytest.param({}, {"users": [{"name": "alice"}]}, ["'alice' needs a password"], id="no-password"),
        pytest.param({}, {"users": [{"name": "alice", "password": ALICE * 3}], "hash_scheme": "bcrypt"}, ["72 bytes"], id="bcrypt-too-long"),
        pytest.param({}, {"users": [], "hash_scheme": "md5"}, ["hash_scheme", "md5"], id="unknown-scheme"),
        pytest.param({}, {"users": [], "passwords": ALICE}, ["Unsupported parameters", "passwords"], id="unknown-option"),
        pytest.param({}, {"users": [{"name": "alice", "password": ALICE, "pass": ALICE}]}, ["pass"], id="unknown-user-option"),
        pytest.param({}, {"users": [], "update_password": "sometimes"}, ["update_password", "sometimes"], id="bad-choice"),
    ],
)
def test_bad_input_fails_without_writing_or_showing_the_password(
    monkeypatch: pytest.MonkeyPatch, files: dict[str, bytes], args: dict[str, t.Any], fragments: list[str]
) -> None:
    target = FakeTarget(windows=False, files=dict(files))
    with pytest.raises(AnsibleActionFail) as exc:
        run(monkeypatch, target, **args)
    message = str(exc.value)
    for fragment in fragments:
        assert fragment in message
    assert ALICE not in message and ALICE[:8] not in message
    assert target.writes == []
    assert target.files == files


def test_missing_path_is_an_argument_error(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=False)
    action = make_action(monkeypatch, ActionModule, target, {"users": []})
    with pytest.raises(AnsibleActionFail, match="path"):
        action.run(task_vars={})
    assert target.calls == []


def test_dest_is_an_alias_of_path(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=False)
    action = make_action(monkeypatch, ActionModule, target, {"dest": POSIX_PATH, "users": [{"name": "bob", "password": BOB}]})
    assert action.run(task_vars={})["path"] == POSIX_PATH
    assert list(target.files) == [POSIX_PATH]


def test_unreadable_file_stops_the_task(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=True, unreadable={WINDOWS_PATH})
    with pytest.raises(AnsibleActionFail, match="cannot read"):
        run(monkeypatch, target, users=[{"name": "bob", "password": BOB}])
    assert target.writes == []


def test_exclusive_drops_malformed_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    stored = apr1(ALICE)
    target = FakeTarget(windows=False, files={POSIX_PATH: f"# users\nalice:{stored}\nnot an entry\n".encode()})
    result = run(monkeypatch, target, users=[{"name": "alice", "password": ALICE}], exclusive=True, hash_scheme="apr1")
    assert result["changed"] is True
    assert target.files[POSIX_PATH] == f"# users\nalice:{stored}\n".encode()
    result = run(monkeypatch, target, users=[{"name": "alice", "password": ALICE}], exclusive=True, hash_scheme="apr1")
    assert result["changed"] is False


def test_without_passlib_the_task_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(core, "HAS_PASSLIB", False)
    target = FakeTarget(windows=False)
    with pytest.raises(AnsibleActionFail, match="pip install libpass"):
        run(monkeypatch, target, users=[])
    assert target.calls == []
