"""Container hosts (tests/containers/hosts.py) with an inventory for them, converged by playbooks/site.yml."""

from __future__ import annotations

import os
import subprocess
import typing as t
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from . import hosts

REPO = Path(__file__).resolve().parents[2]
GROUP_VARS = Path(__file__).resolve().parent / "inventory" / "group_vars" / "ollama_gateways" / "containers.yml"


@dataclass
class Inventory:
    path: Path  # a directory: hosts.yml, group_vars and the generated secrets
    state: Path
    addresses: dict[str, str]

    def ansible_playbook(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1", **(env or {}))
        command = [str(REPO / ".venv" / "bin" / "ansible-playbook"), "-i", str(self.path), *args]
        return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=900, check=False)

    def converge(self) -> None:
        """playbooks/site.yml with every host in one batch."""
        run = self.ansible_playbook("playbooks/site.yml", "--extra-vars=rollout_batches=100%")
        assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]

    def ssh(self, host: str, command: str) -> str:
        key = hosts.ssh_key(self.state)
        options = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes"]
        ssh = ["ssh", *options, "-i", str(key), "-p", str(hosts.SSH_PORT), f"root@{self.addresses[host]}", command]
        return subprocess.run(ssh, capture_output=True, text=True, timeout=60, check=True).stdout


def write_inventory(directory: Path, state: Path, addresses: dict[str, str]) -> None:
    key = str(hosts.ssh_key(state))
    connection = {"ansible_port": hosts.SSH_PORT, "ansible_user": "root", "ansible_ssh_private_key_file": key}
    connection["ansible_ssh_common_args"] = "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
    gateways = {name: {"ansible_host": address, **connection} for name, address in addresses.items()}
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "hosts.yml").write_text(yaml.safe_dump({"all": {"children": {"ollama_gateways": {"hosts": gateways}}}}))
    # A directory of its own, where playbooks/rotate_credentials.yml can write vault.yml beside the shared variables.
    (directory / "group_vars" / "ollama_gateways").mkdir(parents=True)
    (directory / "group_vars" / "ollama_gateways" / "containers.yml").symlink_to(GROUP_VARS)


@pytest.fixture(scope="session")
def container_gateways(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[Inventory]:
    """Two container hosts, converged; powered off and removed afterwards."""
    state = tmp_path_factory.mktemp("container-hosts")
    addresses = {"drift-gw1": "127.0.2.31", "drift-gw2": "127.0.2.32"}
    inventory = Inventory(state / "inventory", state, addresses)
    try:
        hosts.up(state, addresses)
        write_inventory(inventory.path, state, addresses)
        inventory.converge()
        yield inventory
    finally:
        hosts.down(state, list(addresses))
