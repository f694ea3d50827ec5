# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drift check for CI: would converging the inventory change anything?

Runs playbooks/site.yml in check and diff mode across the inventory (every host in one batch, so one unreachable
host does not hide the others), then:

* exits 0 when nothing would change, 2 when something drifted, 1 on errors (a failed or unreachable host, or a
  playbook that did not run; errors win over drift, since a failed host was not fully checked);
* writes a JUnit XML report, one test case per host and task: a drifted task is a failure carrying its diff, a
  failed task an error, a skipped task skipped;
* prints a short summary of what drifted, host by host.

Handlers are not counted: they run because a task changed, and that task is the drift.

Usage: scripts/drift -i INVENTORY [--junit drift-junit.xml] [any ansible-playbook option, e.g. --limit, -e, --vault-id]
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import subprocess
import sys
import typing as t
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NO_DRIFT, ERROR, DRIFT = 0, 1, 2
# Check mode changes nothing, so every host goes in one batch and a failure stops no other host.
CHECK_EVERY_HOST = json.dumps({"rollout_batches": ["100%"], "rollout_max_fail_percentage": 100})
SUMMARY_DIFF_LINES = 12


@dataclass
class Outcome:
    """What one task did, or would do, on one host."""

    host: str
    task: str
    path: str
    seconds: float
    status: str  # ok | drift | error | skipped
    message: str = ""
    diff: list[str] = field(default_factory=list)


def diff_lines(result: dict[str, t.Any]) -> list[str]:
    """A task result's diff as unified-diff lines without context (modules give a dict, a list of dicts, or text)."""
    diffs = result.get("diff") or []
    lines: list[str] = []
    for diff in diffs if isinstance(diffs, list) else [diffs]:
        if "prepared" in diff:
            lines += str(diff["prepared"]).splitlines()
            continue
        before, after = diff.get("before", ""), diff.get("after", "")
        if isinstance(before, dict) or isinstance(after, dict):  # file attributes, e.g. {"mode": "0644"}
            before, after = json.dumps(before, sort_keys=True, indent=1), json.dumps(after, sort_keys=True, indent=1)
        headers = str(diff.get("before_header", "before")), str(diff.get("after_header", "after"))
        lines += difflib.unified_diff(str(before).splitlines(), str(after).splitlines(), *headers, n=0, lineterm="")
    return lines


def outcomes(report: dict[str, t.Any]) -> list[Outcome]:
    """Every (host, task) of an ansible.posix.json report, in the order they ran; handlers left out."""
    found = []
    for play in report.get("plays", []):
        for entry in play.get("tasks", []):
            task = entry["task"]
            if "/handlers/" in task.get("path", ""):
                continue
            for host, result in entry.get("hosts", {}).items():
                if result.get("failed") or result.get("unreachable"):
                    status = "error"
                elif result.get("skipped"):
                    status = "skipped"
                elif result.get("changed"):
                    status = "drift"
                else:
                    status = "ok"
                message = str(result.get("msg", "")) if status == "error" else ""
                diff = diff_lines(result) if status == "drift" else []
                found.append(Outcome(host, task["name"], relative(task.get("path", "")), duration(task.get("duration", {})), status, message, diff))
    return found


def duration(span: dict[str, str]) -> float:
    try:
        return (datetime.fromisoformat(span["end"]) - datetime.fromisoformat(span["start"])).total_seconds()
    except (KeyError, ValueError):
        return 0.0


def relative(path: str) -> str:
    """A task path relative to the collection, wherever Ansible loaded it from."""
    marker = "/ansible_collections/ollama_remote/proxy/"
    if marker in path:
        return path.split(marker, 1)[1]
    return path.removeprefix(f"{REPO}/")


# Not ansible-core's `junit` callback with JUNIT_FAIL_ON_CHANGE: it drops each result's diff below -vvv, counts changed
# handlers as drift, and puts every host in one suite, so a drifted task would not carry what changed.
def junit(found: list[Outcome], stats: dict[str, dict[str, int]]) -> ET.ElementTree:
    suites = ET.Element("testsuites", name="drift")
    for host in stats:
        cases = [o for o in found if o.host == host]
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=host,
            tests=str(len(cases)),
            failures=str(sum(o.status == "drift" for o in cases)),
            errors=str(sum(o.status == "error" for o in cases) + (1 if stats[host].get("unreachable") and not cases else 0)),
            skipped=str(sum(o.status == "skipped" for o in cases)),
            time=f"{sum(o.seconds for o in cases):.3f}",
        )
        for outcome in cases:
            case = ET.SubElement(suite, "testcase", classname=host, name=outcome.task, file=outcome.path, time=f"{outcome.seconds:.3f}")
            if outcome.status == "drift":
                failure = ET.SubElement(case, "failure", type="drift", message="would change")
                failure.text = "\n".join(outcome.diff)
            elif outcome.status == "error":
                ET.SubElement(case, "error", type="error", message=outcome.message)
            elif outcome.status == "skipped":
                ET.SubElement(case, "skipped")
    ET.indent(suites)
    return ET.ElementTree(suites)


def summary(found: list[Outcome], stats: dict[str, dict[str, int]]) -> str:
    drifted = sorted({o.host for o in found if o.status == "drift"})
    broken = sorted({o.host for o in found if o.status == "error"} | {h for h, s in stats.items() if s.get("unreachable") or s.get("failures")})
    lines = [f"drift: {len(drifted)} of {len(stats)} host(s) drifted" + (f", {len(broken)} with errors" if broken else "")]
    for host in sorted(set(drifted) | set(broken)):
        lines.append(f"  {host}")
        for outcome in (o for o in found if o.host == host and o.status in ("drift", "error")):
            lines.append(f"    {'drifted' if outcome.status == 'drift' else 'ERROR'}: {outcome.task}  ({outcome.path})")
            detail = outcome.diff if outcome.status == "drift" else outcome.message.splitlines()
            lines += [f"      {line}" for line in detail[:SUMMARY_DIFF_LINES]]
            if len(detail) > SUMMARY_DIFF_LINES:
                lines.append(f"      ... {len(detail) - SUMMARY_DIFF_LINES} more line(s) in the JUnit report")
    return "\n".join(lines)


def run_playbook(playbook: Path, ansible_args: list[str]) -> tuple[int, dict[str, t.Any], str]:
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0")
    env.setdefault("ANSIBLE_CONFIG", str(REPO / "ansible.cfg"))
    command = ["ansible-playbook", str(playbook), "--check", "--diff", "-e", CHECK_EVERY_HOST, *ansible_args]
    proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    start = proc.stdout.find("{")
    try:
        report = json.loads(proc.stdout[start:]) if start >= 0 else {}
    except json.JSONDecodeError:
        report = {}
    return proc.returncode, report, proc.stderr


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None, epilog="Other options go to ansible-playbook.", allow_abbrev=False
    )
    parser.add_argument("--junit", type=Path, default=Path("drift-junit.xml"), help="JUnit XML report to write (%(default)s)")
    parser.add_argument("--playbook", type=Path, default=REPO / "playbooks" / "site.yml", help="playbook to check (%(default)s)")
    args, ansible_args = parser.parse_known_args(argv)
    rc, report, stderr = run_playbook(args.playbook, ansible_args)
    stats: dict[str, dict[str, int]] = report.get("stats", {})
    if not report or not stats:
        sys.stderr.write(stderr)
        print(f"drift: ansible-playbook did not run the playbook (exit code {rc})", file=sys.stderr)
        return ERROR
    found = outcomes(report)
    args.junit.parent.mkdir(parents=True, exist_ok=True)
    junit(found, stats).write(args.junit, encoding="utf-8", xml_declaration=True)
    print(summary(found, stats))
    print(f"drift: JUnit report in {args.junit}")
    if rc != 0 or any(o.status == "error" for o in found) or any(s.get("unreachable") or s.get("failures") for s in stats.values()):
        sys.stderr.write(stderr)
        return ERROR
    return DRIFT if any(o.status == "drift" for o in found) else NO_DRIFT


if __name__ == "__main__":
    sys.exit(main())
