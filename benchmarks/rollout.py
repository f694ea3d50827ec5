"""Rollout times on container hosts: one host's first converge and idempotent re-run, and three hosts with forks vs serial.

Runs playbooks/site.yml (health gate included) against container hosts from tests/containers/hosts.py, the same
ones the molecule scenarios use, on 127.0.2.51-53. Prints wall times and ratios against the one-host idempotent
re-run measured in the same run, the module runs of each run (counted by benchmarks/callbacks/module_count.py, per
host, on the host and on the controller), and whether the re-run meets its targets: 10 s and half the module runs of
the release before. The Windows count comes from benchmarks/round_trips.py. Rewrites its section of
docs/benchmarks.md unless --no-docs.
Usage (as root, after scripts/bootstrap): .venv/bin/python benchmarks/rollout.py
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks import round_trips  # noqa: E402
from benchmarks.docs_section import replace_section  # noqa: E402
from tests.containers import hosts  # noqa: E402
from tests.containers.conftest import write_inventory  # noqa: E402

TARGET_SECONDS_PER_HOST = 10.0
# Module runs of an idempotent run of one Linux host in release 0.2.0 (44: 39 on the host, 5 on the controller),
# counted the same way; the target is half.
RELEASE_0_2_0_RUNS = 44
DOCS = REPO / "docs" / "benchmarks.md"
ONE = {"bench-gw1": "127.0.2.51"}
THREE = {"bench-gw1": "127.0.2.51", "bench-gw2": "127.0.2.52", "bench-gw3": "127.0.2.53"}


class Run(NamedTuple):
    seconds: float
    hosts: int
    on_hosts: int  # module runs on the gateways
    on_controller: int  # delegated to the controller (the health gate's probe)


def converge(inventory: Path, batches: str, hosts_in_run: int) -> Run:
    """One site.yml run; `batches` is rollout_batches (100% runs every host at once, up to the forks)."""
    with tempfile.NamedTemporaryFile(prefix="module-count-") as count:
        env = dict(
            os.environ,
            ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
            ANSIBLE_CALLBACK_PLUGINS=str(REPO / "benchmarks" / "callbacks"),
            ANSIBLE_CALLBACKS_ENABLED="module_count",
            MODULE_COUNT_FILE=count.name,
        )
        command = [str(REPO / ".venv" / "bin" / "ansible-playbook"), "-i", str(inventory), "playbooks/site.yml", f"--extra-vars=rollout_batches={batches}"]
        start = time.perf_counter()
        run = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - start
        if run.returncode != 0:
            raise RuntimeError(f"site.yml failed:\n{run.stdout[-3000:]}")
        lines = [line.split("\t") for line in Path(count.name).read_text().splitlines()]
    on_controller = sum(1 for line in lines if line[1] == "localhost")
    return Run(elapsed, hosts_in_run, len(lines) - on_controller, on_controller)


def fresh_hosts(state: Path, addresses: dict[str, str]) -> Path:
    hosts.down(state, [])
    hosts.up(state, addresses)
    inventory = state / f"inventory-{len(addresses)}-{time.monotonic_ns()}"
    write_inventory(inventory, state, addresses)
    return inventory


def measure() -> dict[str, Run]:
    hosts.build_rootfs()
    results: dict[str, Run] = {}
    with tempfile.TemporaryDirectory(prefix="rollout-bench-") as tmp:
        state = Path(tmp)
        try:
            inventory = fresh_hosts(state, ONE)
            results["one host, first converge"] = converge(inventory, "1", 1)
            results["one host, idempotent re-run"] = converge(inventory, "1", 1)
            inventory = fresh_hosts(state, THREE)
            results["three hosts, first converge, forks (one batch)"] = converge(inventory, "100%", 3)
            results["three hosts, idempotent re-run, forks (one batch)"] = converge(inventory, "100%", 3)
            results["three hosts, idempotent re-run, serial (batches of one)"] = converge(inventory, "1", 3)
            inventory = fresh_hosts(state, THREE)
            results["three hosts, first converge, serial (batches of one)"] = converge(inventory, "1", 3)
        finally:
            hosts.down(state, [])
    return results


def report(results: dict[str, Run]) -> str:
    baseline = results["one host, idempotent re-run"]
    lines = [
        f"Measured by `.venv/bin/python benchmarks/rollout.py` on {time.strftime('%Y-%m-%d')} ({platform.node()}, {os.cpu_count()} CPUs):"
        " `playbooks/site.yml` with its health gate. Module runs per host: on the host, plus on the controller.",
        "",
        "| run | seconds | per host | x one-host re-run | module runs per host |",
        "|---|---|---|---|---|",
    ]
    for name, run in results.items():
        lines.append(
            f"| {name} | {run.seconds:.1f} | {run.seconds / run.hosts:.1f} | {run.seconds / baseline.seconds:.2f} | "
            f"{run.on_hosts / run.hosts:.0f} + {run.on_controller / run.hosts:.0f} |"
        )
    forks = results["three hosts, idempotent re-run, forks (one batch)"].seconds
    serial = results["three hosts, idempotent re-run, serial (batches of one)"].seconds
    runs = baseline.on_hosts + baseline.on_controller
    windows = round_trips.windows_runs()
    verdict = {True: "meets", False: "misses"}
    lines += [
        "",
        f"- Serial / forks, idempotent re-run of three hosts: {serial / forks:.2f}.",
        f"- Idempotent re-run of one Linux host: {baseline.seconds:.1f} s, {verdict[baseline.seconds <= TARGET_SECONDS_PER_HOST]} the target of"
        f" {TARGET_SECONDS_PER_HOST:.0f} s.",
        f"- Its module runs: {runs} ({baseline.on_hosts} on the host, {baseline.on_controller} on the controller), {runs / RELEASE_0_2_0_RUNS:.2f}x"
        f" the {RELEASE_0_2_0_RUNS} of release 0.2.0, counted the same way; {verdict[runs * 2 <= RELEASE_0_2_0_RUNS]} the target of half.",
        f"- A converged Windows host, counted task by task (`benchmarks/round_trips.py`; no Windows runs here): {windows} module runs on the"
        f" host and {round_trips.CONTROLLER} on the controller; {verdict[windows <= round_trips.WINDOWS_TARGET]} the target of"
        f" {round_trips.WINDOWS_TARGET} on the host.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--no-docs", action="store_true", help="print the table; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    section = report(measure())
    print(section)
    if not args.no_docs:
        replace_section(DOCS, "rollout-report", section)


if __name__ == "__main__":
    main()
