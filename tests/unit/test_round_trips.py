"""benchmarks/round_trips.py counts the module runs of a converged Windows host task by task: it must name every task
of the Windows path that reaches the host, and only those, or its count would be wrong."""

from __future__ import annotations

from pathlib import Path

from benchmarks import round_trips

from .role_tasks import module_of, tasks_of

REPO = Path(__file__).resolve().parents[2]
# Tasks that run on the controller (no module run on the host).
CONTROLLER_ONLY = {
    "ansible.builtin.assert", "ansible.builtin.set_fact", "ansible.builtin.debug", "ansible.builtin.fail", "ansible.builtin.include_tasks",
    "ansible.builtin.import_tasks", "ansible.builtin.include_role", "ansible.builtin.import_role", "ansible.builtin.meta",
    "ansible.builtin.include_vars",
}  # fmt: skip
# Task files a Windows host never runs in playbooks/site.yml, and why.
NOT_ON_THE_WINDOWS_PATH = {
    "roles/acme/tasks/provided.yml": "checks a provided certificate on the controller",
    "roles/acme/tasks/check_expiry.yml": "a monitoring hook, not part of site.yml",
}


def windows_path_tasks() -> set[tuple[str, str]]:
    found = set()
    for file in sorted((REPO / "roles").glob("*/tasks/*.yml")):
        path = str(file.relative_to(REPO))
        if file.name.startswith("linux") or path in NOT_ON_THE_WINDOWS_PATH:
            continue
        for task in tasks_of(path):
            if module_of(task) not in CONTROLLER_ONLY and task.get("delegate_to") != "localhost":
                found.add((path, task["name"]))
    return found


def test_every_task_that_reaches_a_windows_host_is_counted_once() -> None:
    listed = [(task.path, task.name) for task in round_trips.WINDOWS if task.path.startswith("roles/")]
    assert len(listed) == len(set(listed)), "a task counted twice"
    assert set(listed) == windows_path_tasks()


def test_a_task_that_costs_nothing_says_why() -> None:
    assert all(task.why for task in round_trips.WINDOWS if task.runs == 0)


def test_the_excluded_task_files_exist() -> None:
    assert all((REPO / path).is_file() for path in NOT_ON_THE_WINDOWS_PATH)
