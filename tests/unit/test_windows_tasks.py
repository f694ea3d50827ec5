"""Every task that calls a Windows (PowerShell) module uses only options the module documents.

ansible-lint cannot check these: its `args` rule runs a module's Python argument spec, and PowerShell modules
have none. So each task is compared with `ansible-doc --json`: option names and aliases, required options, and
literal values of options with choices.
"""

from __future__ import annotations

import functools
import json
import subprocess
import typing as t
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_DOC = REPO / ".venv" / "bin" / "ansible-doc"
WINDOWS_COLLECTIONS = ("ansible.windows.", "community.windows.", "chocolatey.chocolatey.")
TASK_KEYWORDS = {
    "name", "when", "loop", "loop_control", "register", "notify", "listen", "vars", "tags", "changed_when", "failed_when", "no_log",
    "become", "become_user", "delegate_to", "run_once", "check_mode", "diff", "ignore_errors", "until", "retries", "delay", "environment",
    "args", "block", "rescue", "always", "throttle", "timeout", "any_errors_fatal",
}  # fmt: skip


def yaml_files() -> list[Path]:
    files = [*REPO.glob("roles/*/tasks/*.yml"), *REPO.glob("roles/*/handlers/*.yml"), *REPO.glob("playbooks/*.yml")]
    return sorted(files) + sorted(REPO.glob("molecule/**/*.yml")) if (REPO / "molecule").exists() else sorted(files)


def tasks_in(node: t.Any) -> t.Iterator[dict[str, t.Any]]:
    """Every task mapping, including those inside blocks and plays."""
    if isinstance(node, list):
        for item in node:
            yield from tasks_in(item)
    elif isinstance(node, dict):
        for key in ("tasks", "pre_tasks", "post_tasks", "handlers", "block", "rescue", "always"):
            if key in node:
                yield from tasks_in(node[key])
        if not any(key in node for key in ("hosts", "block")):
            yield node


def windows_tasks() -> list[tuple[str, str, dict[str, t.Any]]]:
    found = []
    for path in yaml_files():
        for task in tasks_in(yaml.safe_load(path.read_text())):
            module = next((key for key in task if key.startswith(WINDOWS_COLLECTIONS)), None)
            if module:
                found.append((f"{path.relative_to(REPO)}: {task.get('name', module)}", module, task))
    return found


@functools.cache
def documented_options(module: str) -> dict[str, dict[str, t.Any]]:
    output = subprocess.run([str(ANSIBLE_DOC), "--json", module], capture_output=True, text=True, check=True).stdout
    return json.loads(output)[module]["doc"].get("options") or {}


def is_template(value: object) -> bool:
    return isinstance(value, str) and "{{" in value


WINDOWS_TASKS = windows_tasks()


def test_windows_tasks_exist() -> None:
    assert len(WINDOWS_TASKS) >= 10


@pytest.mark.parametrize(("where", "module", "task"), WINDOWS_TASKS, ids=[case[0] for case in WINDOWS_TASKS])
def test_windows_task_uses_documented_options(where: str, module: str, task: dict[str, t.Any]) -> None:
    options = documented_options(module)
    names = {alias: name for name, spec in options.items() for alias in [name, *(spec.get("aliases") or [])]}
    args = task[module] or {}
    assert isinstance(args, dict), f"{where}: give {module} its options as a mapping"
    assert set(task) - TASK_KEYWORDS - {module} == set(), f"{where}: unknown task keywords"
    unknown = sorted(set(args) - set(names))
    assert not unknown, f"{where}: {module} has no option(s) {unknown}; it documents {sorted(options)}"
    given = {names[key] for key in args}
    missing = sorted(name for name, spec in options.items() if spec.get("required") and name not in given)
    assert not missing, f"{where}: {module} requires {missing}"
    for key, value in args.items():
        choices = options[names[key]].get("choices")
        if choices and not is_template(value):
            # Some str options take a comma-separated list of choices (win_acl inherit); no choice holds a comma.
            values = value if isinstance(value, list) else [v.strip() for v in str(value).split(",")]
            allowed = [str(c).lower() for c in (choices if isinstance(choices, list) else list(choices))]
            for item in values:
                assert str(item).lower() in allowed, f"{where}: {module} {key}={item!r} is not one of {choices}"
