"""Fixtures that drive the collection for real: ansible-playbook on localhost and nginx on loopback."""

from __future__ import annotations

import base64
import contextlib
import fcntl
import http.client
import json
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import textwrap
import time
import typing as t
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.support.ollama_double import OllamaDouble

REPO = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


@contextlib.contextmanager
def network_namespace(name: str, address: str) -> t.Iterator[str]:
    """A network namespace of the test's own, with loopback up and a veth pair whose one end holds address/24: an
    address that faces a network inside it, and nowhere on this machine."""
    ip("netns", "add", name)
    try:
        ip("-n", name, "link", "set", "lo", "up")
        ip("-n", name, "link", "add", "veth-gw", "type", "veth", "peer", "name", "veth-peer")
        ip("-n", name, "addr", "add", f"{address}/24", "dev", "veth-gw")
        ip("-n", name, "link", "set", "veth-gw", "up")
        ip("-n", name, "link", "set", "veth-peer", "up")
        yield name
    finally:
        ip("netns", "del", name)


def free_port(host: str = "127.0.0.1") -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class PlaybookRun:
    rc: int
    output: str
    tasks: list[dict[str, t.Any]]  # one per task: {"name", "result"} for the single host
    stats: dict[str, t.Any]  # the play recap of localhost: ok, changed, failures...

    def result(self, name: str) -> dict[str, t.Any]:
        return next(task["result"] for task in self.tasks if task["name"] == name)


def run_playbook(
    tasks: list[dict[str, t.Any]],
    *,
    check: bool = False,
    diff: bool = False,
    verbosity: int = 0,
    callback: str = "json",
    roles: list[str] | None = None,
    play_vars: dict[str, t.Any] | None = None,
    faketime: str = "",
    netns: str = "",
    env: dict[str, str] | None = None,
) -> PlaybookRun:
    """Run tasks (and roles) on localhost in a one-play playbook; with the json callback, parse each task's result.

    faketime: run with the clock moved ("+80d"); netns: run inside that network namespace; env: more variables."""
    play: list[dict[str, t.Any]] = [
        {
            "hosts": "localhost",
            "gather_facts": bool(roles),
            "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}", **(play_vars or {})},
            "roles": roles or [],
            "tasks": tasks,
        }
    ]
    path = REPO / ".build" / f"playbook-{os.getpid()}-{time.monotonic_ns()}.yml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(yaml.safe_dump(play, sort_keys=False))
    environment = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_DEPRECATION_WARNINGS="0", **(env or {}))
    if callback == "json":
        environment["ANSIBLE_STDOUT_CALLBACK"] = "ansible.posix.json"
    command = [str(REPO / ".venv" / "bin" / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(path)]
    command += ["--check"] * check + ["--diff"] * diff + (["-" + "v" * verbosity] if verbosity else [])
    command = (["faketime", "-f", faketime] if faketime else []) + command
    command = (["ip", "netns", "exec", netns] if netns else []) + command
    try:
        proc = subprocess.run(command, cwd=REPO, env=environment, capture_output=True, text=True, timeout=600, check=False)
    finally:
        path.unlink()
    tasks_out: list[dict[str, t.Any]] = []
    stats: dict[str, t.Any] = {}
    if callback == "json":
        report = json.loads(proc.stdout[proc.stdout.index("{") :])
        for play_report in report["plays"]:
            for task in play_report["tasks"]:
                if "localhost" in task["hosts"]:
                    tasks_out.append({"name": task["task"]["name"], "result": task["hosts"]["localhost"]})
        stats = report["stats"].get("localhost", {})
    return PlaybookRun(proc.returncode, proc.stdout + proc.stderr, tasks_out, stats)


def wait_listening(port: int, host: str = "127.0.0.1") -> None:
    """Return once something accepts connections on the port; fail after 10 s."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listened on {host}:{port} within 10 s")


class Nginx:
    """A private nginx master on loopback, with its own prefix; `server` is the body of one server block."""

    def __init__(self, prefix: Path, server: str, http: str = "") -> None:
        self.prefix = prefix
        self.port = free_port()
        (prefix / "logs").mkdir(parents=True, exist_ok=True)
        (prefix / "www").mkdir(exist_ok=True)
        (prefix / "www" / "index.html").write_text("ok\n")
        self.conf = prefix / "nginx.conf"
        self.conf.write_text(
            textwrap.dedent(
                """\
                user root;
                worker_processes 1;
                pid {prefix}/nginx.pid;
                error_log {prefix}/logs/error.log;
                events {{ worker_connections 256; }}
                http {{
                    access_log off;
                    client_body_temp_path {prefix}/tmp;
                    {http}
                    server {{
                        listen 127.0.0.1:{port};
                        listen [::1]:{port};
                        root {prefix}/www;
                        {server}
                    }}
                }}
                """
            ).format(prefix=prefix, port=self.port, server=server, http=http)
        )
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def test_command(self) -> str:
        return f"{NGINX} -t -q -p {self.prefix} -c {self.conf}"

    def start(self) -> None:
        subprocess.run([*self.test_command.split()], check=True)
        self.process = subprocess.Popen([NGINX, "-p", str(self.prefix), "-c", str(self.conf), "-g", "daemon off;"])
        wait_listening(self.port)

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def nginx_factory(tmp_path: Path) -> t.Iterator[t.Callable[..., Nginx]]:
    started: list[Nginx] = []

    def make(server: str, http: str = "", start: bool = True) -> Nginx:
        server_nginx = Nginx(tmp_path / f"nginx{len(started)}", server, http)
        started.append(server_nginx)
        if start:
            server_nginx.start()
        return server_nginx

    yield make
    for instance in started:
        instance.stop()


def check_port_80(webroot: Path, http_port: int, https_port: int, sources: t.Iterable[str], timeout: float = 10) -> None:
    """Port 80 serves an ACME challenge file to every source given, and redirects the rest to HTTPS, without a version."""
    token = secrets.token_urlsafe(16)
    challenge = webroot / ".well-known" / "acme-challenge" / token
    challenge.parent.mkdir(parents=True, exist_ok=True)
    challenge.write_text("proof\n")
    try:
        for source in sources:
            conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=timeout, source_address=(source, 0))
            conn.request("GET", f"/.well-known/acme-challenge/{token}")
            response = conn.getresponse()
            assert (response.status, response.read()) == (200, b"proof\n")
            conn.close()
        conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=timeout)
        conn.request("GET", "/api/tags?x=1", headers={"Host": "evil.example"})
        response = conn.getresponse()
        assert response.status == 308
        assert response.getheader("Location") == f"https://127.0.0.1:{https_port}/api/tags?x=1"
        assert response.getheader("Server") == "nginx"  # no version on port 80 either
        conn.close()
    finally:
        challenge.unlink()


def http_status(port: int, path: str = "/", *, source: str = "127.0.0.1", auth: tuple[str, str] | None = None, host: str | None = None) -> int:
    """Status of a GET from `source` (any 127.0.0.0/8 address, or ::1), with optional basic credentials."""
    import base64
    import http.client

    target = "::1" if ":" in source else "127.0.0.1"
    conn = http.client.HTTPConnection(target, port, timeout=10, source_address=(source, 0))
    headers = {}
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    if host:
        headers["Host"] = host
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


SYSTEM_NGINX_LOCK = Path("/run/lock/ollama-remote-proxy-system-nginx.lock")


@pytest.fixture(scope="module")
def system_nginx() -> t.Iterator[None]:
    """Hold the machine's nginx (and /etc/nginx) for one test module; other test processes wait their turn. Each
    module starts from a machine without the gateway, as a fresh host would: an earlier module's configuration may
    name what this one does not have (the IP-certificate test's address lives in its own network namespace)."""
    SYSTEM_NGINX_LOCK.parent.mkdir(parents=True, exist_ok=True)
    with SYSTEM_NGINX_LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        Path("/etc/nginx/conf.d/ollama-gateway.conf").unlink(missing_ok=True)
        shutil.rmtree("/etc/nginx/ollama-gateway", ignore_errors=True)
        yield


# The gateway role converged on this machine's nginx in front of the Ollama test double, shared by the modules
# that probe it (one converge per module).
GATEWAY_DIR = Path("/etc/nginx/ollama-gateway")
PASSWORDS = {"alice": secrets.token_urlsafe(24), "root-admin": secrets.token_urlsafe(24)}
KEYS = {"langflow": secrets.token_urlsafe(32), "ops-key": secrets.token_urlsafe(32)}
BLOCKED, OUTSIDE, TRUSTED = "127.0.0.66", "127.0.1.5", "127.0.0.77"
CONNECTIONS_PER_ADDRESS, HEADER_TIMEOUT = 8, 3


@dataclass
class Gateway:
    https_port: int
    http_port: int
    double: OllamaDouble
    play_vars: dict[str, t.Any]

    def context(self, *, check_hostname: bool = True) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(GATEWAY_DIR / "tls" / "fullchain.pem"))
        context.check_hostname = check_hostname  # the certificate names 127.0.0.1 (as an IP address), not ::1
        return context

    def connect(self, source: str = "127.0.0.1") -> http.client.HTTPSConnection:
        ipv6 = ":" in source
        context = self.context(check_hostname=not ipv6)
        return http.client.HTTPSConnection("::1" if ipv6 else "127.0.0.1", self.https_port, timeout=30, source_address=(source, 0), context=context)

    def request(
        self, method: str, path: str, *, source: str = "127.0.0.1", auth: str | None = None, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        conn = self.connect(source)
        all_headers = {**authorization(auth), **(headers or {})}
        try:
            conn.request(method, path, body=body, headers=all_headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()


def authorization(who: str | None) -> dict[str, str]:
    """Credentials by name: a user (basic), a key name (bearer), 'wrong', 'bad-key', or None."""
    if who is None:
        return {}
    if who in PASSWORDS:
        return {"Authorization": "Basic " + base64.b64encode(f"{who}:{PASSWORDS[who]}".encode()).decode()}
    if who in KEYS:
        return {"Authorization": f"Bearer {KEYS[who]}"}
    if who == "wrong":
        return {"Authorization": "Basic " + base64.b64encode(b"alice:not-the-password").decode()}
    return {"Authorization": "Bearer " + secrets.token_urlsafe(32)}


def gateway_vars(double: OllamaDouble, https_port: int, http_port: int) -> dict[str, t.Any]:
    return {
        "gateway_server_name": "127.0.0.1",
        "gateway_listen_addresses": ["127.0.0.1", "[::1]"],
        "gateway_https_port": https_port,
        "gateway_http_port": http_port,
        "gateway_backends": [f"127.0.0.1:{double.port}"],
        "gateway_users": [
            {"name": "alice", "password": PASSWORDS["alice"]},
            {"name": "root-admin", "password": PASSWORDS["root-admin"], "admin": True},
        ],
        "gateway_api_keys": [{"name": "langflow", "key": KEYS["langflow"]}, {"name": "ops-key", "key": KEYS["ops-key"], "admin": True}],
        "gateway_allow": [{"deny": BLOCKED}, {"allow": "127.0.0.0/24"}, {"allow": "::1"}],
        "gateway_trusted_networks": [TRUSTED],
        "gateway_allowed_origins": ["https://chat.example.net"],
        # Generous: the tests send bursts from one address.
        "gateway_rate_limit": "1000r/s",
        "gateway_rate_burst": 1000,
        # Small, so the tests of these limits stay short.
        "gateway_connections_per_address": CONNECTIONS_PER_ADDRESS,
        "gateway_client_header_timeout": HEADER_TIMEOUT,
    }


@pytest.fixture(scope="module")
def gateway(system_nginx: None) -> t.Iterator[Gateway]:
    with OllamaDouble(host="127.0.0.1", port=0) as double:
        https_port, http_port = free_port(), free_port()
        play_vars = gateway_vars(double, https_port, http_port)
        run = run_playbook([], roles=["ollama_remote.proxy.gateway"], play_vars=play_vars)
        assert run.rc == 0, run.output[-4000:]
        yield Gateway(https_port, http_port, double, play_vars)
