"""playbooks/rotate_credentials.yml on converged container hosts: new secrets in an encrypted vault file, old ones refused."""

from __future__ import annotations

import base64
import http.client
import os
import ssl
import subprocess
import typing as t

import yaml

from .conftest import REPO, Inventory


def status(address: str, user: str, password: str) -> int:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # self-signed; TLS is not under test here
    conn = http.client.HTTPSConnection(address, 8443, timeout=30, context=context)
    try:
        conn.request("GET", "/api/tags", headers={"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()})
        return conn.getresponse().status
    finally:
        conn.close()


def test_rotation_replaces_every_secret_and_keeps_them_encrypted(container_gateways: Inventory) -> None:
    old = (container_gateways.path / "secrets" / "alice").read_text().strip()
    assert all(status(address, "alice", old) == 200 for address in container_gateways.addresses.values())
    password_file = container_gateways.state / "vault-password"
    password_file.write_text("a vault password for the test\n")
    env = {"ANSIBLE_VAULT_PASSWORD_FILE": str(password_file)}
    run = container_gateways.ansible_playbook("playbooks/rotate_credentials.yml", "--extra-vars=rollout_batches=100%", env=env)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    vault_file = container_gateways.path / "group_vars" / "ollama_gateways" / "vault.yml"
    ansible_vault = [str(REPO / ".venv" / "bin" / "ansible-vault"), "view", str(vault_file)]
    view = subprocess.run(ansible_vault, env=dict(os.environ, **env), capture_output=True, text=True, check=True)
    assert vault_file.read_text().startswith("$ANSIBLE_VAULT;")
    assert vault_file.stat().st_mode & 0o777 == 0o600
    secrets: dict[str, t.Any] = yaml.safe_load(view.stdout)
    assert sorted(secrets) == ["vault_alice_password", "vault_langflow_key", "vault_ops_password"]
    new = secrets["vault_alice_password"]
    assert new != old
    assert old not in run.stdout + run.stderr and new not in run.stdout + run.stderr
    for address in container_gateways.addresses.values():
        assert status(address, "alice", old) == 401
        assert status(address, "alice", new) == 200
