"""scripts/drift against converged container hosts: no drift, a hand edit found on exactly its host and task, errors."""

from __future__ import annotations

import os
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import yaml

from .conftest import REPO, Inventory

CONF_FILE = "/etc/nginx/conf.d/ollama-gateway.conf"
CONFIG_TASK = "ollama_remote.proxy.gateway : The nginx configuration, users, API keys and allowlist, checked together by nginx -t before they stay"


@dataclass
class Drift:
    rc: int
    output: str
    report: ET.Element

    def cases(self, status: str) -> list[tuple[str, str]]:
        """(host, task) of every test case that is a failure (drift), error or skipped."""
        return [(case.get("classname", ""), case.get("name", "")) for case in self.report.iter("testcase") if case.find(status) is not None]

    def hosts(self) -> list[str]:
        return sorted(suite.get("name", "") for suite in self.report.iter("testsuite"))


def drift(inventory: Inventory, *args: str) -> Drift:
    junit = inventory.state / "drift-junit.xml"
    junit.unlink(missing_ok=True)
    env = dict(os.environ, ANSIBLE_NOCOLOR="1")
    command = [str(REPO / "scripts" / "drift"), "-i", str(inventory.path), "--junit", str(junit), *args]
    proc = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=900, check=False)
    report = ET.parse(junit).getroot() if junit.exists() else ET.Element("none")
    return Drift(proc.returncode, proc.stdout + proc.stderr, report)


def test_a_hand_edit_is_drift_on_exactly_that_host_and_task(container_gateways: Inventory) -> None:
    """The fixture converged both hosts; a hand edit on one of them is the only drift, until a converge repairs it."""
    container_gateways.ssh("drift-gw2", f"sed -i 's/burst=[0-9]*/burst=999/' {CONF_FILE}")
    drifted = drift(container_gateways)
    assert drifted.rc == 2, drifted.output
    assert drifted.hosts() == ["drift-gw1", "drift-gw2"]
    assert len(list(drifted.report.iter("testcase"))) > 40  # one per host and task
    assert drifted.cases("failure") == [("drift-gw2", CONFIG_TASK)]
    assert drifted.cases("error") == []
    failure = next(case.find("failure") for case in drifted.report.iter("testcase") if case.find("failure") is not None)
    assert failure is not None and "burst=999" in (failure.text or "")
    assert "1 of 2 host(s) drifted" in drifted.output and "drift-gw2" in drifted.output and CONF_FILE in drifted.output
    assert "burst=999" in container_gateways.ssh("drift-gw2", f"cat {CONF_FILE}"), "check mode must not repair"

    container_gateways.converge()
    repaired = drift(container_gateways)
    assert repaired.rc == 0, repaired.output
    assert repaired.cases("failure") == [] and repaired.cases("error") == []
    assert "0 of 2 host(s) drifted" in repaired.output


def test_an_unreachable_host_is_an_error(container_gateways: Inventory) -> None:
    hosts_yml = container_gateways.path / "hosts.yml"
    original = hosts_yml.read_text()
    inventory = yaml.safe_load(original)
    # An address where no sshd listens: the connection is refused at once.
    inventory["all"]["children"]["ollama_gateways"]["hosts"]["drift-ghost"] = {"ansible_host": "127.0.2.39", "ansible_port": 2222}
    try:
        hosts_yml.write_text(yaml.safe_dump(inventory))
        result = drift(container_gateways, "--limit", "drift-ghost")
    finally:
        hosts_yml.write_text(original)
    assert result.rc == 1, result.output
    assert [case[0] for case in result.cases("error")] == ["drift-ghost"]
    assert "with errors" in result.output
