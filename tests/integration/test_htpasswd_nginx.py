"""ollama_remote.proxy.htpasswd driven by ansible-playbook, its files checked by real nginx."""

from __future__ import annotations

import json
import typing as t
from pathlib import Path

import pytest

from .conftest import Nginx, http_status, run_playbook

SCHEMES = ["apr1", "ssha", "sha256_crypt", "sha512_crypt", "bcrypt"]
PASSWORDS = {"alice": "alice-correct-horse-battery", "bob": "bob-staple-anvil-9"}


def htpasswd_task(path: Path, users: list[dict[str, t.Any]], name: str = "users", **options: t.Any) -> dict[str, t.Any]:
    return {"name": name, "ollama_remote.proxy.htpasswd": {"path": str(path), "users": users, **options}, "register": "out", "ignore_errors": True}


@pytest.fixture
def guarded(nginx_factory: t.Callable[..., Nginx], tmp_path: Path) -> tuple[Nginx, Path]:
    """nginx serving a static page behind auth_basic with the file under test (not created yet)."""
    users = tmp_path / "users.htpasswd"
    return nginx_factory(f'location / {{ auth_basic "gateway"; auth_basic_user_file {users}; }}'), users


def test_every_scheme_is_verified_by_nginx(guarded: tuple[Nginx, Path], tmp_path: Path) -> None:
    nginx, users = guarded
    tasks = []
    for scheme in SCHEMES:
        path = tmp_path / f"{scheme}.htpasswd"
        tasks.append(htpasswd_task(path, [{"name": "alice", "password": PASSWORDS["alice"]}], name=scheme, hash_scheme=scheme, mode="0600"))
    run = run_playbook(tasks)
    assert run.rc == 0, run.output
    for scheme in SCHEMES:
        assert run.result(scheme)["scheme"] == scheme
        users.write_bytes((tmp_path / f"{scheme}.htpasswd").read_bytes())
        assert http_status(nginx.port, auth=("alice", PASSWORDS["alice"])) == 200, scheme
        assert http_status(nginx.port, auth=("alice", PASSWORDS["alice"] + "x")) == 401, scheme
        assert http_status(nginx.port) == 401, scheme


def test_converge_is_idempotent_and_check_mode_writes_nothing(guarded: tuple[Nginx, Path]) -> None:
    nginx, users = guarded
    wanted = [{"name": name, "password": password} for name, password in PASSWORDS.items()]
    task = htpasswd_task(users, wanted, mode="0640")

    check = run_playbook([task], check=True)
    assert check.rc == 0 and check.result("users")["changed"] is True
    assert not users.exists()

    first = run_playbook([task], diff=True)
    assert first.result("users")["changed"] is True
    assert first.result("users")["added"] == ["alice", "bob"]
    assert oct(users.stat().st_mode & 0o777) == "0o640"
    content = users.read_bytes()

    second = run_playbook([task])
    assert second.result("users")["changed"] is False
    assert users.read_bytes() == content
    assert http_status(nginx.port, auth=("bob", PASSWORDS["bob"])) == 200

    removal = htpasswd_task(users, [{"name": "bob", "state": "absent"}])
    assert run_playbook([removal], check=True).result("users")["changed"] is True
    assert users.read_bytes() == content
    assert run_playbook([removal]).result("users")["removed"] == ["bob"]
    assert http_status(nginx.port, auth=("bob", PASSWORDS["bob"])) == 401
    assert http_status(nginx.port, auth=("alice", PASSWORDS["alice"])) == 200


def test_scheme_change_rehashes_and_keeps_foreign_lines(guarded: tuple[Nginx, Path]) -> None:
    nginx, users = guarded
    users.write_text("# operators\ncarol:{PLAIN}kept-as-is-123\n\n")
    alice = [{"name": "alice", "password": PASSWORDS["alice"]}]
    run_playbook([htpasswd_task(users, alice, hash_scheme="apr1")])
    moved = run_playbook([htpasswd_task(users, alice, hash_scheme="sha512_crypt")])
    assert moved.result("users")["updated"] == ["alice"]
    lines = users.read_text().splitlines()
    assert lines[:3] == ["# operators", "carol:{PLAIN}kept-as-is-123", ""]
    assert lines[3].startswith("alice:$6$")
    assert http_status(nginx.port, auth=("alice", PASSWORDS["alice"])) == 200
    assert http_status(nginx.port, auth=("carol", "kept-as-is-123")) == 200


BAD_INPUTS = [
    ("empty name", [{"name": "", "password": "long-enough-secret"}], {}, "non-empty"),
    ("colon in name", [{"name": "a:b", "password": "long-enough-secret"}], {}, "contains ':'"),
    ("newline in name", [{"name": "a\nb", "password": "long-enough-secret"}], {}, "control character"),
    ("comment name", [{"name": "#root", "password": "long-enough-secret"}], {}, "comment"),
    ("short password", [{"name": "dave", "password": "short"}], {}, "shorter than min_password_length"),
    ("empty password", [{"name": "dave", "password": ""}], {}, "empty"),
    ("no password", [{"name": "dave"}], {}, "needs a password"),
    ("listed twice", [{"name": "dave", "password": "long-enough-secret"}] * 2, {}, "more than once"),
    ("unknown scheme", [{"name": "dave", "password": "long-enough-secret"}], {"hash_scheme": "md5"}, "hash_scheme"),
    ("missing and create false", [{"name": "dave", "password": "long-enough-secret"}], {"path_suffix": ".missing", "create": False}, "does not exist"),
]


def test_bad_input_fails_clearly_and_leaves_the_file_byte_identical(tmp_path: Path) -> None:
    users = tmp_path / "users.htpasswd"
    users.write_bytes(b"# kept\r\nerin:$apr1$abcdefgh$0123456789abcdefghijkl\r\n")
    before = users.read_bytes()
    tasks = []
    for name, entries, options, unused_message in BAD_INPUTS:  # noqa: B007
        suffix = options.pop("path_suffix", "")
        tasks.append(htpasswd_task(Path(str(users) + suffix), entries, name=name, **options))
    run = run_playbook(tasks)
    for name, message in ((case[0], case[3]) for case in BAD_INPUTS):
        result = run.result(name)
        assert result.get("failed") is True, name
        assert message in result["msg"], (name, result["msg"])
    assert users.read_bytes() == before
    assert not Path(str(users) + ".missing").exists()


def test_malformed_line_is_reported_by_number_and_dropped_only_when_exclusive(tmp_path: Path) -> None:
    users = tmp_path / "users.htpasswd"
    users.write_text("# header\nfrank:$apr1$abcdefgh$0123456789abcdefghijkl\nthis line has no colon\n")
    before = users.read_bytes()
    alice = [{"name": "alice", "password": PASSWORDS["alice"]}]
    run = run_playbook([htpasswd_task(users, alice, name="plain"), htpasswd_task(users, alice, name="exclusive", exclusive=True)])
    assert "line(s) 3" in run.result("plain")["msg"]
    exclusive = run.result("exclusive")
    assert exclusive["removed"] == ["frank"] and exclusive["added"] == ["alice"]
    assert before != users.read_bytes()
    assert users.read_text().splitlines()[0] == "# header"
    assert "no colon" not in users.read_text()


def test_no_secret_reaches_the_output_even_at_vvv(tmp_path: Path) -> None:
    users = tmp_path / "users.htpasswd"
    task = htpasswd_task(users, [{"name": n, "password": p} for n, p in PASSWORDS.items()], hash_scheme="apr1")
    task.pop("ignore_errors")
    run = run_playbook([task, {"name": "again", **{k: v for k, v in task.items() if k != "name"}}], diff=True, verbosity=3, callback="default")
    assert run.rc == 0, run.output
    hashes = [line.split(":", 1)[1] for line in users.read_text().splitlines()]
    for secret in [*PASSWORDS.values(), *hashes]:
        assert secret not in run.output
    assert json.dumps(PASSWORDS["alice"]) not in run.output
