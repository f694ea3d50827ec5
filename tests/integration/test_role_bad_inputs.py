"""Bad role variables stop the gateway and ollama roles at their first tasks, with a clear message, and change nothing.

Each case runs the role with one variable spoiled on top of a valid set; the README's bad-input table lists them.
"""

from __future__ import annotations

import hashlib
import typing as t
from pathlib import Path

import pytest

from .conftest import PASSWORDS, run_playbook

VALID_KEY = "k" * 40
VALID: dict[str, t.Any] = {
    "gateway_server_name": "127.0.0.1",
    "gateway_listen_addresses": ["127.0.0.1"],
    "gateway_https_port": 8443,
    "gateway_http_port": 8080,
    "gateway_users": [{"name": "alice", "password": PASSWORDS["alice"]}],
    "gateway_allow": [{"allow": "127.0.0.0/8"}],
}
CASES: list[tuple[str, str, dict[str, t.Any], str]] = [
    # (case, role, variables spoiled, expected part of the message)
    ("tls mode", "gateway", {"gateway_tls_mode": "letsencrypt"}, "gateway_tls_mode must be one of"),
    ("port not a number", "gateway", {"gateway_https_port": "https"}, "gateway_https_port"),
    ("user name with a colon", "gateway", {"gateway_users": [{"name": "al:ice", "password": PASSWORDS["alice"]}]}, "contains ':'"),
    ("user name with a quote", "gateway", {"gateway_users": [{"name": 'al"ice', "password": PASSWORDS["alice"]}]}, "may use only letters"),
    ("short password", "gateway", {"gateway_users": [{"name": "alice", "password": "short"}]}, "shorter than min_password_length"),
    ("user without password", "gateway", {"gateway_users": [{"name": "alice"}]}, "password"),
    ("user and key with one name", "gateway", {"gateway_api_keys": [{"name": "alice", "key": VALID_KEY}]}, "the name 'alice' is used twice"),
    (
        "names differing in case",
        "gateway",
        {"gateway_api_keys": [{"name": "Alice", "key": VALID_KEY}]},
        "'alice' (gateway_users) and 'Alice' (gateway_api_keys) differ only in letter case",
    ),
    ("key with a space", "gateway", {"gateway_api_keys": [{"name": "k", "key": "a b" * 20}]}, "a key must be letters"),
    ("short key", "gateway", {"gateway_api_keys": [{"name": "k", "key": "abc"}]}, "shorter than min_key_length"),
    ("host name in allowlist", "gateway", {"gateway_allow": [{"allow": "office.example.com"}]}, "not an IP address"),
    ("host bits", "gateway", {"gateway_allow": [{"allow": "198.51.100.7/24"}]}, "write the network as 198.51.100.0/24"),
    ("shadowed rule", "gateway", {"gateway_allow": [{"allow": "10.0.0.0/8"}, {"deny": "10.1.2.3"}]}, "can never match"),
    ("open trusted proxy", "gateway", {"gateway_trusted_proxies": ["0.0.0.0/0"]}, "every client"),
    ("broad trusted proxy", "gateway", {"gateway_trusted_proxies": ["10.0.0.0/16"]}, "broader than a /24"),
    ("trusted network typo", "gateway", {"gateway_trusted_networks": ["10.0.0.300"]}, "not an IP address"),
    ("nobody can get in", "gateway", {"gateway_users": [], "gateway_api_keys": [], "gateway_trusted_networks": []}, "nobody could get in"),
    ("no backend", "gateway", {"gateway_backends": []}, "at least one Ollama server"),
    ("backend without port", "gateway", {"gateway_backends": ["127.0.0.1"]}, "address:port"),
    ("unknown hash scheme", "gateway", {"gateway_hash_scheme": "md5"}, "gateway_hash_scheme must be one of"),
    ("provided without files", "gateway", {"gateway_tls_mode": "provided"}, "needs gateway_tls_certificate and gateway_tls_key"),
    ("Ollama off loopback", "ollama", {"ollama_host": "0.0.0.0:11434"}, "is not a loopback address"),
]


def snapshot(root: Path) -> dict[str, str]:
    return {str(path): hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(root.rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def results(system_nginx: None) -> dict[str, dict[str, t.Any]]:
    """Every case in one playbook run: each in a block whose rescue records the first failure of the role."""
    tasks: list[dict[str, t.Any]] = [{"name": "facts", "ansible.builtin.setup": {"gather_subset": ["min"]}}]
    for case in CASES:
        name, role, spoiled = case[0], case[1], case[2]
        tasks.append(
            {
                "name": name,
                "block": [{"ansible.builtin.include_role": {"name": f"ollama_remote.proxy.{role}"}, "vars": {**VALID, **spoiled}}],
                "rescue": [{"name": f"{name}: refused", "ansible.builtin.debug": {"msg": "{{ ansible_failed_result.msg }}"}}],
            }
        )
    before = {root: snapshot(Path(root)) for root in ("/etc/nginx", "/etc/systemd/system")}
    run = run_playbook(tasks)
    after = {root: snapshot(Path(root)) for root in ("/etc/nginx", "/etc/systemd/system")}
    assert after == before, "a refused run changed files"
    return {case[0]: run.result(f"{case[0]}: refused") for case in CASES}


@pytest.mark.parametrize(("case", "message"), [(c[0], c[3]) for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_refused_with_a_clear_message(results: dict[str, dict[str, t.Any]], case: str, message: str) -> None:
    msg = results[case]["msg"]
    assert message in msg, msg
    for secret in PASSWORDS.values():
        assert secret not in msg
