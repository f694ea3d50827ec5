# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import datetime
import typing as t

import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.ollama_remote.proxy.plugins.action.api_keys import ActionModule
from ansible_collections.ollama_remote.proxy.plugins.module_utils._api_keys import HEADER

from .._fake_target import FakeTarget, make_action

pytestmark = pytest.mark.usefixtures("local_tmp")

PATH = "/etc/nginx/ollama-gateway/api-keys.map"
LANGFLOW, WEBUI = "l" * 40, "w" * 40
TODAY = datetime.date.today()


def day(offset: int) -> str:
    return (TODAY + datetime.timedelta(days=offset)).isoformat()


def run(monkeypatch: pytest.MonkeyPatch, target: FakeTarget, *, check_mode: bool = False, **args: t.Any) -> dict[str, t.Any]:
    args.setdefault("path", PATH)
    return make_action(monkeypatch, ActionModule, target, args, check_mode=check_mode).run(task_vars={"inventory_hostname": "gateway"})


def test_keys_are_written_as_a_map_and_reported_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=False)
    result = run(monkeypatch, target, keys=[{"name": "langflow", "key": LANGFLOW}])
    assert result["changed"] is True and result["added"] == ["langflow"] and result["expired"] == [] and "warnings" not in result
    assert target.files[PATH] == f'{HEADER}\n"~^(?i:bearer) {LANGFLOW}$" langflow;\n'.encode()
    assert LANGFLOW not in str(result)


def test_an_expired_key_is_left_out_and_the_run_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=False)
    keys = [{"name": "langflow", "key": LANGFLOW, "expires": day(-1)}, {"name": "open-webui", "key": WEBUI, "expires": day(3)}]
    result = run(monkeypatch, target, keys=keys)
    assert result["expired"] == ["langflow"] and result["added"] == ["open-webui"]
    assert result["expiring"] == [{"name": "open-webui", "expires": day(3), "days_left": 3}]
    assert result["warnings"] == [
        f"key 'langflow' expired on {day(-1)} and is no longer accepted; give it a new key and date",
        f"key 'open-webui' expires on {day(3)}, in 3 days",
    ]
    assert LANGFLOW.encode() not in target.files[PATH] and WEBUI.encode() in target.files[PATH]


def test_a_key_expiring_removes_it_from_a_converged_file_and_check_mode_reports_it(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=False)
    run(monkeypatch, target, keys=[{"name": "langflow", "key": LANGFLOW}])
    before = dict(target.files)
    drift = run(monkeypatch, target, check_mode=True, keys=[{"name": "langflow", "key": LANGFLOW, "expires": day(-2)}])
    assert drift["changed"] is True and drift["removed"] == ["langflow"] and target.files == before
    assert run(monkeypatch, target, keys=[{"name": "langflow", "key": LANGFLOW, "expires": day(0)}])["changed"] is False  # good through its day


def test_an_unreadable_date_fails_before_anything_is_written(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=False)
    with pytest.raises(AnsibleActionFail, match="key 'langflow': expires must be a date as YYYY-MM-DD"):
        run(monkeypatch, target, keys=[{"name": "langflow", "key": LANGFLOW, "expires": "end of March"}])
    assert target.files == {}
