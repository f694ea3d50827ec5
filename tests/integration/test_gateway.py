"""The gateway role converged on this machine for real, in front of the Ollama test double, and probed as clients do.

nginx is the distribution's, run by the role through the distribution's service manager; it listens on loopback
ports only. Client addresses are chosen by binding sources in 127.0.0.0/8 and ::1.
"""

from __future__ import annotations

import base64
import concurrent.futures
import datetime
import http.client
import json
import re
import secrets
import socket
import ssl
import subprocess
import time
import typing as t
from pathlib import Path

import pytest

from .conftest import (
    BLOCKED,
    CONNECTIONS_PER_ADDRESS,
    GATEWAY_DIR,
    HEADER_TIMEOUT,
    KEYS,
    NGINX,
    OUTSIDE,
    PASSWORDS,
    TRUSTED,
    Gateway,
    authorization,
    check_port_80,
    run_playbook,
)

CONF_FILE = Path("/etc/nginx/conf.d/ollama-gateway.conf")
ACME_WEBROOT = Path("/var/www/ollama-acme")


ACCESS_CASES = [
    # (source, credentials, method, path, status)
    ("127.0.0.1", None, "GET", "/api/tags", 401),
    ("127.0.0.1", "wrong", "GET", "/api/tags", 401),
    ("127.0.0.1", "bad-key", "GET", "/api/tags", 401),
    ("127.0.0.1", "alice", "GET", "/api/tags", 200),
    ("127.0.0.1", "langflow", "GET", "/api/tags", 200),
    ("127.0.0.1", "alice", "GET", "/", 200),
    ("127.0.0.1", "langflow", "GET", "/v1/models", 200),
    ("::1", "alice", "GET", "/api/version", 200),
    (BLOCKED, "alice", "GET", "/api/tags", 403),
    (OUTSIDE, "alice", "GET", "/api/tags", 403),
    (OUTSIDE, None, "GET", "/api/tags", 403),
    (TRUSTED, None, "GET", "/api/tags", 200),
    (TRUSTED, None, "POST", "/api/pull", 403),
    (TRUSTED, "wrong", "POST", "/api/pull", 403),
    ("127.0.0.1", "alice", "POST", "/api/pull", 403),
    ("127.0.0.1", "langflow", "POST", "/api/create", 403),
    ("127.0.0.1", "alice", "DELETE", "/api/delete", 403),
    ("127.0.0.1", "alice", "POST", "/api/me", 403),
    ("127.0.0.1", "alice", "POST", "/api/experimental/web_search", 403),
    ("127.0.0.1", "root-admin", "POST", "/api/pull", 200),
    ("127.0.0.1", "ops-key", "POST", "/api/pull", 200),
    ("127.0.0.1", "alice", "GET", "/api/unknown", 404),
    ("127.0.0.1", None, "GET", "/api/unknown", 401),
    ("127.0.0.1", "alice", "POST", "/api/%70ull", 403),
    ("127.0.0.1", "alice", "POST", "/api//pull", 400),
    ("127.0.0.1", "alice", "POST", "/api/chat/../pull", 400),
]


@pytest.mark.parametrize(("source", "who", "method", "path", "status"), ACCESS_CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}-{c[3]}" for c in ACCESS_CASES])
def test_access_decisions(gateway: Gateway, source: str, who: str | None, method: str, path: str, status: int) -> None:
    before = len(gateway.double.requests)
    body = json.dumps({"model": "llama3.2", "name": "llama3.2", "stream": False}).encode() if method != "GET" else None
    got = gateway.request(method, path, source=source, auth=who, body=body)[0]
    assert got == status
    reached = len(gateway.double.requests) - before
    assert reached == (1 if status == 200 else 0), "only allowed requests may reach Ollama"


def test_what_reaches_ollama_is_accepted_and_carries_no_credentials(gateway: Gateway) -> None:
    """An allowed origin's request reaches Ollama without its Origin, which Ollama would refuse (OLLAMA_ORIGINS)."""
    gateway.double.reset()
    for who in ("alice", "langflow"):
        status = gateway.request("GET", "/api/tags", auth=who, headers={"Origin": "https://chat.example.net"})[0]
        assert status == 200
    for recorded in gateway.double.requests:
        assert recorded.header("Host") == "localhost"
        assert recorded.header("Authorization") is None
        assert recorded.header("Origin") is None


@pytest.mark.parametrize(("path", "payload", "first_marker"), [
    ("/api/chat", {"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}]}, b'"done":false'),
    ("/v1/chat/completions", {"model": "llama3.2", "stream": True, "messages": [{"role": "user", "content": "hi"}]}, b"data: "),
])  # fmt: skip
def test_first_chunk_arrives_before_the_rest_exists(gateway: Gateway, path: str, payload: dict[str, t.Any], first_marker: bytes) -> None:
    """The double holds the stream after its first chunk until released: a buffering proxy would deliver nothing."""
    stream_id = secrets.token_hex(8)
    conn = gateway.connect()
    try:
        conn.request("POST", path, body=json.dumps(payload).encode(), headers={**authorization("langflow"), "X-Test-Stream-Id": stream_id})
        response = conn.getresponse()
        assert response.status == 200
        first = response.readline()
        assert first_marker in first
        gate = gateway.double.gate(stream_id)
        assert not gate.released.is_set(), "the first chunk must arrive while the double still holds the rest"
        gateway.double.release(stream_id)
        rest = response.read()
        assert gate.finished.wait(10)
        assert not gate.timed_out
        assert b"done" in rest or b"[DONE]" in rest
    finally:
        conn.close()


def test_idle_connections_from_one_address_are_closed_and_crowd_out_nobody(gateway: Gateway) -> None:
    """200 connections from an outsider that never finish a request (half send no TLS handshake, half stop inside
    the request line): an allowed client is served meanwhile, and nginx closes them all once the header timeout
    (gateway_client_header_timeout) has passed, long before the 60 s nginx would allow by default."""
    idle: list[socket.socket] = []
    try:
        for number in range(200):
            raw = socket.create_connection(("127.0.0.1", gateway.https_port), timeout=10, source_address=(OUTSIDE, 0))
            if number % 2:
                tls = gateway.context(check_hostname=False).wrap_socket(raw, server_hostname="127.0.0.1")
                tls.sendall(b"GET /api/tags HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                raw = tls
            idle.append(raw)
        assert gateway.request("GET", "/api/tags", auth="alice")[0] == 200
        deadline = time.monotonic() + HEADER_TIMEOUT + 10
        for sock in idle:
            sock.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                leftover = sock.recv(1024)  # a TimeoutError here: nginx still holds the connection
            except (ConnectionResetError, ssl.SSLError):
                leftover = b""
            assert leftover in (b"", b"HTTP/1.1 408"[: len(leftover)]) or leftover.startswith(b"HTTP/1.1 408")
    finally:
        for sock in idle:
            sock.close()


def test_concurrent_requests_per_address_are_limited_but_not_per_key(gateway: Gateway) -> None:
    """CONNECTIONS_PER_ADDRESS streams held open by a password user from one address: one more from there gets 429,
    while another address, and an API key from the same address, are still served."""
    held: list[tuple[http.client.HTTPSConnection, str]] = []
    payload = json.dumps({"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}]}).encode()
    try:
        for _number in range(CONNECTIONS_PER_ADDRESS):
            stream_id = secrets.token_hex(8)
            conn = gateway.connect()
            conn.request("POST", "/api/chat", body=payload, headers={**authorization("alice"), "X-Test-Stream-Id": stream_id})
            response = conn.getresponse()
            assert response.status == 200 and response.readline()
            held.append((conn, stream_id))
        status, body = gateway.request("GET", "/api/tags", auth="alice")
        assert status == 429 and "rate limit" in json.loads(body)["error"]
        assert gateway.request("GET", "/api/tags", auth="alice", source="127.0.0.2")[0] == 200
        assert gateway.request("GET", "/api/tags", auth="langflow")[0] == 200
    finally:
        for conn, stream_id in held:
            gateway.double.release(stream_id)
            conn.close()


def test_a_document_ingested_as_open_webui_does_meets_no_rate_limit_by_default(gateway: Gateway) -> None:
    """With the default rate limits: 320 /api/embed requests at once over 8 keep-alive connections, with one API key,
    as Open WebUI embeds a document's chunks. The key's burst takes them; its address is not counted."""
    defaults = {name: value for name, value in gateway.play_vars.items() if name not in ("gateway_rate_limit", "gateway_rate_burst")}
    run = run_playbook([], roles=["ollama_remote.proxy.gateway"], play_vars=defaults)
    assert run.rc == 0, run.output[-4000:]
    body = json.dumps({"model": "llama3.2", "input": ["a chunk of a document"]}).encode()

    def ingest(_worker: int) -> list[int]:
        conn = gateway.connect()
        statuses = []
        try:
            for _chunk in range(40):
                conn.request("POST", "/api/embed", body=body, headers={**authorization("langflow"), "Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                statuses.append(response.status)
        finally:
            conn.close()
        return statuses

    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            statuses = [status for worker in pool.map(ingest, range(8)) for status in worker]
        assert statuses == [200] * 320
        assert gateway.request("GET", "/api/tags", auth="ops-key")[0] == 200
    finally:
        restored = run_playbook([], roles=["ollama_remote.proxy.gateway"], play_vars=gateway.play_vars)
        assert restored.rc == 0, restored.output[-4000:]


def test_blob_upload_streams_through_for_admins(gateway: Gateway) -> None:
    import hashlib

    blob = secrets.token_bytes(8 * 1024 * 1024)  # 8 MiB: far past nginx's 1 MiB default body limit
    digest = "sha256:" + hashlib.sha256(blob).hexdigest()
    status = gateway.request("POST", f"/api/blobs/{digest}", auth="ops-key", body=blob)[0]
    assert status == 201
    assert gateway.request("HEAD", f"/api/blobs/{digest}", auth="ops-key")[0] == 200
    assert gateway.request("POST", f"/api/blobs/{digest}", auth="langflow", body=b"x")[0] == 403


def test_port_80_serves_the_acme_challenge_to_anyone_and_redirects_the_rest(gateway: Gateway) -> None:
    check_port_80(ACME_WEBROOT, gateway.http_port, gateway.https_port, (OUTSIDE, BLOCKED))


def test_tls_settings(gateway: Gateway) -> None:
    conn = gateway.connect()
    conn.request("GET", "/api/version", headers=authorization("alice"))
    response = conn.getresponse()
    assert response.status == 200
    assert response.getheader("Strict-Transport-Security") == "max-age=63072000; includeSubDomains"
    assert response.getheader("Server") == "nginx"  # no version
    conn.close()
    old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    old.maximum_version = ssl.TLSVersion.TLSv1_1
    old.minimum_version = ssl.TLSVersion.TLSv1
    old.check_hostname, old.verify_mode = False, ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", gateway.https_port), timeout=10) as raw, pytest.raises(ssl.SSLError):
        old.wrap_socket(raw)


def test_gateway_loads_under_an_nginx_conf_that_sets_what_it_needs(gateway: Gateway, tmp_path: Path) -> None:
    """Debian 13's nginx.conf sets `server_tokens off;` in the http context (Debian 12's has it commented out): the
    gateway's include sets it per server, so the two never collide, whichever release runs here."""
    distribution_conf = Path("/etc/nginx/nginx.conf").read_text()
    without = re.sub(r"(?m)^\s*#?\s*server_tokens\b.*$", "", distribution_conf)
    debian_13_style = tmp_path / "nginx.conf"
    debian_13_style.write_text(re.sub(r"(?m)^http \{$", "http {\n\tserver_tokens off;", without, count=1))
    assert "server_tokens off;" in debian_13_style.read_text()
    check = subprocess.run([NGINX, "-t", "-q", "-c", str(debian_13_style)], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr


def test_a_reload_nginx_rejects_fails_the_run_with_nginx_own_message(gateway: Gateway) -> None:
    """`nginx -t` binds nothing, so it passes a port another program holds; the running master then cannot bind it and
    keeps its old configuration, while `nginx -s reload` (and `service nginx reload`) exit 0. The run must notice
    that nginx does not serve what it just wrote, and fail with the line of nginx's error log that says why."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        changed = {**gateway.play_vars, "gateway_https_port": taken, "gateway_reload_wait": 2}
        run = run_playbook([], roles=["ollama_remote.proxy.gateway"], play_vars=changed)
        # The next run finds nothing to change, yet nginx still serves the generation before: it reloads, fails again.
        again = run_playbook([], roles=["ollama_remote.proxy.gateway"], play_vars=changed)
    for attempt in (run, again):
        assert attempt.rc != 0
        failed = next(task["result"] for task in attempt.tasks if task["result"].get("failed"))
        assert "nginx did not apply the configuration just written" in failed["msg"]
        assert f"bind() to 127.0.0.1:{taken} failed (98: Address already in use)" in failed["msg"]
    assert gateway.request("GET", "/api/tags", auth="alice")[0] == 200  # still the configuration before
    restored = run_playbook([], roles=["ollama_remote.proxy.gateway"], play_vars=gateway.play_vars)
    assert restored.rc == 0, restored.output[-4000:]
    assert gateway.request("GET", "/api/tags", auth="alice")[0] == 200


def test_the_configuration_generation_is_told_to_this_host_only(gateway: Gateway) -> None:
    served = http.client.HTTPConnection("127.0.0.1", gateway.http_port, timeout=10)
    served.request("GET", "/.gateway-generation")
    response = served.getresponse()
    assert response.status == 200 and re.fullmatch(rb"[a-z0-9]{20}\n", response.read())
    served.close()
    outside = http.client.HTTPConnection("127.0.0.1", gateway.http_port, timeout=10, source_address=(OUTSIDE, 0))
    outside.request("GET", "/.gateway-generation")
    assert outside.getresponse().status == 404
    outside.close()


def _log_lines_after(log: Path, start: int, count: int) -> str:
    """What the log gained after `start`, once it holds `count` lines: nginx logs a request after it answers it."""
    deadline = time.monotonic() + 10
    while True:
        with log.open() as lines:
            lines.seek(start)
            written = lines.read()
        if written.count("\n") >= count or time.monotonic() > deadline:
            return written
        time.sleep(0.05)


def test_the_access_log_names_only_what_nginx_verified(gateway: Gateway) -> None:
    """A failed login is logged without its user name, which may be a password typed into the wrong field."""
    log = Path("/var/log/nginx/ollama-gateway-access.log")
    start = log.stat().st_size if log.exists() else 0
    typed = "hunter2-typed-into-the-name-field"
    wrong = {"Authorization": "Basic " + base64.b64encode(f"{typed}:whatever".encode()).decode()}
    requests = [
        ("127.0.0.1", {}, "alice", 200),
        ("127.0.0.1", wrong, None, 401),
        ("127.0.0.1", {}, "wrong", 401),
        (BLOCKED, {}, "alice", 403),
        ("127.0.0.1", {}, "langflow", 200),
        ("127.0.0.1", {}, "alice", 404),
    ]
    for source, headers, who, status in requests:
        path = "/api/nothing-here" if status == 404 else "/api/tags"
        assert gateway.request("GET", path, source=source, auth=who, headers=headers)[0] == status
    written = _log_lines_after(log, start, len(requests))
    logged = [json.loads(line) for line in written.splitlines()][-len(requests) :]
    assert [(entry["status"], entry["user"]) for entry in logged] == [(200, "alice"), (401, ""), (401, ""), (403, ""), (200, "langflow"), (404, "")]
    assert typed not in written


def test_real_clients_work_through_the_gateway(gateway: Gateway) -> None:
    ollama = pytest.importorskip("ollama")
    openai = pytest.importorskip("openai")
    import httpx

    url = f"https://127.0.0.1:{gateway.https_port}"
    verify = ssl.create_default_context(cafile=str(GATEWAY_DIR / "tls" / "fullchain.pem"))
    by_password = ollama.Client(host=url, auth=("alice", PASSWORDS["alice"]), verify=verify)
    assert by_password.list().models
    reply = by_password.chat(model="llama3.2", messages=[{"role": "user", "content": "hi"}])
    assert reply.message.content
    by_key = ollama.Client(host=url, headers={"Authorization": f"Bearer {KEYS['langflow']}"}, verify=verify)
    assert "".join(part.message.content for part in by_key.chat(model="llama3.2", messages=[{"role": "user", "content": "hi"}], stream=True))
    sdk = openai.OpenAI(base_url=url + "/v1", api_key=KEYS["langflow"], http_client=httpx.Client(verify=verify))
    completion = sdk.chat.completions.create(model="llama3.2", messages=[{"role": "user", "content": "hi"}])
    assert completion.choices[0].message.content
    assert [m.id for m in sdk.models.list()]
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=url + "/v1", api_key="not-a-key", http_client=httpx.Client(verify=verify)).models.list()


@pytest.mark.parametrize(
    ("source", "who", "method", "path", "status", "says"),
    [
        ("127.0.0.1", None, "GET", "/api/tags", 401, "send an API key"),
        ("127.0.0.1", "bad-key", "GET", "/api/tags", 401, "send an API key"),
        (BLOCKED, "alice", "GET", "/api/tags", 403, "this address may not use the gateway"),
        ("127.0.0.1", "langflow", "POST", "/api/pull", 403, "this route is for admins"),
        ("127.0.0.1", "alice", "GET", "/api/nothing-here", 404, "passes on only the routes of the Ollama API"),
        ("127.0.0.1", "alice", "DELETE", "/api/tags", 405, "the methods in the Allow header"),
        ("127.0.0.1", "alice", "GET", "//api/tags", 400, "refuses encoded slashes"),
        ("127.0.0.1", None, "GET", "/v1/models", 401, "send an API key"),
        ("127.0.0.1", "alice", "DELETE", "/v1/models", 405, "the methods in the Allow header"),
    ],
)
def test_the_gateway_explains_its_refusals_in_json(gateway: Gateway, source: str, who: str | None, method: str, path: str, status: int, says: str) -> None:
    """Ollama's own error form, {"error": "..."}, so clients show the reason; 401 keeps its challenge, 405 its Allow."""
    conn = gateway.connect(source)
    try:
        conn.request(method, path, headers=authorization(who))
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    assert response.status == status
    assert response.getheader("Content-Type") == "application/json"
    error = json.loads(body)["error"]
    assert says in (error["message"] if path.startswith("/v1/") else error)
    assert (response.getheader("WWW-Authenticate") == 'Basic realm="Ollama gateway"') is (status == 401)
    assert response.getheader("Allow") == ({"/api/tags": "GET, HEAD", "/v1/models": "GET"}[path] if status == 405 else None)


def test_clients_show_why_the_gateway_refused(gateway: Gateway) -> None:
    """The ollama and openai libraries put the gateway's reason into their exceptions."""
    ollama = pytest.importorskip("ollama")
    openai = pytest.importorskip("openai")
    import httpx

    url = f"https://127.0.0.1:{gateway.https_port}"
    verify = ssl.create_default_context(cafile=str(GATEWAY_DIR / "tls" / "fullchain.pem"))
    with pytest.raises(ollama.ResponseError) as unauthorized:
        ollama.Client(host=url, headers={"Authorization": "Bearer not-a-key"}, verify=verify).list()
    assert unauthorized.value.status_code == 401 and "send an API key" in str(unauthorized.value)
    with pytest.raises(ollama.ResponseError) as not_admin:
        ollama.Client(host=url, headers={"Authorization": f"Bearer {KEYS['langflow']}"}, verify=verify).pull("llama3.2")
    assert not_admin.value.status_code == 403 and "this route is for admins" in str(not_admin.value)
    with pytest.raises(openai.AuthenticationError) as refused:
        openai.OpenAI(base_url=url + "/v1", api_key="not-a-key", http_client=httpx.Client(verify=verify)).models.list()
    assert "send an API key" in str(refused.value)
    with pytest.raises(openai.NotFoundError) as missing:
        openai.OpenAI(base_url=url + "/v1", api_key=KEYS["langflow"], http_client=httpx.Client(verify=verify)).files.list()
    assert "passes on only the routes of the Ollama API" in str(missing.value)


# With the cloud off the health gate passes in every other run of it (the container hosts, the secrets and IP-address
# certificate tests, whose doubles say --no-cloud); here the cloud is on.
@pytest.mark.parametrize(("allow_cloud", "passes"), [(False, False), (True, True)])
def test_the_health_gate_fails_while_ollamas_cloud_is_on(gateway: Gateway, allow_cloud: bool, passes: bool) -> None:
    """The verify role asks Ollama (GET /api/status) whether ollama.com's cloud is off, unless gateway_allow_cloud."""
    assert not gateway.double.cloud_disabled
    run = run_playbook([], roles=["ollama_remote.proxy.verify"], play_vars={**gateway.play_vars, "gateway_allow_cloud": allow_cloud})
    assert (run.rc == 0) is passes, run.output[-3000:]
    if not passes:
        failed = next(task["result"] for task in run.tasks if task["result"].get("failed"))
        assert failed["msg"] == (
            f"https://127.0.0.1:{gateway.https_port}: Ollama's cloud off (ollama.com models and web search would be spent on the owner's account by every "
            "client): set OLLAMA_NO_CLOUD=1 for the Ollama server (the ollama role does), or gateway_allow_cloud: true to allow it, but got cloud on (none)"
        )


def test_an_expired_key_stops_working_at_the_next_converge(gateway: Gateway) -> None:
    yesterday, soon = (datetime.date.today() + datetime.timedelta(days=offset) for offset in (-1, 5))
    keys = [{**gateway.play_vars["gateway_api_keys"][0], "expires": str(soon)}, {**gateway.play_vars["gateway_api_keys"][1], "expires": str(yesterday)}]
    try:
        run = run_playbook([], roles=["ollama_remote.proxy.gateway"], play_vars={**gateway.play_vars, "gateway_api_keys": keys})
        assert run.rc == 0, run.output[-4000:]
        written = next(task["result"] for task in run.tasks if task["name"].endswith("checked together by nginx -t before they stay"))
        assert written["api_keys"]["expired"] == ["ops-key"] and written["api_keys"]["removed"] == ["ops-key"]
        assert written["warnings"] == [
            f"key 'ops-key' expired on {yesterday} and is no longer accepted; give it a new key and date",
            f"key 'langflow' expires on {soon}, in 5 days",
        ]
        assert gateway.request("GET", "/api/tags", auth="ops-key")[0] == 401
        assert gateway.request("GET", "/api/tags", auth="langflow")[0] == 200
    finally:
        restored = run_playbook([], roles=["ollama_remote.proxy.gateway"], play_vars=gateway.play_vars)
        assert restored.rc == 0, restored.output[-4000:]
    assert gateway.request("GET", "/api/tags", auth="ops-key")[0] == 200


def test_the_langflow_recipe_streams_and_names_a_wrong_key(gateway: Gateway) -> None:
    """What Langflow's components run: langchain-openai against /v1 with the key as the API key, and langchain-ollama
    with the key in its client's headers. Both stream an answer; with a wrong key both say why."""
    langchain_openai = pytest.importorskip("langchain_openai")
    langchain_ollama = pytest.importorskip("langchain_ollama")
    ollama = pytest.importorskip("ollama")
    openai = pytest.importorskip("openai")
    import httpx

    url = f"https://127.0.0.1:{gateway.https_port}"
    verify = ssl.create_default_context(cafile=str(GATEWAY_DIR / "tls" / "fullchain.pem"))

    def chat_openai(key: str) -> t.Any:
        return langchain_openai.ChatOpenAI(model="llama3.2", base_url=url + "/v1", api_key=key, max_retries=0, http_client=httpx.Client(verify=verify))

    def chat_ollama(key: str) -> t.Any:
        return langchain_ollama.ChatOllama(model="llama3.2", base_url=url, client_kwargs={"headers": {"Authorization": f"Bearer {key}"}, "verify": verify})

    for model in (chat_openai(KEYS["langflow"]), chat_ollama(KEYS["langflow"])):
        chunks = [chunk.content for chunk in model.stream("hi")]
        assert len([chunk for chunk in chunks if chunk]) > 1 and "".join(chunks)
    with pytest.raises(openai.AuthenticationError) as refused_openai:
        chat_openai("not-a-key").invoke("hi")
    assert "send an API key" in str(refused_openai.value)
    with pytest.raises(ollama.ResponseError) as refused_ollama:
        chat_ollama("not-a-key").invoke("hi")
    assert "send an API key" in str(refused_ollama.value)


def test_nginx_loads_the_configuration_without_a_warning(gateway: Gateway) -> None:
    """A warning is logged at every reload; the gateway's maps once outgrew nginx's default variables hash."""
    checked = subprocess.run([NGINX, "-t"], capture_output=True, text=True, check=False)
    assert checked.returncode == 0 and "[warn]" not in checked.stderr and "[emerg]" not in checked.stderr, checked.stderr


def test_second_converge_changes_nothing(gateway: Gateway) -> None:
    run = run_playbook([], roles=["ollama_remote.proxy.gateway"], play_vars=gateway.play_vars)
    assert run.rc == 0, run.output[-4000:]
    assert run.stats["changed"] == 0, [task["name"] for task in run.tasks if task["result"].get("changed")]


def test_broken_change_is_rolled_back_and_the_old_config_keeps_serving(gateway: Gateway) -> None:
    before = CONF_FILE.read_bytes()
    run = run_playbook([], roles=["ollama_remote.proxy.gateway"], play_vars={**gateway.play_vars, "gateway_rate_limit": "ten-per-second"})
    assert run.rc != 0
    failed = next(task["result"] for task in run.tasks if task["result"].get("failed"))
    assert "put back" in failed["msg"] and "invalid rate" in failed["msg"]
    assert CONF_FILE.read_bytes() == before
    assert gateway.request("GET", "/api/tags", auth="alice")[0] == 200
