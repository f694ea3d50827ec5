"""1000 htpasswd users: one ollama_remote.proxy.htpasswd task versus community.general.htpasswd in a loop.

Both converge the same users with the same scheme (apr1) on localhost, first into an empty file and then
again (idempotent re-run). Prints wall times and the ratios; the baseline is measured in the same run.
Usage: .venv/bin/python benchmarks/htpasswd_bulk.py [--users 1000]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def play(tasks: list[dict], users: list[dict]) -> list[dict]:
    return [
        {
            "hosts": "localhost",
            "gather_facts": False,
            "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}", "bench_users": users},
            "tasks": tasks,
        }
    ]


def timed_run(playbook: Path) -> float:
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))
    start = time.perf_counter()
    subprocess.run(
        [str(REPO / ".venv/bin/ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook)],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    count = parser.parse_args().users
    users = [{"name": f"user{i:05d}", "password": f"bench-password-{i:05d}-x"} for i in range(count)]
    with tempfile.TemporaryDirectory() as tmp:
        ours, theirs = Path(tmp, "ours.htpasswd"), Path(tmp, "theirs.htpasswd")
        bulk = Path(tmp, "bulk.yml")
        bulk.write_text(
            yaml.safe_dump(
                play(
                    [
                        {
                            "ollama_remote.proxy.htpasswd": {"path": str(ours), "users": "{{ bench_users }}", "hash_scheme": "apr1"},
                            "no_log": True,
                        }
                    ],
                    users,
                )
            )
        )
        loop = Path(tmp, "loop.yml")
        loop.write_text(
            yaml.safe_dump(
                play(
                    [
                        {
                            "community.general.htpasswd": {
                                "path": str(theirs),
                                "name": "{{ item.name }}",
                                "password": "{{ item.password }}",
                                "hash_scheme": "apr_md5_crypt",
                            },
                            "loop": "{{ bench_users }}",
                            "no_log": True,
                        }
                    ],
                    users,
                )
            )
        )
        times = {
            name: (timed_run(path), timed_run(path))
            for name, path in (("ollama_remote.proxy.htpasswd, one task", bulk), ("community.general.htpasswd, loop", loop))
        }
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {count} users, apr1")
    print("| run | one task (s) | loop (s) | loop / one task |")
    print("|---|---|---|---|")
    (ours_first, ours_again), (theirs_first, theirs_again) = times.values()
    print(f"| first converge | {ours_first:.1f} | {theirs_first:.1f} | {theirs_first / ours_first:.0f}x |")
    print(f"| idempotent re-run | {ours_again:.1f} | {theirs_again:.1f} | {theirs_again / ours_again:.0f}x |")


if __name__ == "__main__":
    main()
