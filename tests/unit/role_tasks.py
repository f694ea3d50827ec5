"""The roles' tasks as data, for the tests that read them (not a test module)."""

from __future__ import annotations

import typing as t
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
TASK_KEYWORDS = {
    "name", "when", "loop", "loop_control", "register", "notify", "listen", "vars", "tags", "changed_when", "failed_when", "no_log",
    "become", "become_user", "become_method", "delegate_to", "run_once", "check_mode", "diff", "ignore_errors", "until", "retries", "delay", "environment",
    "args", "block", "rescue", "always", "throttle", "timeout", "any_errors_fatal",
}  # fmt: skip


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


def module_of(task: dict[str, t.Any]) -> str:
    return next(key for key in task if key not in TASK_KEYWORDS)


def tasks_of(path: str | Path) -> list[dict[str, t.Any]]:
    return list(tasks_in(yaml.safe_load((REPO / path).read_text())))
