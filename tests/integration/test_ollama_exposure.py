"""The ollama role fails the run when Ollama's port is reachable from a non-loopback address, and passes when it is not.

Each case runs in a network namespace of its own, with a veth pair holding a documentation address (192.0.2.10), so
nothing listens outside loopback on this machine. The Ollama test double listens inside it where the case says,
and the role runs inside it too (`ip netns exec`), as it would on a host where that address faces the network.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import typing as t
from pathlib import Path

import pytest
import yaml

from .conftest import REPO, network_namespace

NETWORK_ADDRESS = "192.0.2.10"
PORT = 11434  # Ollama's own port: inside the namespace nothing else holds it
SERVICE = "ollama-exposure-test"  # the role's drop-in goes to a unit of its own, removed afterwards
DROP_IN = Path("/etc/systemd/system") / f"{SERVICE}.service.d"


@pytest.fixture
def namespace() -> t.Iterator[str]:
    """A network namespace with NETWORK_ADDRESS on a veth end."""
    try:
        with network_namespace(f"ollama-exposure-{os.getpid()}", NETWORK_ADDRESS) as name:
            yield name
    finally:
        shutil.rmtree(DROP_IN, ignore_errors=True)


def start_double(namespace: str, host: str) -> subprocess.Popen[str]:
    """The Ollama test double inside the namespace; returns once it listens."""
    listen = f"[{host}]:{PORT}" if ":" in host else f"{host}:{PORT}"
    command = ["ip", "netns", "exec", namespace, sys.executable, str(REPO / "tests" / "support" / "ollama_double"), "--listen", listen]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    if not process.stdout.readline().startswith("listening on"):
        process.kill()
        raise RuntimeError(f"the double did not start on {listen}")
    return process


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.wait(timeout=30)


def run_role(namespace: str, workdir: Path) -> subprocess.CompletedProcess[str]:
    play = [
        {
            "hosts": "localhost",
            "gather_facts": True,
            "gather_subset": ["min"],
            "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}", "ollama_host": f"127.0.0.1:{PORT}", "ollama_service_name": SERVICE},
            "roles": ["ollama_remote.proxy.ollama"],
        }
    ]
    playbook = workdir / "ollama.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    command = ["ip", "netns", "exec", namespace, str(REPO / ".venv" / "bin" / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook)]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)


def reachable_from_network(namespace: str) -> bool:
    """Whether a client inside the namespace connects to the port on the non-loopback address."""
    probe = f"import socket; socket.create_connection(({NETWORK_ADDRESS!r}, {PORT}), timeout=5).close()"
    return subprocess.run(["ip", "netns", "exec", namespace, sys.executable, "-c", probe], capture_output=True, timeout=30, check=False).returncode == 0


@pytest.mark.parametrize(("listen", "shown_as"), [(NETWORK_ADDRESS, NETWORK_ADDRESS), ("0.0.0.0", "0.0.0.0"), ("::", "*")])
def test_role_fails_when_ollama_listens_beyond_loopback(namespace: str, tmp_path: Path, listen: str, shown_as: str) -> None:
    double = start_double(namespace, listen)
    try:
        assert reachable_from_network(namespace), "the case must really be exposed"
        run = run_role(namespace, tmp_path)
    finally:
        stop(double)
    assert run.returncode != 0
    assert f"Port {PORT} listens on {shown_as}" in run.stdout and "anyone who can reach that address uses Ollama without the gateway" in run.stdout


def test_role_passes_when_ollama_is_on_loopback_only(namespace: str, tmp_path: Path) -> None:
    double = start_double(namespace, "127.0.0.1")
    try:
        run = run_role(namespace, tmp_path)
        assert not reachable_from_network(namespace)
    finally:
        stop(double)
    assert run.returncode == 0, run.stdout[-3000:]
    assert "Fail if Ollama is reachable without the gateway" in run.stdout


def test_namespace_keeps_the_machine_untouched() -> None:
    """The documentation address used above belongs to no interface of this machine, so nothing here was exposed."""
    with socket.socket() as probe, pytest.raises(OSError, match="Cannot assign requested address"):
        probe.bind((NETWORK_ADDRESS, 0))
