"""Every task that calls a Windows (PowerShell) module uses only options the module documents.

ansible-lint cannot check these: its `args` rule runs a module's Python argument spec, and PowerShell modules
have none. So each task is compared with `ansible-doc --json`: option names and aliases, required options, and
literal values of options with choices.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
import sys
import typing as t
from pathlib import Path

import pytest
import yaml

from .role_tasks import TASK_KEYWORDS, tasks_in

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_DOC = Path(sys.executable).with_name("ansible-doc")  # the virtualenv pytest runs in
WINDOWS_COLLECTIONS = ("ansible.windows.", "community.windows.", "chocolatey.chocolatey.")


def yaml_files() -> list[Path]:
    files = [*REPO.glob("roles/*/tasks/*.yml"), *REPO.glob("roles/*/handlers/*.yml"), *REPO.glob("playbooks/*.yml")]
    files += [path for path in REPO.glob("extensions/molecule/**/*.yml") if path.name != "molecule.yml" and "group_vars" not in path.parts]
    return sorted(files)


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


def test_molecule_scenarios_are_checked_too() -> None:
    assert any(case[0].startswith("extensions/molecule/") for case in WINDOWS_TASKS)


# --- Defects that reading nginx, Shawl and simple-acme sources revealed, each pinned by a check of the tasks ----------


def task_named(path: str, name: str) -> dict[str, t.Any]:
    return next(task for task in tasks_in(yaml.safe_load((REPO / path).read_text())) if task.get("name") == name)


def runs_as_system(task: dict[str, t.Any]) -> bool:
    return task.get("become") is True and task.get("become_method") in ("runas", "ansible.builtin.runas") and task.get("become_user") == "SYSTEM"


SIGNALS_NGINX = [
    ("roles/gateway/handlers/main.yml", "Reload nginx on Windows"),
    ("roles/acme/tasks/windows.yml", "Request the certificate (the client runs the install script, which reloads nginx)"),
    ("roles/acme/tasks/windows.yml", "Create the scheduled task again (it is missing, or runs another wacs.exe)"),
    ("roles/acme/tasks/windows.yml", "Install the issued certificate for nginx with the install script"),
]


@pytest.mark.parametrize(("path", "name"), SIGNALS_NGINX, ids=[case[1] for case in SIGNALS_NGINX])
def test_whatever_signals_nginx_runs_as_system(path: str, name: str) -> None:
    """nginx runs as SYSTEM; its reload event's default DACL gives Administrators no right to set it, so a reload from
    an administrator's WinRM session fails with `OpenEvent(...) failed (5: Access is denied)`."""
    assert runs_as_system(task_named(path, name))


def test_every_windows_command_that_reloads_nginx_is_listed_above() -> None:
    listed = {case[1] for case in SIGNALS_NGINX}
    for where, module, task in WINDOWS_TASKS:
        text = json.dumps(task[module])
        if module == "ansible.windows.win_command" and (
            "reload" in text or "__acme_plan" in text or "install-certificate" in text or "__acme_windows_script" in text
        ):
            assert task.get("name") in listed, where


def test_a_changed_service_command_line_restarts_the_service() -> None:
    """win_service with state: started changes a running service's command line but does not restart it."""
    service = task_named("roles/gateway/tasks/windows_service.yml", "Run nginx as a Windows service")
    handler = task_named("roles/gateway/handlers/main.yml", service["notify"])
    assert handler["ansible.windows.win_service"]["state"] == "restarted"


def test_stopping_the_service_stops_every_nginx_process() -> None:
    """A daemonised nginx master frees its console and never sees Shawl's Ctrl-C; Shawl then kills only the master,
    and the worker keeps serving. A user logging off makes nginx exit 0, which Shawl restarts only with --restart."""
    path = task_named("roles/gateway/tasks/windows_service.yml", "Run nginx as a Windows service")["ansible.windows.win_service"]["path"]
    assert " --kill-process-tree " in path and " --restart " in path
    assert path.index("--restart") < path.index(" -- ")
    assert "\ndaemon off;\n" in (REPO / "roles/gateway/templates/nginx.conf.j2").read_text()


def test_no_task_creates_what_the_acme_client_deletes() -> None:
    """simple-acme deletes .well-known/acme-challenge after each validation: a task creating it would change every run."""
    for where, module, task in WINDOWS_TASKS:
        if module == "ansible.windows.win_file":
            assert ".well-known" not in json.dumps(task), where
    windows_vars = yaml.safe_load((REPO / "roles/gateway/vars/Windows.yml").read_text())
    assert ".well-known" not in json.dumps(windows_vars["__gateway_directories"])


def test_the_whole_prefix_is_closed_to_everyone_but_system_and_administrators() -> None:
    lock = task_named("roles/gateway/tasks/windows.yml", "Only SYSTEM and Administrators may use the gateway's folder")
    assert lock["ansible.builtin.include_role"] == {"name": "ollama_remote.proxy.acme", "tasks_from": "windows_private_folder"}
    assert lock["vars"]["acme_private_folder"] == "{{ gateway_windows_prefix }}"
    assert "acme_private_folder_readers" not in lock["vars"], "nobody else reads the prefix"
    acl = task_named("roles/acme/tasks/windows_private_folder.yml", "SYSTEM and Administrators have full control, the listed accounts may read")
    assert acl["ansible.windows.win_acl"]["path"] == "{{ acme_private_folder }}"
    assert acl["vars"]["__acme_full_control"] == ["S-1-5-18", "S-1-5-32-544"]
    assert acl["loop"] == "{{ __acme_full_control + acme_private_folder_readers }}"
    assert acl["ansible.windows.win_acl"]["rights"] == "{{ 'FullControl' if item in __acme_full_control else 'Read' }}"
    inheritance = task_named("roles/acme/tasks/windows_private_folder.yml", "Nobody else (drop the permissions inherited from above)")
    assert inheritance["ansible.windows.win_acl_inheritance"] == {"path": "{{ acme_private_folder }}", "state": "absent", "reorganize": False}


def test_the_pem_folder_is_locked_the_same_way() -> None:
    lock = task_named("roles/acme/tasks/windows.yml", "Only SYSTEM, Administrators and the listed readers may use the PEM folder (the client runs as SYSTEM)")
    assert lock["ansible.builtin.include_tasks"] == "windows_private_folder.yml"
    assert lock["vars"]["acme_private_folder"] == "{{ acme_windows_pem_dir }}"
    assert lock["vars"]["acme_private_folder_readers"] == "{{ acme_windows_key_readers }}"


def test_accounts_are_named_by_sid() -> None:
    """Names such as Administrators differ on localised Windows; SIDs do not."""
    for where, module, task in WINDOWS_TASKS:
        if module == "ansible.windows.win_acl":
            users = task.get("vars", {}).get("__acme_full_control") or task.get("loop", [task[module]["user"]])
            assert all(str(user).startswith("S-1-") for user in users), where


def test_downloads_are_verified_and_not_repeated() -> None:
    """win_get_url downloads on every run by default; with force: false and a checksum, a file already there is only
    checked, so a converged host needs no internet."""
    downloads = [(where, task[module]) for where, module, task in WINDOWS_TASKS if module == "ansible.windows.win_get_url"]
    assert downloads
    for where, args in downloads:
        assert args.get("force") is False and args.get("checksum") and args.get("checksum_algorithm") == "sha256", where


# Modules that fail in check mode when what an earlier task would create is missing: win_acl_inheritance on a missing
# folder, win_unzip on a missing zip, win_copy from a missing remote file. (win_acl skips itself in check mode.)
NEEDS_EARLIER_RESULT = {"ansible.windows.win_acl_inheritance", "community.windows.win_unzip"}


def test_tasks_that_need_an_earlier_result_are_safe_in_check_mode_on_a_fresh_host() -> None:
    found = 0
    for where, module, task in WINDOWS_TASKS:
        if module in NEEDS_EARLIER_RESULT or (module == "ansible.windows.win_copy" and task[module].get("remote_src")):
            found += 1
            assert "ansible_check_mode" in str(task.get("when", "")), f"{where}: would fail in check mode on a fresh host"
    assert found >= 4


def test_the_pinned_downloads_have_default_checksums() -> None:
    defaults = yaml.safe_load((REPO / "roles/gateway/defaults/main.yml").read_text())
    for name in ("nginx", "shawl"):
        checksum = defaults[f"gateway_windows_{name}_checksum"]
        assert re.search(
            r"'[0-9a-f]{64}' if gateway_windows_" + name + r"_version == '" + re.escape(defaults[f"gateway_windows_{name}_version"]) + "'", checksum
        )


def test_ports_are_checked_before_anything_changes() -> None:
    tasks = list(tasks_in(yaml.safe_load((REPO / "roles/gateway/tasks/windows.yml").read_text())))
    first_change = next(
        index
        for index, task in enumerate(tasks)
        if not ({"ansible.builtin.assert", "ansible.builtin.set_fact"} & set(task)) and "ansible.windows.win_listen_ports_facts" not in task
    )
    listen = next(index for index, task in enumerate(tasks) if "ansible.windows.win_listen_ports_facts" in task)
    check = next(index for index, task in enumerate(tasks) if "foreign_listeners" in json.dumps(task))
    assert listen < check < first_change


def test_the_gateway_looks_at_the_ports_unless_the_ollama_role_just_did() -> None:
    """The ollama role registers its look (__ollama_listening); facts alone could come from a fact cache."""
    ollama = task_named("roles/ollama/tasks/windows.yml", "Find where the Ollama port listens")
    assert ollama["register"] == "__ollama_listening"
    condition = "{{ " + task_named("roles/gateway/tasks/windows.yml", "Find what listens on the host")["when"] + " }}"
    assert _evaluate(condition) is True, "the gateway role alone looks itself"
    assert _evaluate(condition, __ollama_listening={"skipped": True, "changed": False}) is True, "ollama_check_exposure: false"
    assert _evaluate(condition, __ollama_listening={"changed": False, "ansible_facts": {"tcp_listen": []}}) is False


def test_a_user_level_ollama_host_that_overrides_the_machine_is_refused() -> None:
    """Ollama started by a user (the tray app) reads that user's OLLAMA_HOST before the machine's."""
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar, trust_as_template

    check = task_named("roles/ollama/tasks/windows.yml", "Fail if a user's own OLLAMA_HOST overrides the machine's")
    read = task_named("roles/ollama/tasks/windows.yml", "Read their own OLLAMA_HOST")
    assert read["ansible.windows.win_reg_stat"] == {"path": "HKU:\\{{ item }}\\Environment", "name": "OLLAMA_HOST"}
    results = [
        {"item": "S-1-5-21-1-2-3-1001", "exists": True, "value": "0.0.0.0:11434"},
        {"item": "S-1-5-21-1-2-3-1002", "exists": True, "value": "127.0.0.1:11434"},
        {"item": "S-1-5-21-1-2-3-1003", "exists": False},
        {"item": "S-1-5-21-1-2-3-1004", "skipped": True},
    ]
    templar = Templar(loader=DataLoader(), variables={"__ollama_user_hosts": {"results": results}, "ollama_host": "127.0.0.1:11434"})
    assert templar.template(trust_as_template(check["vars"]["__ollama_overrides"])) == ["S-1-5-21-1-2-3-1001"]


def test_ollama_as_a_service_restarts_on_a_new_command_line_and_outlives_a_logoff() -> None:
    service = task_named("roles/ollama/tasks/windows_service.yml", "Run ollama serve as a service")
    path = service["ansible.windows.win_service"]["path"]
    assert " --kill-process-tree " in path and " --restart " in path and path.rstrip().endswith('" serve')
    for variable in ("OLLAMA_HOST", "OLLAMA_MODELS", "OLLAMA_NO_CLOUD"):
        assert f'--env "{variable}=' in path
    handler = task_named("roles/ollama/handlers/main.yml", service["notify"])
    assert handler["ansible.windows.win_service"]["state"] == "restarted"


def _evaluate(expression: str, **variables: t.Any) -> t.Any:
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar, trust_as_template

    return Templar(loader=DataLoader(), variables=variables).template(trust_as_template(expression))


def test_a_converged_host_downloads_and_unpacks_nothing() -> None:
    """What the directories task's look found (config_files' checksums, tested with it) decides which programs are
    fetched, and whether the ACME stand-in is made."""
    linux_vars = yaml.safe_load((REPO / "roles/gateway/vars/main.yml").read_text())
    windows_vars = yaml.safe_load((REPO / "roles/gateway/vars/Windows.yml").read_text())
    programs = [{"name": "nginx", "src": "", "exe": "C:/g/nginx.exe"}, {"name": "shawl", "src": "/zips/shawl.zip", "exe": "C:/g/shawl.exe"}]
    files = {"certificate": "C:/g/fullchain.pem"}

    def evaluate(expression: str, found: dict[str, str | None], mode: str | None = None) -> t.Any:
        present = _evaluate(linux_vars["__gateway_present"], __gateway_directories_made={"checksums": found})
        return _evaluate(expression, __gateway_programs=programs, __gateway_present=present, __gateway_files=files, __gateway_private_mode=mode)

    missing, standin = windows_vars["__gateway_missing_programs"], linux_vars["__gateway_acme_standin_needed"]
    converged = {"C:/g/nginx.exe": "ab", "C:/g/shawl.exe": "cd", "C:/g/fullchain.pem": "ef"}
    assert evaluate(missing, converged) == [] and evaluate(standin, converged) is False
    assert evaluate(missing, converged | {"C:/g/nginx.exe": None}) == [programs[0]]
    assert evaluate(standin, converged | {"C:/g/fullchain.pem": None}) is True
    assert evaluate(standin, converged, mode="0600") is True, "on Linux the stand-in task still checks the key's mode"
    for name in ("Download nginx and Shawl", "Copy nginx and Shawl from the controller (hosts without internet access)"):
        assert task_named("roles/gateway/tasks/windows.yml", name)["loop"].startswith("{{ __gateway_missing_programs |")
    assert task_named("roles/gateway/tasks/windows.yml", "Unpack nginx and Shawl (a new version goes next to the old one; the prefix stays)")["loop"] == (
        "{{ __gateway_missing_programs }}"
    )


@pytest.mark.parametrize(
    ("state", "remembered", "installed"),
    [
        pytest.param({"marker": "same", "fullchain": "a", "nginx_certificate": "a", "key": "k", "nginx_key": "k"}, False, False, id="converged"),
        pytest.param({"marker": "old", "fullchain": "a", "nginx_certificate": "a", "key": "k", "nginx_key": "k"}, True, False, id="new-request"),
        pytest.param({"marker": "same", "fullchain": "b", "nginx_certificate": "a", "key": "k", "nginx_key": "k"}, False, True, id="replaced-cert"),
        pytest.param({"marker": "same", "fullchain": "a", "nginx_certificate": "a", "key": "k", "nginx_key": None}, False, True, id="key-gone"),
        pytest.param({"marker": None, "fullchain": None, "nginx_certificate": "a", "key": None, "nginx_key": "k"}, True, False, id="never-issued"),
    ],
)
def test_the_acme_client_state_decides_what_is_written(state: dict[str, t.Any], remembered: bool, installed: bool) -> None:
    """The marker is rewritten only for a new request, and the install script runs only when nginx's files differ
    from the issued ones (checksums from one win_find)."""
    plan = {"fingerprint": "request"}
    state = {key: (_evaluate("{{ 'request' | hash('sha256') }}") if value == "same" else value) for key, value in state.items()}
    remember = task_named("roles/acme/tasks/windows.yml", "Remember the request")["when"]
    install = task_named("roles/acme/tasks/windows.yml", "Install the issued certificate for nginx with the install script")["when"]
    assert _evaluate("{{ " + remember + " }}", __acme_state=state, __acme_plan=plan) is remembered
    assert all(_evaluate("{{ " + condition + " }}", __acme_state=state) for condition in install) is installed


@pytest.mark.parametrize(
    ("pem_dir", "readers", "locked"),
    [
        pytest.param("C:/nginx/conf/ollama-gateway/tls/acme", [], False, id="inside-the-prefix"),
        pytest.param("C:/NGINX/conf/ollama-gateway/tls/acme", [], False, id="inside-whatever-the-case"),
        pytest.param("C:/nginx/conf/ollama-gateway/tls/acme", ["NT SERVICE\\nginx"], True, id="key-readers"),
        pytest.param("C:/ProgramData/ollama-acme/acme", [], True, id="elsewhere"),
        pytest.param("C:/nginx-other/acme", [], True, id="a-sibling-is-not-inside"),
    ],
)
def test_the_pem_folder_is_locked_unless_the_prefix_lock_covers_it(pem_dir: str, readers: list[str], locked: bool) -> None:
    acme = task_named("roles/gateway/tasks/main.yml", "ACME certificate, requested now that nginx serves the challenge directory on port 80")
    expression = acme["vars"]["acme_windows_lock_pem_dir"]
    variables = {"acme_windows_key_readers": readers, "acme_windows_pem_dir": pem_dir, "gateway_windows_prefix": "C:/nginx"}
    assert _evaluate(expression.strip(), **variables) is locked
