"""Rollout times on container hosts: one host's first converge and idempotent re-run, and three hosts with forks vs serial.

Runs playbooks/site.yml (health gate included) against container hosts from tests/containers/hosts.py, the same
ones the molecule scenarios use, on 127.0.2.51-53. Prints wall times and ratios against the one-host idempotent
re-run measured in the same run, and whether that re-run meets the target of 15 s per host.
Usage (as root, after scripts/bootstrap): .venv/bin/python benchmarks/rollout.py
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.containers import hosts  # noqa: E402
from tests.containers.conftest import write_inventory  # noqa: E402

TARGET_SECONDS_PER_HOST = 15.0
ONE = {"bench-gw1": "127.0.2.51"}
THREE = {"bench-gw1": "127.0.2.51", "bench-gw2": "127.0.2.52", "bench-gw3": "127.0.2.53"}


def converge(inventory: Path, batches: str) -> float:
    """Wall time of one site.yml run; `batches` is rollout_batches (100% runs every host at once, up to the forks)."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))
    command = [str(REPO / ".venv" / "bin" / "ansible-playbook"), "-i", str(inventory), "playbooks/site.yml", f"--extra-vars=rollout_batches={batches}"]
    start = time.perf_counter()
    run = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if run.returncode != 0:
        raise RuntimeError(f"site.yml failed:\n{run.stdout[-3000:]}")
    return elapsed


def fresh_hosts(state: Path, addresses: dict[str, str]) -> Path:
    hosts.down(state, [])
    hosts.up(state, addresses)
    inventory = state / f"inventory-{len(addresses)}-{time.monotonic_ns()}"
    write_inventory(inventory, state, addresses)
    return inventory


def main() -> None:
    hosts.build_rootfs()
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="rollout-bench-") as tmp:
        state = Path(tmp)
        try:
            inventory = fresh_hosts(state, ONE)
            results["one host, first converge"] = converge(inventory, "1")
            results["one host, idempotent re-run"] = converge(inventory, "1")
            inventory = fresh_hosts(state, THREE)
            results["three hosts, first converge, forks (one batch)"] = converge(inventory, "100%")
            results["three hosts, idempotent re-run, forks (one batch)"] = converge(inventory, "100%")
            results["three hosts, idempotent re-run, serial (batches of one)"] = converge(inventory, "1")
            inventory = fresh_hosts(state, THREE)
            results["three hosts, first converge, serial (batches of one)"] = converge(inventory, "1")
        finally:
            hosts.down(state, [])
    baseline = results["one host, idempotent re-run"]
    print(f"rollout on container hosts ({platform.node()}, {os.cpu_count()} CPUs); site.yml with its health gate")
    print(f"{'run':60} {'seconds':>8} {'x re-run':>9}")
    for name, seconds in results.items():
        print(f"{name:60} {seconds:8.1f} {seconds / baseline:9.2f}")
    forks = results["three hosts, idempotent re-run, forks (one batch)"]
    serial = results["three hosts, idempotent re-run, serial (batches of one)"]
    print(f"serial / forks, idempotent re-run of three hosts: {serial / forks:.2f}")
    verdict = "meets" if baseline <= TARGET_SECONDS_PER_HOST else "misses"
    print(f"idempotent re-run of one host: {baseline:.1f} s, {verdict} the target of {TARGET_SECONDS_PER_HOST:.0f} s per host")


if __name__ == "__main__":
    main()
