"""An interrupted write never leaves a truncated file: after a full disk or a killed run, every file the plugins
manage (htpasswd, API keys, allowlist, a private key written by config_files) is its old or its new version, whole.

The full disk is a small tmpfs filled up before the run; the killed run is ansible-playbook and all its children
killed with SIGKILL at points spread over the length of a whole run, measured first.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
import typing as t
from pathlib import Path

import pytest
import yaml

from .conftest import REPO

NAMES = ("users.htpasswd", "api-keys.map", "access.conf", "privkey.pem")
# The files before each run: valid for the plugins, and small.
OLD = {
    "users.htpasswd": b"olduser:{SSHA}" + b"A" * 32 + b"\n",
    "api-keys.map": b'"~^(?i:bearer) ' + b"o" * 40 + b'$" oldkey;\n',
    "access.conf": b"allow 192.0.2.0/24;\ndeny all;\n",
    "privkey.pem": b"-----BEGIN PRIVATE KEY-----\nold\n-----END PRIVATE KEY-----\n",
}
NEW_SIZE = 600
KILL_POINTS = 4
HTPASSWD_LINE = re.compile(r"user\d{4}:\{SSHA\}[A-Za-z0-9+/]+=*")


def tasks(directory: Path, size: int) -> list[dict[str, t.Any]]:
    """One task per plugin, each writing `size` entries: small sizes make the old files, large ones the new."""
    users = [{"name": f"user{n:04d}", "password": f"password-{n:04d}-long-enough"} for n in range(size)]
    keys = [{"name": f"key{n:04d}", "key": f"{n:04d}-" + "k" * 40} for n in range(size)]
    rules = [{"allow": f"10.{n // 256}.{n % 256}.0/24"} for n in range(size)]
    pem = "-----BEGIN PRIVATE KEY-----\n" + "".join(f"{n:04d}{'A' * 60}\n" for n in range(size)) + "-----END PRIVATE KEY-----\n"
    path = {name: str(directory / name) for name in NAMES}
    return [
        {"name": "users", "ollama_remote.proxy.htpasswd": {"path": path["users.htpasswd"], "users": users, "hash_scheme": "ssha", "exclusive": True}},
        {"name": "keys", "ollama_remote.proxy.api_keys": {"path": path["api-keys.map"], "keys": keys}},
        {"name": "rules", "ollama_remote.proxy.access_rules": {"path": path["access.conf"], "rules": rules}},
        {"name": "key file", "ollama_remote.proxy.config_files": {"files": [{"path": path["privkey.pem"], "content": pem}], "secret": True}},
    ]


def playbook_command(directory: Path, size: int, workdir: Path, *, ignore_errors: bool = False) -> list[str]:
    steps = [{**task, "ignore_errors": ignore_errors} for task in tasks(directory, size)]
    play = [{"hosts": "localhost", "gather_facts": False, "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"}, "tasks": steps}]
    playbook = workdir / f"write-{size}.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    return [str(REPO / ".venv" / "bin" / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook)]


def environment() -> dict[str, str]:
    return dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_STDOUT_CALLBACK="ansible.posix.json")


def converge(directory: Path, size: int, workdir: Path, *, ignore_errors: bool = False) -> subprocess.CompletedProcess[str]:
    command = playbook_command(directory, size, workdir, ignore_errors=ignore_errors)
    return subprocess.run(command, cwd=REPO, env=environment(), capture_output=True, text=True, timeout=300, check=False)


def snapshot(directory: Path) -> dict[str, bytes]:
    return {name: (directory / name).read_bytes() for name in NAMES}


def put_back(directory: Path) -> None:
    for name, content in OLD.items():
        (directory / name).write_bytes(content)


def whole_htpasswd(content: bytes, size: int) -> bool:
    """A complete htpasswd file of `size` users (its hashes are salted, so it cannot be compared byte for byte)."""
    text = content.decode()
    lines = text.splitlines()
    return text.endswith("\n") and len(lines) == size and all(HTPASSWD_LINE.fullmatch(line) for line in lines)


def assert_old_or_new(directory: Path, new: dict[str, bytes]) -> None:
    for name in NAMES:
        content = (directory / name).read_bytes()
        if name == "users.htpasswd":
            assert content == OLD[name] or whole_htpasswd(content, NEW_SIZE), f"{name} is neither the old nor a whole new file"
        else:
            assert content in (OLD[name], new[name]), f"{name} is neither the old nor the new file ({len(content)} bytes)"


def children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found |= {int(child) for child in (task / "children").read_text().split()}
    return found


def kill_tree(pid: int) -> None:
    """SIGKILL a process and every descendant. Ansible's workers start sessions of their own, so killing the process
    group would leave them running; each process is stopped first, so none can fork while the tree is collected."""
    stopped: set[int] = set()
    pending = {pid}
    while pending:
        for member in pending:
            with contextlib.suppress(ProcessLookupError):
                os.kill(member, signal.SIGSTOP)
        stopped |= pending
        pending = set().union(*(children(member) for member in pending)) - stopped
    for member in stopped:
        with contextlib.suppress(ProcessLookupError):
            os.kill(member, signal.SIGKILL)


@pytest.fixture
def small_disk(tmp_path: Path) -> t.Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(mount)], check=True, timeout=30)
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True, timeout=30)


def fill(disk: Path, leave: int) -> None:
    """Take all the free space of the file system but `leave` bytes."""
    stats = os.statvfs(disk)
    (disk / "filler").write_bytes(b"\0" * (stats.f_bavail * stats.f_frsize - leave))


def test_full_disk_leaves_every_old_file_whole(small_disk: Path, tmp_path: Path) -> None:
    put_back(small_disk)
    fill(small_disk, leave=8192)  # room for none of the new files (each over 20 KB)
    run = converge(small_disk, NEW_SIZE, tmp_path, ignore_errors=True)
    results = [task["hosts"]["localhost"] for play in yaml.safe_load(run.stdout[run.stdout.index("{") :])["plays"] for task in play["tasks"]]
    assert [result.get("failed") for result in results] == [True] * len(NAMES)
    assert all("No space left on device" in result["msg"] for result in results), [result["msg"][:200] for result in results]
    assert snapshot(small_disk) == OLD
    assert sorted(path.name for path in small_disk.iterdir()) == sorted([*NAMES, "filler"]), "no temporary file may be left behind"


def test_killed_run_leaves_old_or_new_files(tmp_path: Path) -> None:
    directory = tmp_path / "files"
    directory.mkdir()
    put_back(directory)
    started = time.monotonic()
    assert converge(directory, NEW_SIZE, tmp_path).returncode == 0
    length = time.monotonic() - started
    new = snapshot(directory)
    command = playbook_command(directory, NEW_SIZE, tmp_path)
    for point in range(1, KILL_POINTS + 1):
        put_back(directory)
        process = subprocess.Popen(command, cwd=REPO, env=environment(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(length * point / (KILL_POINTS + 1))
        kill_tree(process.pid)
        process.wait(timeout=30)
        assert_old_or_new(directory, new)
