"""The configuration the gateway role renders for Windows passes real nginx, and decides as on Linux.

No Windows machine runs here, so the role's templates are rendered with its Windows variables (C:/nginx paths,
`use poll`, the main nginx.conf it writes there, CRLF line endings as config_files writes them), the paths are then
mapped to a temporary prefix, and Debian's nginx checks and serves the result on loopback. Two lines differ from
what Windows gets: a `user` for the workers, and `use epoll` for `use poll`.
"""

from __future__ import annotations

import base64
import http.client
import shutil
import ssl
import subprocess
import typing as t
from pathlib import Path

import pytest
import yaml

from tests.support.ollama_double import OllamaDouble

from .conftest import NGINX, REPO, free_port, run_playbook, wait_listening

ROLE = REPO / "roles" / "gateway"
WINDOWS_PREFIX = "C:/nginx"
PASSWORD = "windows-user-password-123"
KEY = "k" * 40


def nginx_version() -> str:
    output = subprocess.run([NGINX, "-v"], capture_output=True, text=True, check=True).stderr
    return output.strip().rsplit("/", 1)[-1]


def role_vars(double_port: int, https_port: int, http_port: int) -> dict[str, t.Any]:
    """The role's defaults and Windows variables, with this test's addresses, users and rules on top."""
    merged: dict[str, t.Any] = {}
    for name in ("defaults/main.yml", "vars/Windows.yml", "vars/main.yml"):
        merged.update(yaml.safe_load((ROLE / name).read_text()))
    merged.update(
        {
            "gateway_windows_prefix": WINDOWS_PREFIX,
            "gateway_server_name": "127.0.0.1",
            "gateway_listen_addresses": ["127.0.0.1"],
            "gateway_https_port": https_port,
            "gateway_http_port": http_port,
            "gateway_backends": [f"127.0.0.1:{double_port}"],
            "gateway_users": [{"name": "winuser", "password": PASSWORD}],
            "gateway_api_keys": [{"name": "winkey", "key": KEY, "admin": True}],
            "gateway_allow": [{"deny": "127.0.0.66"}, {"allow": "127.0.0.0/24"}],
            "gateway_allow_default": "deny",
            # The version-dependent TLS lines are chosen for the nginx that checks them.
            "__gateway_nginx_version": nginx_version(),
        }
    )
    return merged


@pytest.fixture(scope="module")
def windows_nginx(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[tuple[int, OllamaDouble]]:
    prefix = tmp_path_factory.mktemp("windows-prefix")
    with OllamaDouble(host="127.0.0.1", port=0) as double:
        https_port, http_port = free_port(), free_port()
        play_vars = role_vars(double.port, https_port, http_port)
        rendered = prefix / "rendered"
        tasks = [
            {"ansible.builtin.template": {"src": str(ROLE / "templates" / name), "dest": str(rendered / name.removesuffix(".j2"))}}
            for name in ("nginx.conf.j2", "ollama-gateway.conf.j2")
        ]
        tasks.append({"name": "paths", "ansible.builtin.debug": {"var": "__gateway_files"}})
        rendered.mkdir()
        run = run_playbook(tasks, play_vars=play_vars)
        assert run.rc == 0, run.output[-3000:]

        files = {name: Path(path.replace(WINDOWS_PREFIX, str(prefix))) for name, path in run.result("paths")["__gateway_files"].items()}
        for sub in ("conf/ollama-gateway/tls", "conf/ollama-gateway/empty", "logs", "temp", "html-acme"):
            (prefix / sub).mkdir(parents=True, exist_ok=True)
        shutil.copy("/etc/nginx/mime.types", prefix / "conf" / "mime.types")
        for template, target in (("nginx.conf.j2", "conf/nginx.conf"), ("ollama-gateway.conf.j2", "conf/ollama-gateway.conf")):
            text = (rendered / template.removesuffix(".j2")).read_text().replace(WINDOWS_PREFIX, str(prefix))
            if target == "conf/nginx.conf":
                # Linux-only differences: a user to run workers as, and epoll, since Linux builds of nginx leave
                # out the poll module that Windows needs (it is compiled only where nothing better exists).
                assert "use poll;" in text
                text = "user root;\n" + text.replace("use poll;", "use epoll;")
            (prefix / target).write_bytes(text.replace("\n", "\r\n").encode())  # as config_files writes on Windows

        make_access_files(files)
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=gateway",
             "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(files["key"]), "-out", str(files["certificate"])],
            check=True, capture_output=True,
        )  # fmt: skip
        check = subprocess.run([NGINX, "-t", "-p", f"{prefix}/", "-c", str(prefix / "conf" / "nginx.conf")], capture_output=True, text=True, check=False)
        assert check.returncode == 0, check.stderr
        server = subprocess.Popen([NGINX, "-p", f"{prefix}/", "-c", str(prefix / "conf" / "nginx.conf"), "-g", "daemon off;"])
        try:
            wait_listening(https_port)
            yield https_port, double
        finally:
            server.terminate()
            server.wait(timeout=10)


def make_access_files(files: dict[str, Path]) -> None:
    """htpasswd, keys and allowlist written by the collection's plugins, with the hash scheme Windows gets."""
    tasks = [
        {"ollama_remote.proxy.htpasswd": {"path": str(files["htpasswd"]), "users": [{"name": "winuser", "password": PASSWORD}], "hash_scheme": "apr1"}},
        {"ollama_remote.proxy.api_keys": {"path": str(files["api_keys"]), "keys": [{"name": "winkey", "key": KEY}]}},
        {"ollama_remote.proxy.access_rules": {"path": str(files["access"]), "rules": [{"deny": "127.0.0.66"}, {"allow": "127.0.0.0/24"}]}},
    ]
    run = run_playbook(tasks)
    assert run.rc == 0, run.output[-3000:]
    for name in ("htpasswd", "api_keys", "access"):
        files[name].write_bytes(files[name].read_bytes().replace(b"\n", b"\r\n"))


CASES = [
    ("127.0.0.1", None, "GET", "/api/tags", 401),
    ("127.0.0.1", "password", "GET", "/api/tags", 200),
    ("127.0.0.1", "wrong", "GET", "/api/tags", 401),
    ("127.0.0.1", "key", "GET", "/v1/models", 200),
    ("127.0.0.66", "password", "GET", "/api/tags", 403),
    ("127.0.1.1", "password", "GET", "/api/tags", 403),
    ("127.0.0.1", "password", "POST", "/api/pull", 403),
    ("127.0.0.1", "key", "POST", "/api/pull", 200),
]


@pytest.mark.parametrize(("source", "credentials", "method", "path", "status"), CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}-{c[3]}" for c in CASES])
def test_windows_config_decides_like_linux(
    windows_nginx: tuple[int, OllamaDouble], source: str, credentials: str | None, method: str, path: str, status: int
) -> None:
    port, double = windows_nginx
    headers = {
        None: {},
        "password": {"Authorization": "Basic " + base64.b64encode(f"winuser:{PASSWORD}".encode()).decode()},
        "wrong": {"Authorization": "Basic " + base64.b64encode(b"winuser:nope-nope-nope").decode()},
        "key": {"Authorization": f"Bearer {KEY}"},
    }[credentials]
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # this test is about decisions, not the certificate
    before = len(double.requests)
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, source_address=(source, 0), context=context)
    conn.request(method, path, body=b'{"model": "llama3.2"}' if method == "POST" else None, headers=headers)
    response = conn.getresponse()
    response.read()
    conn.close()
    assert response.status == status
    assert len(double.requests) - before == (1 if status == 200 else 0)
