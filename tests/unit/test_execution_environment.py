"""execution-environment.yml installs what requirements.txt pins, at the same versions: one place for every pin.
requirements-test.txt adds the test tools on top of requirements.txt, and pins nothing twice."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def pins(file: str = "requirements.txt") -> dict[str, str]:
    lines = (REPO / file).read_text().splitlines()
    return dict(re.match(r"([A-Za-z0-9_.-]+)==(\S+)", line).groups() for line in lines if "==" in line)  # type: ignore[union-attr]


def test_every_python_package_of_the_ee_is_pinned_as_in_requirements_txt() -> None:
    ee = yaml.safe_load((REPO / "execution-environment.yml").read_text())["dependencies"]
    wanted = [ee["ansible_core"]["package_pip"], *ee["python"]]
    pinned = pins()
    for requirement in wanted:
        name, version = requirement.split("==")
        assert pinned.get(name) == version, f"{requirement}: requirements.txt pins {name}=={pinned.get(name)}"


def test_the_ee_gets_its_collections_from_requirements_yml() -> None:
    ee = yaml.safe_load((REPO / "execution-environment.yml").read_text())["dependencies"]
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text())["dependencies"]
    required = {entry["name"]: entry["version"] for entry in yaml.safe_load((REPO / ee["galaxy"]).read_text())["collections"]}
    assert required == galaxy, "requirements.yml and galaxy.yml ask for the same collections and versions"


def test_the_test_requirements_add_to_the_collections_and_pin_nothing_twice() -> None:
    lines = (REPO / "requirements-test.txt").read_text().splitlines()
    assert "-r requirements.txt" in lines
    assert not set(pins("requirements-test.txt")) & set(pins()), "a package pinned in both files"
