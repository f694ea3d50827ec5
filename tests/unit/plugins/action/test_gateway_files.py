# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import hashlib
import typing as t

import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.ollama_remote.proxy.plugins.action.gateway_files import ActionModule

from .._fake_target import FakeTarget, make_action

pytestmark = pytest.mark.usefixtures("local_tmp")

DIR = "/etc/nginx/ollama-gateway"
CONF, USERS, KEYS, ACCESS = "/etc/nginx/conf.d/ollama-gateway.conf", f"{DIR}/users.htpasswd", f"{DIR}/api-keys.map", f"{DIR}/access.conf"
PASSWORD, KEY = "correct-horse-battery", "k" * 40


def arguments(**overrides: t.Any) -> dict[str, t.Any]:
    args: dict[str, t.Any] = {
        "directories": [{"path": DIR, "owner": "root", "group": "www-data", "mode": "0750"}],
        "files": [{"path": CONF, "content": "include ollama-gateway/*;"}],
        "mode": "0644",
        "users": {"path": USERS, "users": [{"name": "alice", "password": PASSWORD}], "exclusive": True, "group": "www-data", "mode": "0640"},
        "api_keys": {"path": KEYS, "keys": [{"name": "langflow", "key": KEY}], "mode": "0600"},
        "access": {"path": ACCESS, "rules": [{"allow": "192.0.2.0/24"}], "mode": "0600"},
        "validate": "nginx -t",
    }
    return args | overrides


def run(monkeypatch: pytest.MonkeyPatch, target: FakeTarget, *, check_mode: bool = False, **args: t.Any) -> dict[str, t.Any]:
    action = make_action(monkeypatch, ActionModule, target, args, check_mode=check_mode)
    return action.run(task_vars={"inventory_hostname": "gateway"})


def test_every_part_is_written_then_checked_once(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=False)
    result = run(monkeypatch, target, **arguments())
    assert result["changed"] is True and sorted(result["changed_paths"]) == sorted([CONF, USERS, KEYS, ACCESS])
    assert result["users"]["added"] == ["alice"] and result["api_keys"]["added"] == ["langflow"] and result["access"]["rules"] == ["allow 192.0.2.0/24"]
    assert [command for command, files in target.validated] == ["nginx -t"], "one validation, with every file in place"
    assert set(target.validated[0][1]) == {CONF, USERS, KEYS, ACCESS}
    assert target.attributes[USERS] == {"group": "www-data", "mode": "0640"} and target.attributes[KEYS] == {"mode": "0600"}
    assert PASSWORD not in str(result) and KEY not in str(result)


def test_a_converged_gateway_costs_a_look_and_a_read(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=False)
    run(monkeypatch, target, **arguments())
    calls = len(target.calls)
    result = run(monkeypatch, target, **arguments())
    assert result["changed"] is False
    assert target.names[calls:] == ["ansible.legacy.find", "ansible.legacy.slurp"], "the users file is read: its hashes are salted"
    assert result["checksums"] == {CONF: hashlib.sha1(b"include ollama-gateway/*;\n").hexdigest()}, "the configuration's files only"


def test_a_failed_validation_puts_back_every_part(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=False)
    run(monkeypatch, target, **arguments())
    before = dict(target.files)
    target.command_result = {"rc": 1, "stdout": "", "stderr": "[emerg] bad"}
    changed = arguments(files=[{"path": CONF, "content": "broken;"}], access={"path": ACCESS, "rules": [{"allow": "198.51.100.0/24"}], "mode": "0600"})
    with pytest.raises(AnsibleActionFail, match="validation failed"):
        run(monkeypatch, target, **changed)
    assert target.files == before


def test_parts_are_optional(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=False)
    result = run(monkeypatch, target, files=[{"path": CONF, "content": "a"}])
    assert result["changed_paths"] == [CONF] and "users" not in result


@pytest.mark.parametrize(
    ("override", "message"),
    [
        pytest.param({"users": {"path": USERS, "users": [{"name": "alice", "password": "short"}]}}, f"{USERS}: ", id="users-core"),
        pytest.param({"api_keys": {"path": KEYS, "keys": [{"name": "langflow", "key": "short"}]}}, f"{KEYS}: ", id="keys-core"),
        pytest.param({"access": {"path": ACCESS, "rules": [{"allow": "not-a-network"}]}}, "not-a-network", id="access-core"),
        pytest.param({"users": {"users": []}}, "users: missing required arguments: path", id="users-spec"),
        pytest.param(
            {"access": {"path": ACCESS, "rules": [], "marker": "X", "check_path": "/y"}}, "access: parameters are mutually exclusive", id="access-spec"
        ),
        pytest.param({"api_keys": {"path": USERS, "keys": []}}, "each path may appear only once", id="same-path"),
    ],
)
def test_bad_input_names_the_part_and_writes_nothing(monkeypatch: pytest.MonkeyPatch, override: dict[str, t.Any], message: str) -> None:
    target = FakeTarget(windows=False)
    with pytest.raises(AnsibleActionFail, match=message):
        run(monkeypatch, target, **arguments(**override))
    assert target.files == {} and target.writes == []


def test_windows_targets_get_crlf_files_and_no_posix_attributes(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=True)
    prefix = "C:/nginx/conf"
    args = {
        "directories": [{"path": f"{prefix}/ollama-gateway"}],
        "files": [{"path": f"{prefix}/ollama-gateway.conf", "content": "a\nb"}],
        "users": {"path": f"{prefix}/ollama-gateway/users.htpasswd", "users": [{"name": "alice", "password": PASSWORD}]},
    }
    result = run(monkeypatch, target, **args)
    assert result["users"]["scheme"] == "apr1"
    assert target.files[f"{prefix}/ollama-gateway.conf"] == b"a\r\nb\r\n"
