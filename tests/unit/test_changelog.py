"""The changelog moves with the version: galaxy.yml's version is released in changelogs/changelog.yaml (and so in
CHANGELOG.md), and no plugin claims to be added in a later one."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def test_the_version_in_galaxy_yml_is_released() -> None:
    released = yaml.safe_load((REPO / "galaxy.yml").read_text())["version"]
    releases = yaml.safe_load((REPO / "changelogs" / "changelog.yaml").read_text())["releases"]
    assert released in releases, f"galaxy.yml says {released}; release it with antsibull-changelog"
    assert max(releases, key=version) == released, "galaxy.yml names an older release than the changelog's newest"
    assert f"## v{released.replace('.', chr(92) + '.')}" in (REPO / "CHANGELOG.md").read_text()


def test_no_plugin_is_added_in_a_later_version() -> None:
    released = version(yaml.safe_load((REPO / "galaxy.yml").read_text())["version"])
    later = {
        str(path.relative_to(REPO)): added
        for path in sorted((REPO / "plugins").rglob("*.py"))
        for added in re.findall(r"(?m)^version_added: ([0-9.]+)$", path.read_text())
        if version(added) > released
    }
    assert later == {}
