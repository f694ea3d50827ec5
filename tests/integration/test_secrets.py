"""No secret reaches Ansible's output: the playbooks converge this machine at -vvv with --diff, and the whole output is
searched for every password, API key, password hash and the TLS private key, in each form they take on the way
(as given, as a Basic credential, hashed in the htpasswd file, as PEM lines).

Each playbook runs as a user would run it, against an inventory that puts localhost in ollama_gateways, its secrets
in group_vars/ollama_gateways/vault.yml and its listening addresses and ports on loopback (local.yml, which brings
its own user, gets those by extra vars).
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import subprocess
import typing as t
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import serialization

from tests.support.ollama_double import OllamaDouble

from .conftest import GATEWAY_DIR, REPO, free_port

SERVICE = "ollama-secrets-test"  # Ollama's drop-in goes to a unit of its own, removed afterwards
DROP_IN = Path("/etc/systemd/system") / f"{SERVICE}.service.d"


def loopback_vars(double: OllamaDouble) -> dict[str, t.Any]:
    return {
        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
        "gateway_server_name": "127.0.0.1",
        "gateway_listen_addresses": ["127.0.0.1"],
        "gateway_https_port": free_port(),
        "gateway_http_port": free_port(),
        "gateway_backends": [f"127.0.0.1:{double.port}"],
        "ollama_host": f"127.0.0.1:{double.port}",
        "ollama_service_name": SERVICE,
    }


# The users and keys as an inventory has them: the secrets live in vault.yml, as inventory.example shows.
ACCOUNTS = {
    "gateway_users": [
        {"name": "alice", "password": "{{ vault_alice_password }}"},
        {"name": "ops", "password": "{{ vault_ops_password }}", "admin": True},
    ],
    "gateway_api_keys": [
        {"name": "langflow", "key": "{{ vault_langflow_key }}"},
        {"name": "deploy", "key": "{{ vault_deploy_key }}", "admin": True},
    ],
}
USERS, KEYS = ("alice", "ops"), ("langflow", "deploy")


def make_inventory(directory: Path, double: OllamaDouble) -> Path:
    """An inventory putting localhost in ollama_gateways, on loopback, with fresh secrets in a plain vault.yml."""
    group_vars = directory / "group_vars" / "ollama_gateways"
    group_vars.mkdir(parents=True)
    (directory / "hosts.yml").write_text(yaml.safe_dump({"all": {"children": {"ollama_gateways": {"hosts": {"localhost": {"ansible_connection": "local"}}}}}}))
    (group_vars / "gateway.yml").write_text(yaml.safe_dump({**loopback_vars(double), **ACCOUNTS}))
    vault = {f"vault_{name}_password": secrets.token_urlsafe(24) for name in USERS} | {f"vault_{name}_key": secrets.token_urlsafe(32) for name in KEYS}
    (group_vars / "vault.yml").write_text(yaml.safe_dump(vault))
    (group_vars / "vault.yml").chmod(0o600)
    return directory


def vault(inventory: Path) -> dict[str, str]:
    return dict(yaml.safe_load((inventory / "group_vars" / "ollama_gateways" / "vault.yml").read_text()))


def run_verbose(playbook: str, inventory: Path, extra_vars: dict[str, t.Any] | None = None) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "ANSIBLE_VAULT_PASSWORD_FILE"}
    env.update(ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    command = [str(REPO / ".venv" / "bin" / "ansible-playbook"), "-i", str(inventory), "-vvv", "--diff", playbook]
    if extra_vars:
        variables = inventory / "extra-vars.yml"
        variables.write_text(yaml.safe_dump(extra_vars))
        command += ["-e", f"@{variables}"]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False)


def given_forms(passwords: dict[str, str], keys: list[str]) -> list[str]:
    """The secrets as given, and each password as the Basic credential a client (or the health gate) sends."""
    return [*passwords.values(), *keys, *(base64.b64encode(f"{name}:{password}".encode()).decode() for name, password in passwords.items())]


def inventory_forms(values: dict[str, str]) -> list[str]:
    return given_forms({name: values[f"vault_{name}_password"] for name in USERS}, [values[f"vault_{name}_key"] for name in KEYS])


def stored_forms() -> list[str]:
    """What the gateway stores now: each htpasswd hash, and the TLS private key as PEM lines and as a number.

    A PEM line that only encodes the public key (an EC key file ends with it) is left out: the certificate shows it.
    """
    users = (GATEWAY_DIR / "users.htpasswd").read_text().splitlines()
    pem = (GATEWAY_DIR / "tls" / "privkey.pem").read_bytes()
    key = serialization.load_pem_private_key(pem, password=None)
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode().replace("\n", "")
    private_lines = [line for line in pem.decode().splitlines() if line and "-----" not in line and line not in public]
    numbers = key.private_numbers()
    private_value = numbers.private_value if hasattr(numbers, "private_value") else numbers.d  # EC or RSA
    hashes = [line.split(":", 1)[1] for line in users if ":" in line and not line.startswith("#")]
    return [*hashes, *private_lines, format(private_value, "x"), str(private_value)]


@pytest.fixture
def double(system_nginx: None) -> t.Iterator[OllamaDouble]:
    with OllamaDouble(host="127.0.0.1", port=0, cloud_disabled=True) as running:  # the health gate checks it
        yield running
    shutil.rmtree(DROP_IN, ignore_errors=True)


def leaked(output: str, forms: list[str]) -> list[str]:
    """The secret forms found in the output, shortened so the failure message does not print them whole."""
    return [form[:4] + "..." for form in forms if form in output]


def test_site_playbook_at_vvv_prints_no_secret(double: OllamaDouble, tmp_path: Path) -> None:
    inventory = make_inventory(tmp_path, double)
    run = run_verbose("playbooks/site.yml", inventory)
    assert run.returncode == 0, run.stdout[-4000:]
    forms = [*inventory_forms(vault(inventory)), *stored_forms()]
    assert len(forms) >= 10
    assert not leaked(run.stdout + run.stderr, forms)


@pytest.mark.skipif(not (REPO / "playbooks" / "rotate_credentials.yml").exists(), reason="no rotation playbook in this checkout")
def test_rotation_playbook_at_vvv_prints_neither_old_nor_new_secrets(double: OllamaDouble, tmp_path: Path) -> None:
    inventory = make_inventory(tmp_path, double)
    old = vault(inventory)
    run = run_verbose("playbooks/rotate_credentials.yml", inventory, {"rollout_batches": ["100%"]})
    assert run.returncode == 0, run.stdout[-4000:]
    new = vault(inventory)
    assert set(new.values()).isdisjoint(old.values())
    forms = [*inventory_forms(new), *inventory_forms(old), *stored_forms()]
    assert not leaked(run.stdout + run.stderr, forms)


def test_local_playbook_at_vvv_prints_no_secret(double: OllamaDouble, tmp_path: Path) -> None:
    password_file = tmp_path / "password"
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump({"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}))
    run = run_verbose("playbooks/local.yml", tmp_path, {**loopback_vars(double), "local_password_file": str(password_file)})
    assert run.returncode == 0, run.stdout[-4000:]
    assert "Ollama answered through the gateway" in run.stdout
    forms = [*given_forms({"ollama": password_file.read_text().strip()}, []), *stored_forms()]
    assert not leaked(run.stdout + run.stderr, forms)
