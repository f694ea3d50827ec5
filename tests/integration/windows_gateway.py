"""The gateway as the role leaves C:/nginx on Windows, served by nginx.org's nginx for Windows under Wine.

The files are the role's own: its templates rendered with its Windows variables, the access files written by the
collection's plugins, every file with CRLF line endings as config_files and win_copy leave them on Windows. nginx is
started as the role's Shawl service starts it: `-p C:/nginx/` and the prefix as working directory.
"""

from __future__ import annotations

import contextlib
import ssl
import subprocess
import typing as t
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.support import windows_nginx
from tests.support.ollama_double import OllamaDouble
from tests.support.windows_nginx import WindowsNginx

from .conftest import REPO, free_port, run_playbook

ROLE = REPO / "roles" / "gateway"
WINDOWS_PREFIX = windows_nginx.WINDOWS_PREFIX
GENERATION = "wine0generation0test"


def role_vars(settings: dict[str, t.Any]) -> dict[str, t.Any]:
    """The role's defaults, its variables and its Windows values over them (as tasks/main.yml loads them), with the
    test's settings on top."""
    merged: dict[str, t.Any] = {}
    for name in ("defaults/main.yml", "vars/main.yml", "vars/Windows.yml"):
        merged.update(yaml.safe_load((ROLE / name).read_text()))
    merged.update({"gateway_windows_prefix": WINDOWS_PREFIX, "__gateway_nginx_version": windows_nginx.NGINX_VERSION, **settings})
    return merged


def crlf(path: Path) -> None:
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))


def write_prefix(prefix: Path, settings: dict[str, t.Any]) -> dict[str, Path]:
    """C:/nginx as the role leaves it, for the gateway settings given (gateway_users, gateway_api_keys,
    gateway_allow ...): main and gateway configuration, access files, a certificate."""
    play_vars = role_vars(settings)
    rendered = prefix / "rendered"
    rendered.mkdir(parents=True)
    tasks: list[dict[str, t.Any]] = [
        {"ansible.builtin.template": {"src": str(ROLE / "templates" / name), "dest": str(rendered / name.removesuffix(".j2"))}}
        for name in ("nginx.conf.j2", "ollama-gateway.conf.j2")
    ]
    tasks.append({"name": "paths", "ansible.builtin.debug": {"var": "__gateway_files"}})
    run = run_playbook(tasks, play_vars=play_vars)
    assert run.rc == 0, run.output[-3000:]
    files = {name: prefix / path.removeprefix(WINDOWS_PREFIX + "/") for name, path in run.result("paths")["__gateway_files"].items()}
    for sub in ("conf/ollama-gateway/tls", "conf/ollama-gateway/empty", "logs", "temp", "html-acme"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    (rendered / "nginx.conf").rename(prefix / "conf" / "nginx.conf")
    (rendered / "ollama-gateway.conf").rename(prefix / "conf" / "ollama-gateway.conf")
    # apr1: nginx for Windows has no crypt(3), so the htpasswd plugin picks it for Windows targets.
    users = [{"name": user["name"], "password": user["password"]} for user in play_vars["gateway_users"]]
    keys = [{"name": key["name"], "key": key["key"]} for key in play_vars["gateway_api_keys"]]
    tasks = [
        {"ollama_remote.proxy.htpasswd": {"path": str(files["htpasswd"]), "hash_scheme": "apr1", "users": users}},
        {"ollama_remote.proxy.api_keys": {"path": str(files["api_keys"]), "keys": keys}},
        {"ollama_remote.proxy.access_rules": {"path": str(files["access"]), "rules": play_vars["gateway_allow"],
                                              "default": play_vars["gateway_allow_default"], "trusted_proxies": play_vars["gateway_trusted_proxies"]}},
    ]  # fmt: skip
    run = run_playbook(tasks, play_vars=play_vars)
    assert run.rc == 0, run.output[-3000:]
    files["generation"].write_text(f'return 200 "{GENERATION}\\n";\n')  # as the reload handler writes it
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=gateway",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(files["key"]), "-out", str(files["certificate"])],
        check=True, capture_output=True,
    )  # fmt: skip
    for path in [prefix / "conf" / "nginx.conf", prefix / "conf" / "ollama-gateway.conf", *files.values()]:
        if path.exists():
            crlf(path)
    return files


@dataclass
class WindowsGateway:
    nginx: WindowsNginx
    double: OllamaDouble
    https_port: int
    http_port: int
    files: dict[str, Path]

    def context(self, *, check_hostname: bool = True) -> ssl.SSLContext:
        """The tests check decisions here, not the certificate (test_gateway.py checks the certificate on Linux)."""
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        return context


@contextlib.contextmanager
def serve(prefix: Path, settings: t.Callable[[int, int, int], dict[str, t.Any]]) -> t.Iterator[WindowsGateway]:
    """An Ollama test double and nginx for Windows serving the role's files for settings(double, https, http)."""
    with OllamaDouble(host="127.0.0.1", port=0) as double, WindowsNginx(prefix) as nginx:
        https_port, http_port = free_port(), free_port()
        files = write_prefix(prefix, settings(double.port, https_port, http_port))
        check = nginx.nginx("-t")
        assert check.returncode == 0 and "test is successful" in check.stderr, check.stderr
        nginx.start(https_port)
        yield WindowsGateway(nginx, double, https_port, http_port, files)
