"""The README's main command, `scripts/gateway-here`, on a fresh Debian 12 and a fresh Debian 13 machine.

Each machine is a container host booted from a clean root file system of its release; it gets a copy of this checkout
and runs the command as a user would, installing everything itself. The container shares this machine's network, so
the Ollama test double on 127.0.0.1:11434 here is the Ollama on its loopback. The gateway listens on loopback ports
(the one change to the embedded default, which listens on every address), and the command must report that Ollama
answered through it.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import typing as t
from pathlib import Path

import pytest

from tests.integration.conftest import free_port
from tests.support.ollama_double import OllamaDouble

from . import hosts
from .conftest import REPO

OLLAMA_PORT = 11434  # where the embedded default looks for Ollama
RELEASES = {"bookworm": "127.0.2.51", "trixie": "127.0.2.52"}


@pytest.fixture(scope="module")
def local_ollama() -> t.Iterator[OllamaDouble]:
    try:
        hosts.check_free("127.0.0.1", OLLAMA_PORT)
    except RuntimeError as error:
        pytest.skip(f"the main command's Ollama port is taken here: {error}")
    with OllamaDouble(host="127.0.0.1", port=OLLAMA_PORT, version="0.33.0") as double:
        yield double


def copy_checkout(root: Path) -> Path:
    """The checkout's files (tracked and new, as git lists them) in the host's /root, as a clone would have them."""
    checkout = Path("/root/ollama-remote-proxy")
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO, capture_output=True, check=True).stdout
    (root / checkout.relative_to("/")).mkdir(parents=True)
    subprocess.run(["cp", "--parents", "-t", str(root / checkout.relative_to("/")), *files.decode().split("\0")[:-1]], cwd=REPO, check=True)
    return checkout


@pytest.mark.parametrize("release", RELEASES)
def test_gateway_here_on_a_fresh_machine(release: str, local_ollama: OllamaDouble, tmp_path: Path) -> None:
    name = f"here-{release}"
    try:
        hosts.up(tmp_path, {name: f"{RELEASES[release]}@{release}"})
        checkout = copy_checkout(hosts.path(tmp_path, name))
        listen = {"gateway_listen_addresses": ["127.0.0.1"], "gateway_https_port": free_port(), "gateway_http_port": free_port()}
        command = f"cd {checkout} && scripts/gateway-here -e {shlex.quote(json.dumps(listen))}"
        ssh = ["ssh", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes"]
        ssh += ["-i", str(hosts.ssh_key(tmp_path)), "-p", str(hosts.SSH_PORT), f"root@{RELEASES[release]}", command]
        run = subprocess.run(ssh, capture_output=True, text=True, timeout=900, check=False)
        assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
        assert "Ollama answered through the gateway: version 0.33.0" in run.stdout, run.stdout[-2000:]
        assert any(record.path == "/api/version" for record in local_ollama.requests)
    finally:
        hosts.down(tmp_path, [name])
