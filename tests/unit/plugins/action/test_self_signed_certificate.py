# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import typing as t

import pytest
from ansible.errors import AnsibleActionFail
from cryptography import x509

from ansible_collections.ollama_remote.proxy.plugins.action.self_signed_certificate import ActionModule

from .._fake_target import FakeTarget, make_action

pytestmark = pytest.mark.usefixtures("local_tmp")

CERT, KEY = "/etc/nginx/ollama-gateway/tls/fullchain.pem", "/etc/nginx/ollama-gateway/tls/privkey.pem"
WIN_CERT, WIN_KEY = "C:/ollama-gateway/conf/ollama-gateway/tls/fullchain.pem", "C:/ollama-gateway/conf/ollama-gateway/tls/privkey.pem"


def run(monkeypatch: pytest.MonkeyPatch, target: FakeTarget, *, check_mode: bool = False, **args: t.Any) -> dict[str, t.Any]:
    args.setdefault("certificate_path", WIN_CERT if target.windows else CERT)
    args.setdefault("key_path", WIN_KEY if target.windows else KEY)
    args.setdefault("names", ["gateway.example.net"])
    return make_action(monkeypatch, ActionModule, target, args, check_mode=check_mode).run(task_vars={"inventory_hostname": "gateway"})


@pytest.mark.parametrize("windows", [False, True], ids=["posix", "windows"])
def test_made_once_then_kept_with_one_look(monkeypatch: pytest.MonkeyPatch, windows: bool) -> None:
    target = FakeTarget(windows=windows)
    first = run(monkeypatch, target, validate="nginx -t")
    assert first["changed"] is True and first["reason"] == "there is no certificate yet"
    cert, key = (WIN_CERT, WIN_KEY) if windows else (CERT, KEY)
    assert x509.load_pem_x509_certificate(target.files[cert]).not_valid_after_utc
    assert b"PRIVATE KEY" in target.files[key] and b"PRIVATE KEY" not in str(first).encode()
    assert [validation[0] for validation in target.validated] == ["nginx -t"]
    calls, files = len(target.calls), dict(target.files)
    second = run(monkeypatch, target, validate="nginx -t")
    assert second == {"changed": False, "certificate_path": cert, "renewed": False}
    assert [c.name.rsplit(".", 1)[1] for c in target.calls[calls:]] == [f"{'win_' if windows else ''}find", "slurp", "slurp"], "a look and two reads"
    assert target.files == files


def test_renewed_near_its_end_with_the_same_key(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=False)
    run(monkeypatch, target, valid_days=10, renew_days=0)
    key, cert = target.files[KEY], target.files[CERT]
    result = run(monkeypatch, target, valid_days=365, renew_days=30)
    assert result["renewed"] is True and result["reason"].endswith("within 30 days")
    assert target.files[KEY] == key and target.files[CERT] != cert


def test_a_stand_in_is_kept_whatever_it_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=False, files={CERT: b"the ACME client's certificate"})
    result = run(monkeypatch, target, keep_existing=True, valid_days=7, renew_days=0)
    assert result == {"changed": False, "certificate_path": CERT, "renewed": False}
    assert target.names == ["ansible.legacy.find"], "one look, nothing read"


def test_check_mode_writes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=False)
    assert run(monkeypatch, target, check_mode=True)["changed"] is True
    assert target.files == {}


def test_a_failed_validation_puts_both_back(monkeypatch: pytest.MonkeyPatch) -> None:
    target = FakeTarget(windows=False, command_result={"rc": 1, "stdout": "", "stderr": "nginx: [emerg] bad"})
    with pytest.raises(AnsibleActionFail, match="validation failed"):
        run(monkeypatch, target, validate="nginx -t")
    assert target.files == {}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param({"names": []}, "names must list at least one", id="no-names"),
        pytest.param({"valid_days": 0}, "must be at least 1", id="days"),
        pytest.param({"key_path": CERT}, "must differ", id="same-path"),
    ],
)
def test_bad_arguments_write_nothing(monkeypatch: pytest.MonkeyPatch, args: dict[str, t.Any], message: str) -> None:
    target = FakeTarget(windows=False)
    with pytest.raises(AnsibleActionFail, match=message):
        run(monkeypatch, target, **args)
    assert target.calls == []
