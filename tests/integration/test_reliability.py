"""Changes under load: clients on loopback keep asking the converged gateway while it is converged again, reloaded, or
handed a configuration nginx rejects; not one request may fail.

Each client request opens its own connection and says `Connection: close`: an idle keep-alive connection that nginx
closes at a graceful reload loses a request sent at that instant (HTTP lets clients retry it), which would measure
the client rather than the gateway. The load stops by itself after LOAD_LIMIT seconds whatever happens.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import secrets
import signal
import ssl
import threading
import time
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

from .conftest import GATEWAY_DIR, Gateway, authorization, http_status, run_playbook

CONF_FILE = Path("/etc/nginx/conf.d/ollama-gateway.conf")
LOAD_LIMIT = 240.0  # seconds: the longest a load runs, even if the test never stops it
PAUSE = 0.01  # seconds between a client's requests: a steady load that leaves the 2 cores to nginx and Ansible too
CHAT = json.dumps({"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}], "stream": False}).encode()
BOB = secrets.token_urlsafe(24)
CI_KEY = secrets.token_urlsafe(32)
NEWLY_DENIED = "127.0.0.99"


@dataclass
class Tally:
    ok: int = 0
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, failure: str | None) -> None:
        with self.lock:
            if failure is None:
                self.ok += 1
            else:
                self.failures.append(failure)


class Load:
    """Two clients asking in turn for the model list (password) and a chat answer (API key), until stopped."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.tally = Tally()
        self._stop = threading.Event()
        self._deadline = time.monotonic() + LOAD_LIMIT
        # The certificate changes under the clients; this measures availability, test_bypass checks identity.
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self._context.check_hostname, self._context.verify_mode = False, ssl.CERT_NONE
        self._threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(2)]

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def wait_for(self, successes: int) -> None:
        """Block until `successes` more requests have succeeded (bounded), so a change meets a running load."""
        target = self.tally.ok + successes
        while self.tally.ok < target and not self._stop.is_set() and time.monotonic() < self._deadline:
            if self.tally.failures:
                return
            time.sleep(0.05)

    def _run(self, worker: int) -> None:
        turn = worker
        while not self._stop.is_set() and time.monotonic() < self._deadline:
            turn += 1
            if turn % 2:
                self.tally.add(self._ask("GET", "/api/tags", "alice", None))
            else:
                self.tally.add(self._ask("POST", "/api/chat", "langflow", CHAT))
            self._stop.wait(PAUSE)

    def _ask(self, method: str, path: str, who: str, body: bytes | None) -> str | None:
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=30, context=self._context)
        try:
            conn.request(method, path, body=body, headers={**authorization(who), "Connection": "close"})
            response = conn.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException) as exc:
            return f"{method} {path}: {type(exc).__name__}: {exc}"
        finally:
            conn.close()
        if response.status != 200 or not content:
            return f"{method} {path}: {response.status} {content[:80]!r}"
        return None


def served_certificate(port: int) -> str:
    return ssl.get_server_certificate(("127.0.0.1", port))


def nginx_workers() -> set[int]:
    master = Path("/run/nginx.pid").read_text().strip()
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return {int(pid) for pid in children}


def reload_and_wait() -> None:
    """Reload nginx gracefully and wait (bounded) until none of the old workers is left."""
    old = nginx_workers()
    os.kill(int(Path("/run/nginx.pid").read_text()), signal.SIGHUP)
    deadline = time.monotonic() + 60
    while old & nginx_workers() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not old & nginx_workers(), "the old workers did not finish within 60 s"


def changed_vars(gateway: Gateway) -> dict[str, t.Any]:
    """The fixture's variables with a new user, a new key, one more rule and a certificate due for renewal."""
    play_vars = gateway.play_vars
    return {
        **play_vars,
        "gateway_users": [*play_vars["gateway_users"], {"name": "bob", "password": BOB}],
        "gateway_api_keys": [*play_vars["gateway_api_keys"], {"name": "ci", "key": CI_KEY}],
        "gateway_allow": [{"deny": NEWLY_DENIED}, *play_vars["gateway_allow"]],
        # Longer than the certificate's whole validity: every converge replaces it.
        "gateway_tls_renew_days": 400,
    }


def test_converge_of_users_rules_and_certificate_then_a_reload_fail_no_request(gateway: Gateway) -> None:
    certificate = served_certificate(gateway.https_port)
    with Load(gateway.https_port) as load:
        load.wait_for(20)
        run = run_playbook([], roles=["ollama_remote.proxy.gateway"], play_vars=changed_vars(gateway))
        during_converge = load.tally.ok
        reload_and_wait()
        load.wait_for(20)
    assert run.rc == 0, run.output[-4000:]
    assert load.tally.failures == []
    assert during_converge > 20 and load.tally.ok > during_converge  # requests completed during the converge and after
    # The changes are live: the new user, key and rule, and a new certificate (so nginx reloaded under the load).
    assert http_status_tls(gateway, {"Authorization": "Basic " + base64.b64encode(f"bob:{BOB}".encode()).decode()}) == 200
    assert http_status_tls(gateway, {"Authorization": f"Bearer {CI_KEY}"}) == 200
    assert http_status_tls(gateway, authorization("alice"), source=NEWLY_DENIED) == 403
    assert served_certificate(gateway.https_port) != certificate
    assert served_certificate(gateway.https_port) == (GATEWAY_DIR / "tls" / "fullchain.pem").read_text()


def test_rejected_change_is_rolled_back_under_load_and_fails_no_request(gateway: Gateway) -> None:
    before = CONF_FILE.read_bytes()
    with Load(gateway.https_port) as load:
        load.wait_for(20)
        run = run_playbook([], roles=["ollama_remote.proxy.gateway"], play_vars={**gateway.play_vars, "gateway_rate_limit": "ten-per-second"})
        load.wait_for(20)
    assert run.rc != 0
    failed = next(task["result"] for task in run.tasks if task["result"].get("failed"))
    assert "put back" in failed["msg"] and "invalid rate" in failed["msg"]
    assert CONF_FILE.read_bytes() == before
    assert load.tally.failures == []
    assert load.tally.ok > 40
    assert http_status(gateway.http_port) == 308  # still the old configuration on both ports


def http_status_tls(gateway: Gateway, headers: dict[str, str], *, source: str = "127.0.0.1") -> int:
    conn = gateway.connect(source)
    try:
        conn.request("GET", "/api/tags", headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()
