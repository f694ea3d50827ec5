"""What the gateway costs: first streamed chunk, small-request throughput, and password checking per hash scheme.

Each figure is compared with a baseline measured in the same run on the same machine:
- first NDJSON chunk of /api/chat through the gateway (HTTPS, API key) versus straight to the Ollama test double;
- requests per second of GET /api/version (wrk, keep-alive) through the gateway versus straight to the double;
- requests per second of nginx serving a small file behind auth_basic, per hash scheme, versus no auth at all.
The gateway is converged on this machine's nginx, on loopback ports, as the integration tests do.
Usage: .venv/bin/python benchmarks/gateway.py (as root, after scripts/bootstrap).
"""

from __future__ import annotations

import base64
import fcntl
import http.client
import json
import os
import platform
import re
import secrets
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.integration.conftest import SYSTEM_NGINX_LOCK, Nginx, free_port, run_playbook  # noqa: E402
from tests.support.ollama_double import OllamaDouble  # noqa: E402

KEY = secrets.token_urlsafe(32)
CHAT = json.dumps({"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}]}).encode()
SCHEMES = ["apr1", "ssha", "sha512_crypt", "bcrypt"]


def first_chunk_ms(connect: Callable[[], http.client.HTTPConnection], headers: dict[str, str], rounds: int = 300) -> list[float]:
    """Time from sending a streamed chat request to reading its first line, on one kept-alive connection."""
    conn = connect()
    times = []
    for unused_round in range(rounds):  # noqa: B007
        start = time.perf_counter()
        conn.request("POST", "/api/chat", body=CHAT, headers={"Content-Type": "application/json", **headers})
        response = conn.getresponse()
        response.readline()
        times.append((time.perf_counter() - start) * 1000)
        response.read()
    conn.close()
    return times


def wrk(url: str, headers: dict[str, str], seconds: int = 5, connections: int = 8) -> float:
    command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", url]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise RuntimeError(f"wrk saw {errors.group(1)} failed responses from {url}")
    return float(re.search(r"Requests/sec:\s+([0-9.]+)", output).group(1))


def auth_cost(tmp: Path) -> dict[str, float]:
    """Requests per second of a static file behind auth_basic, per scheme, and without auth."""
    results = {}
    password = "benchmark-password-123"
    for scheme in ["none", *SCHEMES]:
        users = tmp / f"{scheme}.htpasswd"
        if scheme != "none":
            task = {"ollama_remote.proxy.htpasswd": {"path": str(users), "users": [{"name": "u", "password": password}], "hash_scheme": scheme}}
            assert run_playbook([task]).rc == 0
        auth = f'auth_basic "bench"; auth_basic_user_file {users};' if scheme != "none" else ""
        nginx = Nginx(tmp / f"nginx-{scheme}", f"location / {{ {auth} }}")
        nginx.start()
        try:
            token = base64.b64encode(f"u:{password}".encode()).decode()
            results[scheme] = wrk(f"http://127.0.0.1:{nginx.port}/index.html", {"Authorization": f"Basic {token}"}, seconds=4)
        finally:
            nginx.stop()
    return results


def main() -> None:
    SYSTEM_NGINX_LOCK.parent.mkdir(parents=True, exist_ok=True)
    with SYSTEM_NGINX_LOCK.open("w") as lock, OllamaDouble(host="127.0.0.1", port=0) as double, tempfile.TemporaryDirectory() as tmp_dir:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the tests converge this machine's nginx too
        https_port, http_port = free_port(), free_port()
        play_vars = {
            "gateway_server_name": "127.0.0.1",
            "gateway_listen_addresses": ["127.0.0.1"],
            "gateway_https_port": https_port,
            "gateway_http_port": http_port,
            "gateway_backends": [f"127.0.0.1:{double.port}"],
            "gateway_api_keys": [{"name": "bench", "key": KEY}],
            "gateway_rate_limit": "100000r/s",
            "gateway_rate_burst": 100000,
        }
        run = run_playbook([], roles=["ollama_remote.proxy.gateway"], play_vars=play_vars)
        if run.rc:
            sys.exit(run.output[-3000:])
        context = ssl.create_default_context(cafile="/etc/nginx/ollama-gateway/tls/fullchain.pem")
        bearer = {"Authorization": f"Bearer {KEY}"}

        direct = first_chunk_ms(lambda: http.client.HTTPConnection("127.0.0.1", double.port), {})
        proxied = first_chunk_ms(lambda: http.client.HTTPSConnection("127.0.0.1", https_port, context=context), bearer)
        direct_rps = wrk(f"http://127.0.0.1:{double.port}/api/version", {})
        proxied_rps = wrk(f"https://127.0.0.1:{https_port}/api/version", bearer)
        schemes = auth_cost(Path(tmp_dir))

    cpu = platform.processor() or platform.machine()
    print(f"machine: {cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}")
    print("| figure | baseline | through the gateway | ratio |")
    print("|---|---|---|---|")
    d50, p50 = statistics.median(direct), statistics.median(proxied)
    print(f"| first streamed chunk, p50 | {d50:.2f} ms direct | {p50:.2f} ms (HTTPS, API key) | +{p50 - d50:.2f} ms |")
    d95, p95 = statistics.quantiles(direct, n=20)[18], statistics.quantiles(proxied, n=20)[18]
    print(f"| first streamed chunk, p95 | {d95:.2f} ms direct | {p95:.2f} ms | +{p95 - d95:.2f} ms |")
    print(f"| GET /api/version, wrk -c8 | {direct_rps:.0f} req/s direct | {proxied_rps:.0f} req/s | {proxied_rps / direct_rps:.0%} |")
    for scheme in SCHEMES:
        rate, base = schemes[scheme], schemes["none"]
        print(f"| static file behind auth_basic, {scheme} | {base:.0f} req/s without auth | {rate:.0f} req/s | {rate / base:.1%} |")


if __name__ == "__main__":
    main()
