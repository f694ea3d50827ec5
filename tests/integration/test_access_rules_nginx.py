"""ollama_remote.proxy.access_rules driven by ansible-playbook, its decisions checked by real nginx."""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest

from .conftest import Nginx, http_status, run_playbook

RULES = [{"deny": "127.0.0.7"}, {"allow": "127.0.0.0/29"}, {"allow": "::1"}, {"deny": "127.0.1.0/24"}, {"allow": "127.0.0.0/16"}]
# client address -> status nginx must answer (first match wins; default deny)
EXPECTED = {"127.0.0.1": 200, "127.0.0.6": 200, "127.0.0.7": 403, "127.0.0.9": 200, "127.0.1.5": 403, "127.1.0.1": 403, "::1": 200}


def rules_task(path: Path, name: str = "rules", **options: t.Any) -> dict[str, t.Any]:
    return {"name": name, "ollama_remote.proxy.access_rules": {"path": str(path), **options}, "register": "out", "ignore_errors": True}


@pytest.mark.parametrize("fmt", ["directives", "geo"])
def test_nginx_decides_by_client_address_in_both_formats(fmt: str, nginx_factory: t.Callable[..., Nginx], tmp_path: Path) -> None:
    rules_file, check_file = tmp_path / "access.conf", tmp_path / "check.conf"
    if fmt == "geo":
        nginx = nginx_factory(f"include {check_file};", http=f"include {rules_file};", start=False)
    else:
        nginx = nginx_factory(f"include {rules_file};", start=False)
    options = {"rules": RULES, "format": fmt, "check_path": str(check_file) if fmt == "geo" else None, "validate": nginx.test_command}
    options = {k: v for k, v in options.items() if v is not None}
    first = run_playbook([rules_task(rules_file, **options)])
    assert first.rc == 0, first.output
    assert first.result("rules")["changed"] is True
    nginx.start()
    for source, status in EXPECTED.items():
        assert http_status(nginx.port, source=source) == status, (fmt, source)
    assert run_playbook([rules_task(rules_file, **options)]).result("rules")["changed"] is False


def test_check_mode_and_diff_write_nothing(tmp_path: Path) -> None:
    path = tmp_path / "access.conf"
    run = run_playbook([rules_task(path, rules=RULES)], check=True, diff=True)
    assert run.result("rules")["changed"] is True
    assert "deny 127.0.0.7;" in run.result("rules")["diff"][0]["after"]
    assert not path.exists()


def test_failed_validation_restores_the_previous_file(nginx_factory: t.Callable[..., Nginx], tmp_path: Path) -> None:
    rules_file = tmp_path / "access.conf"
    nginx = nginx_factory(f"include {rules_file};", start=False)
    assert run_playbook([rules_task(rules_file, rules=RULES, validate=nginx.test_command)]).rc == 0
    good = rules_file.read_bytes()
    nginx.start()
    # A geo block is not allowed in a server block, so nginx -t fails and the old file must come back.
    broken = run_playbook([rules_task(rules_file, rules=RULES, format="geo", validate=nginx.test_command)])
    result = broken.result("rules")
    assert result["failed"] is True
    assert "put back" in result["msg"] and '"geo" directive is not allowed here' in result["msg"]
    assert rules_file.read_bytes() == good
    assert http_status(nginx.port, source="127.0.0.7") == 403


def test_failed_validation_removes_a_file_that_did_not_exist(tmp_path: Path) -> None:
    path = tmp_path / "new.conf"
    run = run_playbook([rules_task(path, rules=RULES, validate="false")])
    assert run.result("rules")["failed"] is True
    assert not path.exists()


BAD_RULES = [
    ("hostname", [{"allow": "example.com"}], "not an IP address"),
    ("host bits", [{"allow": "198.51.100.7/24"}], "write the network as 198.51.100.0/24"),
    ("shadowed", [{"allow": "198.51.100.0/24"}, {"deny": "198.51.100.7"}], "can never match"),
    ("redundant", [{"allow": "10.0.0.0/8"}, {"allow": "10.1.0.0/16"}], "can never match"),
    ("all", [{"deny": "all"}], "default option"),
    ("two keys", [{"allow": "10.0.0.1", "deny": "10.0.0.2"}], "single"),
    ("unknown action", [{"permit": "10.0.0.1"}], "single"),
]


def test_bad_rules_fail_clearly_and_leave_the_file_byte_identical(tmp_path: Path) -> None:
    path = tmp_path / "access.conf"
    path.write_bytes(b"allow 192.0.2.1;\r\ndeny all;\r\n")
    before = path.read_bytes()
    tasks = [rules_task(path, name=case[0], rules=case[1]) for case in BAD_RULES]
    tasks.append(rules_task(path, name="open proxy", rules=RULES, trusted_proxies=["0.0.0.0/0"]))
    tasks.append(rules_task(path, name="geo in a marked block", rules=RULES, format="geo", marker="X"))
    run = run_playbook(tasks)
    for name, message in [*((case[0], case[2]) for case in BAD_RULES), ("open proxy", "every client"), ("geo in a marked block", "marked block")]:
        result = run.result(name)
        assert result.get("failed") is True, name
        assert message in result["msg"], (name, result["msg"])
    assert path.read_bytes() == before


def test_marked_block_inside_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "site.conf"
    path.write_text("server {\n    listen 80;\n    # BEGIN OLLAMA ACCESS\n    # END OLLAMA ACCESS\n}\n")
    run = run_playbook([rules_task(path, rules=[{"allow": "192.0.2.0/24"}], marker="OLLAMA ACCESS", trusted_proxies=["10.0.0.5"])])
    assert run.rc == 0, run.output
    assert path.read_text().splitlines() == [
        "server {",
        "    listen 80;",
        "    # BEGIN OLLAMA ACCESS",
        "    set_real_ip_from 10.0.0.5;",
        "    real_ip_header X-Forwarded-For;",
        "    real_ip_recursive on;",
        "    allow 192.0.2.0/24;",
        "    deny all;",
        "    # END OLLAMA ACCESS",
        "}",
    ]
