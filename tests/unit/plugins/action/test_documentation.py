"""Each action plugin's argument spec and its documentation (as ansible-doc renders it) say the same."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import typing as t
from pathlib import Path

import pytest

from ansible_collections.ollama_remote.proxy.plugins.plugin_utils._file_action import FILE_ATTRIBUTES

REPO = Path(__file__).resolve().parents[4]
PLUGINS = sorted(path.stem for path in (REPO / "plugins" / "action").glob("*.py") if not path.stem.startswith("_"))


def documented(name: str) -> dict[str, t.Any]:
    output = subprocess.run(
        [str(Path(sys.executable).with_name("ansible-doc")), "--json", f"ollama_remote.proxy.{name}"], capture_output=True, text=True, check=True, cwd=REPO
    ).stdout
    return json.loads(output)[f"ollama_remote.proxy.{name}"]["doc"]["options"]


def comparable(options: dict[str, t.Any]) -> dict[str, t.Any]:
    return {
        name: {
            "type": spec.get("type", "str"),
            "required": bool(spec.get("required", False)),
            "default": spec.get("default"),
            "choices": spec.get("choices"),
            "aliases": spec.get("aliases") or [],
            # argument specs nest with "options", documentation with "suboptions"
            "options": comparable(nested) if (nested := spec.get("options") or spec.get("suboptions")) else None,
        }
        for name, spec in options.items()
    }


@pytest.mark.parametrize("name", PLUGINS)
def test_argument_spec_matches_documentation(name: str) -> None:
    spec = importlib.import_module(f"ansible_collections.ollama_remote.proxy.plugins.action.{name}").ARGUMENT_SPEC
    assert comparable({**spec, **FILE_ATTRIBUTES}) == comparable(documented(name))
