"""The configuration the gateway role renders for Windows, checked and served by the official nginx for Windows.

No Windows machine runs here. nginx.org's Windows build (nginx.exe 1.27.5, 32-bit) runs under Wine
(tests/support/windows_nginx.py) with the prefix C:/nginx, started as the role's Shawl service starts it: `-p
C:/nginx/` and the prefix as working directory. The files are the role's own: its templates rendered with its
Windows variables, the access files written by the collection's plugins, every file with CRLF line endings as
config_files and win_copy leave them on Windows.

Wine is not Windows, and the tests are shaped by where the two differ: `nginx -t` runs before nginx starts, never
while it runs, and a changed configuration is served by a new nginx, not a reload; both would fail to re-bind the
ports under Wine (bind error 10013) where Windows allows it. What these tests prove is how nginx for Windows reads and
applies the configuration; the service wrapper, the ACLs and the reload signal are not exercised here.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import secrets
import shutil
import ssl
import subprocess
import typing as t
from pathlib import Path

import pytest

from tests.support import windows_nginx
from tests.support.windows_nginx import WindowsNginx

from .conftest import check_port_80
from .windows_gateway import GENERATION, WindowsGateway, serve

pytestmark = pytest.mark.skipif(bool(windows_nginx.available()), reason=windows_nginx.available() or "ready")

PASSWORD = "windows-user-password-123"
ADMIN_PASSWORD = "windows-admin-password-456"
KEY = "k" * 40


def settings(double_port: int, https_port: int, http_port: int) -> dict[str, t.Any]:
    return {
        "gateway_server_name": "127.0.0.1",
        "gateway_listen_addresses": ["127.0.0.1"],
        "gateway_https_port": https_port,
        "gateway_http_port": http_port,
        "gateway_backends": [f"127.0.0.1:{double_port}"],
        "gateway_users": [{"name": "winuser", "password": PASSWORD}, {"name": "winadmin", "password": ADMIN_PASSWORD, "admin": True}],
        "gateway_api_keys": [{"name": "winkey", "key": KEY, "admin": True}],
        "gateway_allow": [{"deny": "127.0.0.66"}, {"allow": "127.0.0.0/24"}],
        "gateway_allow_default": "deny",
        "gateway_rate_limit": "1000r/s",
        "gateway_rate_burst": 1000,
    }


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[WindowsGateway]:
    with serve(tmp_path_factory.mktemp("windows-prefix"), settings) as running:
        yield running


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


CREDENTIALS: dict[str | None, dict[str, str]] = {
    None: {},
    "password": basic("winuser", PASSWORD),
    "admin": basic("winadmin", ADMIN_PASSWORD),
    "wrong": basic("winuser", "nope-nope-nope"),
    "key": {"Authorization": f"Bearer {KEY}"},
}


def request(
    port: int, method: str, path: str, *, source: str = "127.0.0.1", headers: dict[str, str] | None = None, body: bytes | None = None
) -> tuple[int, bytes, http.client.HTTPResponse]:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # these tests are about decisions, not the certificate
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=20, source_address=(source, 0), context=context)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read(), response
    finally:
        conn.close()


CASES = [
    ("127.0.0.1", None, "GET", "/api/tags", 401),
    ("127.0.0.1", "password", "GET", "/api/tags", 200),
    ("127.0.0.1", "wrong", "GET", "/api/tags", 401),
    ("127.0.0.1", "key", "GET", "/v1/models", 200),
    ("127.0.0.66", "password", "GET", "/api/tags", 403),
    ("127.0.1.1", "password", "GET", "/api/tags", 403),
    ("127.0.0.1", "password", "POST", "/api/pull", 403),
    ("127.0.0.1", "key", "POST", "/api/pull", 200),
    ("127.0.0.1", "admin", "POST", "/api/pull", 200),
    ("127.0.0.1", "password", "GET", "/api/nothing-here", 404),
    ("127.0.0.1", "password", "GET", "//api/tags", 400),
]


@pytest.mark.parametrize(("source", "credentials", "method", "path", "status"), CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}-{c[3]}" for c in CASES])
def test_windows_nginx_decides_like_linux(gateway: WindowsGateway, source: str, credentials: str | None, method: str, path: str, status: int) -> None:
    before = len(gateway.double.requests)
    body = b'{"model": "llama3.2"}' if method == "POST" else None
    assert request(gateway.https_port, method, path, source=source, headers=CREDENTIALS[credentials], body=body)[0] == status
    assert len(gateway.double.requests) - before == (1 if status == 200 else 0)


def test_a_literal_backslash_is_refused_before_nginx_for_windows_reads_it_as_a_slash(
    gateway: WindowsGateway,
) -> None:
    """nginx for Windows routes `a\\..\\..\\..\\tags` as /api/tags (allowed to every user); Ollama would route the raw path
    to its sign-out handler. The gateway answers 400 and nothing reaches Ollama."""
    before = len(gateway.double.requests)
    for path in ("/api/user/keys/a\\..\\..\\..\\tags", "/api\\tags", "/api/tags\\"):
        assert request(gateway.https_port, "DELETE" if "keys" in path else "GET", path, headers=CREDENTIALS["password"])[0] == 400, path
    assert len(gateway.double.requests) == before


@pytest.mark.parametrize(("path", "payload", "first_marker"), [
    ("/api/chat", {"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}]}, b'"done":false'),
    ("/v1/chat/completions", {"model": "llama3.2", "stream": True, "messages": [{"role": "user", "content": "hi"}]}, b"data: "),
])  # fmt: skip
def test_windows_nginx_streams_the_first_chunk_before_the_rest_exists(
    gateway: WindowsGateway, path: str, payload: dict[str, t.Any], first_marker: bytes
) -> None:
    stream_id = secrets.token_hex(8)
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    conn = http.client.HTTPSConnection("127.0.0.1", gateway.https_port, timeout=20, context=context)
    try:
        headers = {**CREDENTIALS["key"], "X-Test-Stream-Id": stream_id}
        conn.request("POST", path, body=json.dumps(payload).encode(), headers=headers)
        response = conn.getresponse()
        assert response.status == 200
        assert first_marker in response.readline()
        gate = gateway.double.gate(stream_id)
        assert not gate.released.is_set(), "the first chunk must arrive while the double still holds the rest"
        gateway.double.release(stream_id)
        rest = response.read()
        assert gate.finished.wait(10) and not gate.timed_out
        assert b"done" in rest or b"[DONE]" in rest
    finally:
        conn.close()


def test_port_80_serves_the_challenge_to_anyone_and_redirects_the_rest(gateway: WindowsGateway) -> None:
    # Sources: allowed, outside the allowlist, denied.
    check_port_80(gateway.nginx.prefix / "html-acme", gateway.http_port, gateway.https_port, ("127.0.0.1", "127.0.1.5", "127.0.0.66"), timeout=20)


def test_the_configuration_generation_is_told_to_this_host_only(gateway: WindowsGateway) -> None:
    """What the run asks after a reload, to know that nginx serves the configuration it wrote."""
    for source, status, body in (("127.0.0.1", 200, f"{GENERATION}\n".encode()), ("127.0.0.66", 404, None)):
        conn = http.client.HTTPConnection("127.0.0.1", gateway.http_port, timeout=20, source_address=(source, 0))
        conn.request("GET", "/.gateway-generation")
        response = conn.getresponse()
        assert response.status == status
        assert body is None or response.read() == body
        conn.close()


def test_one_worker_with_poll_in_the_foreground(gateway: WindowsGateway) -> None:
    """`worker_processes 1`, `use poll` and `daemon off` are what nginx for Windows runs with: one master (the
    process Shawl started, still in the foreground) and one worker, no errors at start."""
    conf = (gateway.nginx.prefix / "conf" / "nginx.conf").read_bytes()
    for line in (b"worker_processes 1;\r\n", b"daemon off;\r\n", b"    use poll;\r\n"):
        assert line in conf
    assert gateway.nginx.process is not None and gateway.nginx.process.poll() is None, "the master Shawl started keeps running in the foreground"
    processes = subprocess.run(["pgrep", "-f", "-c", r"nginx-1\.27\.5[/\\]nginx\.exe -p C:/nginx/"], capture_output=True, text=True, check=False).stdout.strip()
    assert processes == "2", "one master and one worker"
    assert "[emerg]" not in gateway.nginx.error_log() and "[alert]" not in gateway.nginx.error_log()


def test_every_file_nginx_for_windows_reads_has_crlf_line_endings(gateway: WindowsGateway) -> None:
    for path in [gateway.nginx.prefix / "conf" / "nginx.conf", gateway.nginx.prefix / "conf" / "ollama-gateway.conf", *gateway.files.values()]:
        if path.exists() and path.suffix != ".pem":
            content = path.read_bytes()
            assert content.count(b"\n") == content.count(b"\r\n") > 0, path


def ssha(password: str) -> str:
    salt = secrets.token_bytes(8)
    return "{SSHA}" + base64.b64encode(hashlib.sha1(password.encode() + salt).digest() + salt).decode()


def sha(password: str) -> str:
    return "{SHA}" + base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()


def crypt3(scheme: str, password: str) -> str:
    from passlib.hash import bcrypt, sha256_crypt, sha512_crypt

    handler = {"sha512_crypt": sha512_crypt.using(rounds=5000), "sha256_crypt": sha256_crypt.using(rounds=5000), "bcrypt": bcrypt.using(rounds=4, ident="2y")}
    return t.cast(str, handler[scheme].hash(password))


@pytest.mark.parametrize("scheme", ["apr1", "ssha", "sha"])
def test_windows_nginx_verifies_the_schemes_it_has(gateway: WindowsGateway, scheme: str) -> None:
    from passlib.hash import apr_md5_crypt

    stored = {"apr1": apr_md5_crypt.hash, "ssha": ssha, "sha": sha}[scheme](PASSWORD)
    htpasswd = gateway.files["htpasswd"]
    original = htpasswd.read_bytes()
    try:
        htpasswd.write_bytes(f"winuser:{stored}\r\n".encode())  # read on every request: no reload
        assert request(gateway.https_port, "GET", "/api/tags", headers=basic("winuser", PASSWORD))[0] == 200
        assert request(gateway.https_port, "GET", "/api/tags", headers=basic("winuser", PASSWORD + "x"))[0] == 401
        assert request(gateway.https_port, "GET", "/api/tags", headers=basic("winuser", stored))[0] == 401
    finally:
        htpasswd.write_bytes(original)


@pytest.mark.parametrize("scheme", ["sha512_crypt", "sha256_crypt", "bcrypt"])
def test_windows_nginx_has_no_crypt3_so_the_hash_string_becomes_the_password(gateway: WindowsGateway, scheme: str) -> None:
    """Why the htpasswd plugin refuses these schemes, and replaces or refuses such lines, on Windows targets."""
    stored = crypt3(scheme, PASSWORD)
    htpasswd = gateway.files["htpasswd"]
    original = htpasswd.read_bytes()
    try:
        htpasswd.write_bytes(f"winuser:{stored}\r\n".encode())
        assert request(gateway.https_port, "GET", "/api/tags", headers=basic("winuser", PASSWORD))[0] == 401
        assert request(gateway.https_port, "GET", "/api/tags", headers=basic("winuser", stored))[0] == 200
    finally:
        htpasswd.write_bytes(original)


def test_nginx_t_refuses_a_broken_configuration(gateway: WindowsGateway, tmp_path: Path) -> None:
    """The role's validation command, as nginx for Windows answers it: a broken file fails with nginx's own message.
    It checks a copy of the prefix: under Wine, `nginx -t` beside the running nginx would fail to bind its ports."""
    copy = tmp_path / "prefix"
    shutil.copytree(gateway.nginx.prefix, copy, ignore=shutil.ignore_patterns("*.log", "*.pid"))
    conf = copy / "conf" / "ollama-gateway.conf"
    text = conf.read_bytes()
    conf.write_bytes(text.replace(b"proxy_buffering off;", b"proxy_buffering sometimes;"))
    with WindowsNginx(copy) as broken:
        check = broken.nginx("-t")
    gateway.nginx.link()  # C:/nginx is the running nginx's prefix again
    assert check.returncode != 0
    assert 'invalid value "sometimes"' in check.stderr
