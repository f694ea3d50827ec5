# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import re
import typing as t

import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.ollama_remote.proxy.plugins.action.access_rules import ActionModule
from ansible_collections.ollama_remote.proxy.plugins.module_utils._access_rules import HEADER

from .._fake_target import FakeTarget, make_action, warnings_of

pytestmark = pytest.mark.usefixtures("local_tmp")

POSIX_PATH = "/etc/nginx/ollama-access.conf"
WINDOWS_PATH = "C:\\nginx\\conf\\ollama-access.conf"
RULES = [{"deny": "198.51.100.7"}, {"allow": "198.51.100.0/24"}, {"allow": "2001:db8::/32"}]
DIRECTIVES = [HEADER, "deny 198.51.100.7;", "allow 198.51.100.0/24;", "allow 2001:db8::/32;", "deny all;"]
SITE = ["server {", "    listen 443 ssl;", "    # BEGIN OLLAMA ACCESS", "    # END OLLAMA ACCESS", "}"]


def path_for(windows: bool) -> str:
    return WINDOWS_PATH if windows else POSIX_PATH


def text(lines: list[str], windows: bool) -> bytes:
    newline = "\r\n" if windows else "\n"
    return "".join(line + newline for line in lines).encode()


def run_action(
    monkeypatch: pytest.MonkeyPatch, target: FakeTarget, *, check_mode: bool = False, diff: bool = False, **args: t.Any
) -> tuple[dict[str, t.Any], ActionModule]:
    """Run the task on `target`; the path defaults to one fitting the target's OS."""
    args.setdefault("path", path_for(target.windows))
    action = make_action(monkeypatch, ActionModule, target, args, check_mode=check_mode, diff=diff)
    return action.run(task_vars={"inventory_hostname": "gateway"}), action


def run(monkeypatch: pytest.MonkeyPatch, target: FakeTarget, **kwargs: t.Any) -> dict[str, t.Any]:
    return run_action(monkeypatch, target, **kwargs)[0]


@pytest.fixture(params=[False, True], ids=["posix", "windows"])
def windows(request: pytest.FixtureRequest) -> bool:
    return t.cast(bool, request.param)


@pytest.mark.parametrize(
    ("windows", "modules"),
    [
        pytest.param(False, ["ansible.legacy.find", "ansible.legacy.copy"], id="posix"),
        pytest.param(True, ["ansible.windows.win_find", "ansible.windows.win_copy", "ansible.windows.win_command"], id="windows"),
    ],
)
def test_directives_file(monkeypatch: pytest.MonkeyPatch, windows: bool, modules: list[str]) -> None:
    target = FakeTarget(windows=windows)
    result, action = run_action(monkeypatch, target, rules=RULES)
    assert result == {"changed": True, "path": path_for(windows), "rules": ["deny 198.51.100.7", "allow 198.51.100.0/24", "allow 2001:db8::/32"]}
    assert target.names == modules
    assert target.files == {path_for(windows): text(DIRECTIVES, windows)}
    assert warnings_of(action) == []


def test_windows_write_is_staged_and_renamed(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=True)
    run(monkeypatch, target, rules=RULES)
    copy, move = target.calls[-2:]
    assert re.fullmatch(re.escape(WINDOWS_PATH) + r"\.[0-9a-f]{8}\.new", copy.args["dest"])
    assert move.args == {"cmd": f'cmd.exe /d /c move /y "{copy.args["dest"]}" "{WINDOWS_PATH}"'}


@pytest.mark.parametrize(
    "args",
    [
        pytest.param({"rules": RULES}, id="directives"),
        pytest.param({"rules": RULES, "format": "geo", "check_path": "CHECK"}, id="geo"),
        pytest.param({"rules": RULES, "marker": "OLLAMA ACCESS"}, id="marker"),
    ],
)
def test_second_run_changes_nothing(monkeypatch: pytest.MonkeyPatch, windows: bool, args: dict[str, t.Any]) -> None:
    path = path_for(windows)
    args = {k: (path + ".check" if v == "CHECK" else v) for k, v in args.items()}
    target = FakeTarget(windows=windows, files={path: text(SITE, windows)} if "marker" in args else {})
    first = run(monkeypatch, target, **args)
    assert first["changed"] is True
    before, calls = dict(target.files), len(target.calls)
    second = run(monkeypatch, target, validate="nginx -t", **args)
    assert second["changed"] is False
    # A marked block lives in a file the plugin does not own: it reads it whole. Its own files it only looks at.
    looks = ["slurp"] if "marker" in args else [f"{'win_' if target.windows else ''}find"]
    assert target.names[calls:] == [target.prefix + name for name in looks], "one module run: no write, no validation"
    assert target.files == before


def test_geo_with_check_path(monkeypatch: pytest.MonkeyPatch, windows: bool) -> None:
    path = path_for(windows)
    target = FakeTarget(windows=windows)
    result = run(monkeypatch, target, rules=RULES, format="geo", check_path=path + ".check", geo_variable="denied", default="allow")
    assert result["check"] == "if ($denied) {\n    return 403;\n}"
    assert target.files == {
        path: text([HEADER, "geo $denied {", "    default 0;", "    198.51.100.7 1;", "    198.51.100.0/24 0;", "    2001:db8::/32 0;", "}"], windows),
        path + ".check": text([HEADER, "if ($denied) {", "    return 403;", "}"], windows),
    }


def test_geo_without_check_path_returns_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=False)
    result = run(monkeypatch, target, rules=RULES, format="geo")
    assert result["check"] == "if ($ollama_access_denied) {\n    return 403;\n}"
    assert list(target.files) == [POSIX_PATH]


def test_trusted_proxies_come_first(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=False)
    run(monkeypatch, target, rules=RULES[:1], trusted_proxies=["10.0.0.5", "10.0.1.0/24"])
    assert target.files[POSIX_PATH].decode().splitlines() == [
        HEADER,
        "set_real_ip_from 10.0.0.5;",
        "set_real_ip_from 10.0.1.0/24;",
        "real_ip_header X-Forwarded-For;",
        "real_ip_recursive on;",
        "deny 198.51.100.7;",
        "deny all;",
    ]


def test_marker_replaces_only_the_block(monkeypatch: pytest.MonkeyPatch, windows: bool) -> None:
    path = path_for(windows)
    target = FakeTarget(windows=windows, files={path: text(SITE, windows)})
    result = run(monkeypatch, target, rules=RULES[:2], marker="OLLAMA ACCESS", default="allow")
    assert result["changed"] is True
    expected = [*SITE[:3], "    deny 198.51.100.7;", "    allow 198.51.100.0/24;", "    allow all;", *SITE[3:]]
    assert target.files[path] == text(expected, windows)


def test_marker_keeps_a_crlf_file_crlf_on_posix(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=False, files={POSIX_PATH: text(SITE, True)})
    run(monkeypatch, target, rules=RULES[:1], marker="OLLAMA ACCESS")
    content = target.files[POSIX_PATH]
    assert content.count(b"\r\n") == content.count(b"\n") == len(SITE) + 2


@pytest.mark.parametrize(
    ("files", "args", "fragments"),
    [
        pytest.param({}, {"rules": RULES, "marker": "X"}, ["does not exist", "with marker"], id="marker-missing-file"),
        pytest.param({POSIX_PATH: b"server {}\n"}, {"rules": RULES, "marker": "X"}, ["'# BEGIN X'", "found 0 BEGIN and 0 END"], id="marker-missing-lines"),
        pytest.param({}, {"rules": RULES, "marker": "X", "format": "geo"}, ["format geo", "marked block"], id="geo-with-marker"),
        pytest.param({}, {"rules": RULES, "marker": "X", "check_path": "/c"}, ["mutually exclusive", "marker", "check_path"], id="marker-and-check-path"),
        pytest.param({}, {"rules": [{"allow": "gateway.example"}]}, ["rule 1", "'gateway.example'"], id="host-name"),
        pytest.param({}, {"rules": [{"allow": "198.51.100.0/24"}, {"deny": "198.51.100.7"}]}, ["rule 2", "never match"], id="shadowed"),
        pytest.param({}, {"rules": [{"deny": "198.51.100.7/24"}]}, ["198.51.100.0/24"], id="host-bits"),
        pytest.param({}, {"rules": RULES, "trusted_proxies": ["0.0.0.0/0"]}, ["trusted proxy 1"], id="trusted-everything"),
        pytest.param({}, {"rules": RULES, "geo_variable": "$denied"}, ["geo_variable"], id="bad-variable"),
        pytest.param({}, {"rules": RULES, "default": "reject"}, ["default", "reject"], id="bad-default"),
        pytest.param({}, {"rules": RULES, "allow": "all"}, ["Unsupported parameters", "allow"], id="unknown-option"),
    ],
)
def test_bad_input_fails_without_writing(monkeypatch: pytest.MonkeyPatch, files: dict[str, bytes], args: dict[str, t.Any], fragments: list[str]) -> None:
    target = FakeTarget(windows=False, files=dict(files))
    with pytest.raises(AnsibleActionFail) as exc:
        run(monkeypatch, target, **args)
    for fragment in fragments:
        assert fragment in str(exc.value)
    assert target.writes == []
    assert target.files == files


def test_duplicates_are_dropped_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=False)
    result = run(monkeypatch, target, rules=[*RULES, {"deny": "198.51.100.7/32"}])
    assert result["rules"] == ["deny 198.51.100.7", "allow 198.51.100.0/24", "allow 2001:db8::/32"]
    assert result["warnings"] == ["rule 4: 'deny 198.51.100.7' repeats an earlier rule and was dropped"]
    assert target.files[POSIX_PATH] == text(DIRECTIVES, False)


def test_validate_runs_with_the_path(monkeypatch: pytest.MonkeyPatch, windows: bool) -> None:
    path = path_for(windows)
    target = FakeTarget(windows=windows)
    run(monkeypatch, target, rules=RULES, validate="nginx -t -c %s")
    ((command, files_then),) = target.validated
    assert command == (f'nginx -t -c "{path}"' if windows else f"nginx -t -c {path}")
    assert files_then[path] == text(DIRECTIVES, windows)


def test_validate_failure_puts_everything_back(monkeypatch: pytest.MonkeyPatch, windows: bool) -> None:
    path = path_for(windows)
    old = text([HEADER, "allow all;"], windows)
    target = FakeTarget(windows=windows, files={path: old}, command_result={"rc": 1, "stdout": "", "stderr": "nginx: [emerg] duplicate network"})
    with pytest.raises(AnsibleActionFail) as exc:
        run(monkeypatch, target, rules=RULES, format="geo", check_path=path + ".check", validate="nginx -t")
    message = str(exc.value)
    assert "validation failed, so the previous file(s) were put back: nginx -t (rc=1)" in message
    assert "nginx: [emerg] duplicate network" in message
    assert target.files == {path: old}, "the old file is back and the new check file is gone"
    assert len(target.validated) == 1 and set(target.validated[0][1]) == {path, path + ".check"}


def test_check_mode_on_windows_writes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=True, files={WINDOWS_PATH: b"allow all;\r\n"})
    result = run(monkeypatch, target, check_mode=True, rules=RULES, validate="nginx -t")
    assert result["changed"] is True
    assert target.writes == [] and target.validated == []
    assert target.files == {WINDOWS_PATH: b"allow all;\r\n"}


def test_diff_shows_each_changed_file(monkeypatch: pytest.MonkeyPatch) -> None:
    old = text([HEADER, "allow all;"], False)
    target = FakeTarget(windows=False, files={POSIX_PATH: old})
    check = POSIX_PATH + ".check"
    result = run(monkeypatch, target, diff=True, rules=RULES, format="geo", check_path=check)
    before, after = result["diff"]
    assert before["before_header"] == before["after_header"] == POSIX_PATH
    assert before["before"] == old.decode() and before["after"] == target.files[POSIX_PATH].decode()
    assert after["before_header"] == check and after["before"] == "" and after["after"] == target.files[check].decode()


def test_no_diff_without_a_change(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=False, files={POSIX_PATH: text(DIRECTIVES, False)})
    result = run(monkeypatch, target, diff=True, rules=RULES)
    assert result["changed"] is False and "diff" not in result


def test_windows_ignores_owner_group_mode_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=True)
    result, action = run_action(monkeypatch, target, rules=RULES, owner="SYSTEM", group="Administrators", mode="0644")
    assert result["changed"] is True
    (warning,) = warnings_of(action)
    assert "group, mode, owner ignored on a Windows target" in warning
    assert [c.args for c in target.copies] == [{"force": True}]


def test_posix_owner_group_mode_are_enforced(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=False, files={POSIX_PATH: text(DIRECTIVES, False)})
    result = run(monkeypatch, target, rules=RULES, owner="root", group="root", mode="0644")
    assert result["changed"] is True, "same content, new attributes"
    assert target.copies == []
    assert target.attributes[POSIX_PATH] == {"owner": "root", "group": "root", "mode": "0644"}
    assert target.files[POSIX_PATH] == text(DIRECTIVES, False)
