# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import hashlib
import typing as t

import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.ollama_remote.proxy.plugins.action.config_files import ActionModule

from .._fake_target import FakeTarget, make_action

pytestmark = pytest.mark.usefixtures("local_tmp")

DIR = "/etc/nginx/ollama-gateway"
CONF, ACCESS = "/etc/nginx/conf.d/ollama-gateway.conf", f"{DIR}/access.conf"
WIN_CONF = "C:/ollama-gateway/conf/ollama-gateway.conf"


def run(monkeypatch: pytest.MonkeyPatch, target: FakeTarget, *, check_mode: bool = False, diff: bool = False, **args: t.Any) -> dict[str, t.Any]:
    action = make_action(monkeypatch, ActionModule, target, args, check_mode=check_mode, diff=diff)
    return action.run(task_vars={"inventory_hostname": "gateway"})


def test_files_are_written_with_a_final_newline_and_crlf_on_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    posix, windows = FakeTarget(windows=False), FakeTarget(windows=True)
    run(monkeypatch, posix, files=[{"path": CONF, "content": "server {\n}"}])
    run(monkeypatch, windows, files=[{"path": WIN_CONF, "content": "server {\n}"}])
    assert posix.files == {CONF: b"server {\n}\n"}
    assert windows.files == {WIN_CONF: b"server {\r\n}\r\n"}


def test_a_second_run_is_one_look(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=False)
    args = {"files": [{"path": CONF, "content": "a"}, {"path": ACCESS, "content": "deny all;"}], "mode": "0644", "validate": "nginx -t"}
    args["directories"] = [{"path": DIR, "owner": "root", "group": "www-data", "mode": "0750"}]
    assert run(monkeypatch, target, **args)["changed"] is True
    calls = len(target.calls)
    result = run(monkeypatch, target, **args)
    assert (result["changed"], result["changed_paths"]) == (False, [])
    assert target.names[calls:] == ["ansible.legacy.find"]


def test_checksums_tell_what_is_there_after_the_task_without_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    exe, missing = "/opt/nginx/nginx.exe", "/opt/shawl/shawl.exe"
    target = FakeTarget(windows=False, files={ACCESS: b"allow 192.0.2.1;\n", exe: b"MZ"})
    files = [{"path": ACCESS, "content": "deny all;", "force": False}, {"path": CONF, "content": "a"}]
    result = run(monkeypatch, target, check_mode=True, files=files, look=[exe, missing])
    assert result["checksums"] == {
        ACCESS: hashlib.sha1(b"allow 192.0.2.1;\n").hexdigest(),  # kept: what it holds
        CONF: hashlib.sha1(b"a\n").hexdigest(),  # as it would be written
        exe: hashlib.sha1(b"MZ").hexdigest(),
        missing: None,
    }
    assert target.names.count("ansible.legacy.find") == 1 and "ansible.legacy.slurp" not in target.names


def test_directories_come_first_with_their_own_attributes(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=False)
    run(monkeypatch, target, files=[{"path": ACCESS, "content": "deny all;"}], mode="0600", directories=[{"path": DIR, "group": "www-data", "mode": "0750"}])
    assert target.names == ["ansible.legacy.find", "ansible.legacy.file", "ansible.legacy.copy"]
    assert target.calls[1].args == {"path": DIR, "state": "directory", "group": "www-data", "mode": "0750"}
    assert target.attributes[ACCESS] == {"mode": "0600"}


def test_a_directory_with_other_attributes_is_corrected(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=False, directories={DIR}, attributes={DIR: {"mode": "0777", "owner": "root", "group": "www-data"}})
    result = run(monkeypatch, target, files=[], directories=[{"path": DIR, "owner": "root", "group": "www-data", "mode": "0750"}])
    assert result["changed"] is True and target.attributes[DIR]["mode"] == "0750"


def test_windows_directories_get_no_posix_attributes(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=True)
    run(monkeypatch, target, files=[], directories=[{"path": "C:/ollama-gateway/conf", "mode": "0750"}])
    assert [(c.name, c.args) for c in target.calls[1:]] == [("ansible.windows.win_file", {"path": "C:/ollama-gateway/conf", "state": "directory"})]


def test_placeholders_are_kept_once_they_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=False, files={ACCESS: b"allow 192.0.2.1;\n"})
    result = run(monkeypatch, target, files=[{"path": ACCESS, "content": "deny all;", "force": False}, {"path": CONF, "content": "a"}])
    assert result["changed_paths"] == [CONF]
    assert target.files[ACCESS] == b"allow 192.0.2.1;\n"


def test_a_failed_validation_puts_every_file_back(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=False, files={CONF: b"old\n"}, command_result={"rc": 1, "stdout": "", "stderr": "[emerg] unknown directive"})
    with pytest.raises(AnsibleActionFail, match=r"validation failed.*\n\[emerg\] unknown directive"):
        run(monkeypatch, target, files=[{"path": CONF, "content": "new"}, {"path": ACCESS, "content": "deny all;"}], validate="nginx -t")
    assert target.files == {CONF: b"old\n"}


def test_diff_shows_content_unless_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    shown = run(monkeypatch, FakeTarget(windows=False), diff=True, files=[{"path": CONF, "content": "a"}])
    hidden = run(monkeypatch, FakeTarget(windows=False), diff=True, secret=True, files=[{"path": CONF, "content": "a"}])
    assert shown["diff"] == [{"before_header": CONF, "after_header": CONF, "before": "", "after": "a\n"}]
    assert "diff" not in hidden


def test_check_mode_writes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=False)
    assert run(monkeypatch, target, check_mode=True, files=[{"path": CONF, "content": "a"}], validate="nginx -t")["changed"] is True
    assert target.files == {} and target.validated == []


def test_a_path_twice_is_refused_before_anything_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=False)
    with pytest.raises(AnsibleActionFail, match="each path may appear only once"):
        run(monkeypatch, target, files=[{"path": CONF, "content": "a"}, {"path": CONF, "content": "b"}])
    assert target.calls == []


def test_clashing_files_are_removed_and_put_back_when_validation_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    default_site = "/etc/nginx/sites-enabled/default"
    target = FakeTarget(windows=False, files={default_site: b"server { listen 80 default_server; }\n"})
    result = run(monkeypatch, target, files=[{"path": CONF, "content": "a"}], absent=[default_site])
    assert result["changed_paths"] == [CONF, default_site] and default_site not in target.files
    calls = len(target.calls)
    assert run(monkeypatch, target, files=[{"path": CONF, "content": "a"}], absent=[default_site])["changed"] is False
    assert target.names[calls:] == ["ansible.legacy.find"], "a file that is gone is only looked for"
    target.files[default_site] = b"server { listen 80 default_server; }\n"
    target.command_result = {"rc": 1, "stdout": "", "stderr": "[emerg] bad"}
    with pytest.raises(AnsibleActionFail, match="validation failed"):
        run(monkeypatch, target, files=[{"path": CONF, "content": "b"}], absent=[default_site], validate="nginx -t")
    assert target.files == {CONF: b"a\n", default_site: b"server { listen 80 default_server; }\n"}
