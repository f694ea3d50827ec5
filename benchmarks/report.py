"""Every benchmark figure of the collection in one run: a Markdown table in docs/benchmarks.md and a PNG chart.

Each figure is a ratio against a baseline measured in the same run, on the machine the report describes:
- streaming: first NDJSON chunk of /api/chat through the gateway (HTTPS, API key) versus straight to Ollama;
- throughput: GET /api/version through the gateway versus straight to the stand-in (wrk, keep-alive), with two
  stand-ins for Ollama: the Python test double, single-threaded, which saturates first, so that figure shows the
  double and two cores shared by three programs; and nginx answering the same JSON, which does not limit, so that
  figure shows what nginx's work per request (TLS, the key, the allowlist, the proxy hop) allows on this machine;
  also the time one client waits per request, one request at a time;
- auth cost: a small file behind auth_basic per hash scheme, and behind an API key among 1 or 1000, versus no auth;
- allowlist of 10 000 networks, the client matched by the last rule: `directives` and `geo` versus no allowlist;
- htpasswd: one ollama_remote.proxy.htpasswd task versus community.general.htpasswd in a loop, first run and re-run.
Converge times are benchmarks/rollout.py's.
Ollama is the test double (tests/support/ollama_double/); nginx is Debian's, on loopback ports; the gateway is
converged on this machine's nginx, under the same lock the integration tests take.

Usage (as root, after scripts/bootstrap): .venv/bin/python benchmarks/report.py [--users 100] [--no-readme]
It rewrites docs/benchmarks.md between the report markers and writes benchmarks/report.png.
"""

from __future__ import annotations

import argparse
import fcntl
import http.client
import os
import platform
import re
import secrets
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "benchmarks"), str(REPO / ".build" / "collections")]

import gateway as gateway_bench  # noqa: E402
import htpasswd_bulk  # noqa: E402
import yaml  # noqa: E402
from docs_section import replace_section  # noqa: E402

from ansible_collections.ollama_remote.proxy.plugins.module_utils import _access_rules, _api_keys  # noqa: E402
from tests.integration.conftest import SYSTEM_NGINX_LOCK, Nginx, PlaybookRun, free_port, run_playbook  # noqa: E402
from tests.support.ollama_double import OllamaDouble  # noqa: E402

REPORT = REPO / "docs" / "benchmarks.md"
CHART = REPO / "benchmarks" / "report.png"
NETWORKS = 10_000
KEY = secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Figure:
    group: str
    name: str
    baseline_label: str
    baseline: float
    value: float
    unit: str
    higher_is_better: bool = True

    @property
    def ratio(self) -> float:
        return self.value / self.baseline

    def row(self) -> str:
        baseline = f"{number(self.baseline)} {self.unit} ({self.baseline_label})"
        return f"| {self.group} | {self.name} | {baseline} | {number(self.value)} {self.unit} | {self.ratio:.3g}x |"


def number(value: float) -> str:
    """Three significant figures or more, with thousands separated."""
    return f"{value:,.{2 if value < 10 else 1 if value < 100 else 0}f}"


# --- Measurements -----------------------------------------------------------------------------------------------


def nginx_rate(prefix: Path, server: str, http: str = "", headers: dict[str, str] | None = None) -> float:
    """Requests per second of a private nginx serving /index.html with `server` (and `http`) configuration."""
    nginx = Nginx(prefix, server, http)
    nginx.start()
    try:
        return gateway_bench.wrk(f"http://127.0.0.1:{nginx.port}/index.html", headers or {}, seconds=4)
    finally:
        nginx.stop()


def allowlist(tmp: Path) -> list[Figure]:
    """10 000 networks that do not match, then the one that does: the worst case for directives, read top down."""
    items = [{"deny": f"10.{n // 256}.{n % 256}.0/24"} for n in range(NETWORKS)] + [{"allow": "127.0.0.0/8"}]
    rules = _access_rules.parse_rules(items)[0]
    (tmp / "access.conf").write_text(_access_rules.as_text(_access_rules.render_directives(rules, "deny"), "\n"))
    (tmp / "geo.conf").write_text(_access_rules.as_text(_access_rules.render_geo(rules, "deny", "denied"), "\n"))
    (tmp / "check.conf").write_text(_access_rules.as_text(_access_rules.render_geo_check("denied"), "\n"))
    none = nginx_rate(tmp / "allow-none", "")
    directives = nginx_rate(tmp / "allow-directives", f"include {tmp}/access.conf;")
    geo = nginx_rate(tmp / "allow-geo", f"include {tmp}/check.conf;", http=f"include {tmp}/geo.conf;")
    group = f"allowlist, {NETWORKS:,} networks"
    return [Figure(group, "`directives`", "no allowlist", none, directives, "req/s"), Figure(group, "`geo`", "no allowlist", none, geo, "req/s")]


def auth(tmp: Path) -> list[Figure]:
    schemes = gateway_bench.auth_cost(tmp)
    figures = [Figure("auth cost", f"password, `{scheme}`", "no auth", schemes["none"], schemes[scheme], "req/s") for scheme in gateway_bench.SCHEMES]
    for count in (1, 1000):
        keys = {f"key{n}": secrets.token_urlsafe(32) for n in range(count)}
        (tmp / f"keys-{count}.map").write_text(_api_keys.render(keys, "\n"))
        http = f'map $http_authorization $key_name {{ default ""; include {tmp}/keys-{count}.map; }} map $key_name $realm {{ "" "bench"; default off; }}'
        server = f"auth_basic $realm; auth_basic_user_file {tmp}/missing.htpasswd;"
        last = list(keys.values())[-1]  # the map tries its regexes in order: the last key costs the most
        rate = nginx_rate(tmp / f"keys-{count}", server, http, {"Authorization": f"Bearer {last}"})
        figures.append(Figure("auth cost", f"API key, the last of {count}", "no auth", schemes["none"], rate, "req/s"))
    return figures


def gateway_figures(https_port: int, double: OllamaDouble) -> list[Figure]:
    context = ssl.create_default_context(cafile="/etc/nginx/ollama-gateway/tls/fullchain.pem")
    bearer = {"Authorization": f"Bearer {KEY}"}
    direct = gateway_bench.first_chunk_ms(lambda: http.client.HTTPConnection("127.0.0.1", double.port), {})
    proxied = gateway_bench.first_chunk_ms(lambda: http.client.HTTPSConnection("127.0.0.1", https_port, context=context), bearer)
    direct_rps = gateway_bench.wrk(f"http://127.0.0.1:{double.port}/api/version", {})
    proxied_rps = gateway_bench.wrk(f"https://127.0.0.1:{https_port}/api/version", bearer)
    p95 = statistics.quantiles(direct, n=20)[18], statistics.quantiles(proxied, n=20)[18]
    return [
        Figure("streaming", "first chunk of `/api/chat`, p50", "direct", statistics.median(direct), statistics.median(proxied), "ms", False),
        Figure("streaming", "first chunk of `/api/chat`, p95", "direct", p95[0], p95[1], "ms", False),
        Figure("throughput", "`GET /api/version`, wrk -c8, Python test double", "direct", direct_rps, proxied_rps, "req/s"),
    ]


GATEWAY_CONF = Path("/etc/nginx/conf.d/ollama-gateway.conf")
# What the hardening adds per request: a method check in each location, the cross-site and preflight checks, the
# per-key limits, and the CORS and Allow headers (empty for these requests, but evaluated).
HARDENING = [
    re.compile(r"\n[ \t]*if \(\$request_method !~ [^\n]*\{\n[^}]*\}"),
    re.compile(r"\n[ \t]*if \(\$gateway_(cross_site|preflight)\) \{\n[^}]*\}"),
    re.compile(r"\n[ \t]*(limit_req zone=gateway_per_key|limit_conn gateway_connections|add_header (Access-Control|Vary|Allow))[^\n]*"),
]


def without_hardening(conf: str) -> str:
    for pattern in HARDENING:
        conf, count = pattern.subn("", conf)
        if not count:
            sys.exit(f"{GATEWAY_CONF}: nothing matches {pattern.pattern}; the benchmark no longer knows the template")
    return conf


def serve_configuration(text: str) -> None:
    GATEWAY_CONF.write_text(text)
    subprocess.run(["nginx", "-t", "-q"], check=True)
    subprocess.run(["nginx", "-s", "reload"], check=True)
    time.sleep(1)  # old workers finish


def hardening_figures(proxied: str, bearer: dict[str, str]) -> list[Figure]:
    """The gateway's throughput with and without the hardening, alternately, the best of two runs each."""
    hardened = GATEWAY_CONF.read_text()
    plain = without_hardening(hardened)
    rates: dict[str, list[float]] = {"with": [], "without": []}
    try:
        for _round in range(2):
            for kind, text in (("without", plain), ("with", hardened)):
                serve_configuration(text)
                rates[kind].append(gateway_bench.wrk(proxied, bearer))
    finally:
        serve_configuration(hardened)
    baseline, measured = max(rates["without"]), max(rates["with"])
    return [Figure("hardening cost", "`GET /api/version`, wrk -c8, nginx stand-in", "the same gateway without it", baseline, measured, "req/s")]


def nginx_overhead_figures(tmp: Path, play_vars: dict[str, object]) -> list[Figure]:
    """The gateway in front of an Ollama stand-in that costs next to nothing (nginx answering /api/version), so the
    figures are nginx's own: requests per second with 8 connections, and microseconds per request with one."""
    version = '{"version":"0.33.0"}'
    stand_in = Nginx(tmp / "fast-ollama", f"location = /api/version {{ default_type application/json; return 200 '{version}'; }}")
    stand_in.start()
    try:
        https_port = int(str(play_vars["gateway_https_port"]))
        must(run_playbook([], roles=["ollama_remote.proxy.gateway"], play_vars={**play_vars, "gateway_backends": [f"127.0.0.1:{stand_in.port}"]}))
        bearer = {"Authorization": f"Bearer {KEY}"}
        direct, proxied = f"http://127.0.0.1:{stand_in.port}/api/version", f"https://127.0.0.1:{https_port}/api/version"
        direct_rps, proxied_rps = gateway_bench.wrk(direct, {}), gateway_bench.wrk(proxied, bearer)
        direct_one, proxied_one = gateway_bench.wrk(direct, {}, connections=1), gateway_bench.wrk(proxied, bearer, connections=1)
        hardening = hardening_figures(proxied, bearer)
    finally:
        stand_in.stop()
    return [
        Figure("throughput", "`GET /api/version`, wrk -c8, nginx stand-in", "direct", direct_rps, proxied_rps, "req/s"),
        Figure("latency", "one request at a time, nginx stand-in", "direct", 1e6 / direct_one, 1e6 / proxied_one, "µs", False),
        *hardening,
    ]


def converge(play_vars: dict[str, object]) -> None:
    """The gateway on this machine's nginx, from a machine without its files (benchmarks/rollout.py times converges)."""
    Path("/etc/nginx/conf.d/ollama-gateway.conf").unlink(missing_ok=True)
    shutil.rmtree("/etc/nginx/ollama-gateway", ignore_errors=True)
    must(run_playbook([], roles=["ollama_remote.proxy.gateway"], play_vars=play_vars))


def must(run: PlaybookRun) -> None:
    if run.rc:
        sys.exit(run.output[-3000:])


def htpasswd_figures(users: int, tmp: Path) -> list[Figure]:
    entries = [{"name": f"user{n:05d}", "password": f"bench-password-{n:05d}-x"} for n in range(users)]
    ours, theirs = tmp / "ours.htpasswd", tmp / "theirs.htpasswd"
    bulk = [{"ollama_remote.proxy.htpasswd": {"path": str(ours), "users": "{{ bench_users }}", "hash_scheme": "apr1"}, "no_log": True}]
    loop = [
        {
            "community.general.htpasswd": {"path": str(theirs), "name": "{{ item.name }}", "password": "{{ item.password }}", "hash_scheme": "apr_md5_crypt"},
            "loop": "{{ bench_users }}",
            "no_log": True,
        }
    ]
    times = {}
    for name, tasks in (("ours", bulk), ("theirs", loop)):
        playbook = tmp / f"{name}.yml"
        playbook.write_text(yaml.safe_dump(htpasswd_bulk.play(tasks, entries)))
        times[name] = (htpasswd_bulk.timed_run(playbook), htpasswd_bulk.timed_run(playbook))
    group = f"htpasswd, {users} users"
    label = "`community.general.htpasswd` loop"
    return [
        Figure(group, "one `htpasswd` task, first run", label, times["theirs"][0], times["ours"][0], "s", False),
        Figure(group, "one `htpasswd` task, re-run", label, times["theirs"][1], times["ours"][1], "s", False),
    ]


# --- Report -----------------------------------------------------------------------------------------------------


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), platform.machine())
    memory = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))) // 1024**2
    os_name = re.search(r'PRETTY_NAME="([^"]+)"', Path("/etc/os-release").read_text())
    nginx = subprocess.run(["nginx", "-v"], capture_output=True, text=True, check=True).stderr.strip().split("/")[-1]
    import ansible.release

    return (
        f"{cpu}, {os.cpu_count()} cores, {memory} GiB; {os_name[1] if os_name else platform.system()}, kernel {platform.release()}; "
        f"nginx {nginx}; Python {platform.python_version()}, ansible-core {ansible.release.__version__}"
    )


def table(figures: list[Figure], description: str) -> str:
    lines = [
        f"Measured by `.venv/bin/python benchmarks/report.py` on {time.strftime('%Y-%m-%d')}: {description}.",
        "A ratio above 1 means more than the baseline (requests per second) or longer (milliseconds, seconds).",
        "",
        "| group | figure | baseline | measured | ratio |",
        "|---|---|---|---|---|",
        *(figure.row() for figure in figures),
        "",
        f"![Each figure as a ratio to its baseline](../{CHART.relative_to(REPO)})",
    ]
    return "\n".join(lines)


def chart(figures: list[Figure]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{figure.group}: {figure.name.replace('`', '')}" for figure in figures]
    ratios = [figure.ratio for figure in figures]
    colours = ["tab:green" if (ratio >= 1) == figure.higher_is_better else "tab:orange" for ratio, figure in zip(ratios, figures, strict=True)]
    fig, axes = plt.subplots(figsize=(10, 0.42 * len(figures) + 1.2))
    # Each bar runs from the baseline (1) to the ratio, so its length is the difference on the log scale.
    axes.barh(labels[::-1], [ratio - 1 for ratio in ratios[::-1]], left=1, color=colours[::-1])
    axes.set_xscale("log")
    axes.axvline(1, color="black", linewidth=0.8)
    axes.set_xlabel("ratio to the baseline measured in the same run (log scale; green: better than the baseline)")
    for index, ratio in enumerate(ratios[::-1]):
        axes.annotate(f"{ratio:.3g}x", (ratio, index), xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
    fig.tight_layout()
    fig.savefig(CHART, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, default=100, help="htpasswd users (community.general takes about 0.35 s each)")
    parser.add_argument("--no-readme", action="store_true", help="print the table; leave docs/benchmarks.md and the chart alone")
    args = parser.parse_args()
    figures: list[Figure] = []
    SYSTEM_NGINX_LOCK.parent.mkdir(parents=True, exist_ok=True)
    with SYSTEM_NGINX_LOCK.open("w") as lock, OllamaDouble(host="127.0.0.1", port=0) as double, tempfile.TemporaryDirectory() as tmp_dir:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the tests converge this machine's nginx too
        tmp = Path(tmp_dir)
        https_port = free_port()
        play_vars: dict[str, object] = {
            "gateway_server_name": "127.0.0.1",
            "gateway_listen_addresses": ["127.0.0.1"],
            "gateway_https_port": https_port,
            "gateway_http_port": free_port(),
            "gateway_backends": [f"127.0.0.1:{double.port}"],
            "gateway_users": [{"name": "bench-user", "password": secrets.token_urlsafe(24)}],
            "gateway_api_keys": [{"name": "bench", "key": KEY}],
            "gateway_rate_limit": "100000r/s",
            "gateway_rate_burst": 100000,
        }
        converge(play_vars)
        figures += gateway_figures(https_port, double)
        figures += auth(tmp)
        figures += allowlist(tmp)
        figures += htpasswd_figures(args.users, tmp)
        figures += nginx_overhead_figures(tmp, play_vars)
    section = table(figures, machine())
    print(section)
    if not args.no_readme:
        chart(figures)
        replace_section(REPORT, "benchmark-report", section)


if __name__ == "__main__":
    main()
