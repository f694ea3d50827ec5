"""Every filter has its ansible-doc page: one filter per file, named as its file, so ansible-doc finds the page."""

from __future__ import annotations

import functools
import importlib
import json
import subprocess
import sys
import typing as t
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[4]
FILTERS = sorted(path.stem for path in (REPO / "plugins" / "filter").glob("*.py") if not path.stem.startswith("_"))


@functools.cache
def pages() -> dict[str, t.Any]:
    names = [f"ollama_remote.proxy.{name}" for name in FILTERS]
    ansible_doc = str(Path(sys.executable).with_name("ansible-doc"))
    output = subprocess.run([ansible_doc, "-t", "filter", "--json", *names], capture_output=True, text=True, check=True, cwd=REPO).stdout
    return t.cast(dict[str, t.Any], json.loads(output))


@pytest.mark.parametrize("name", FILTERS)
def test_each_filter_has_its_page(name: str) -> None:
    module = importlib.import_module(f"ansible_collections.ollama_remote.proxy.plugins.filter.{name}")
    assert list(module.FilterModule().filters()) == [name]
    page = pages()[f"ollama_remote.proxy.{name}"]
    assert page["doc"]["name"] == name and page["doc"]["short_description"] and page["examples"] and page["return"]
