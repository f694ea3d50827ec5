"""Each role documents every default in meta/argument_specs.yml, with a type, and nothing more."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SPEC_KEYS = {"type", "default", "description", "choices", "elements", "options", "required", "no_log", "aliases", "version_added"}
ROLES = sorted(path.name for path in (REPO / "roles").iterdir() if (path / "defaults" / "main.yml").exists())


@pytest.mark.parametrize("role", ROLES)
def test_argument_specs_match_defaults(role: str) -> None:
    defaults = yaml.safe_load((REPO / "roles" / role / "defaults" / "main.yml").read_text()) or {}
    options = yaml.safe_load((REPO / "roles" / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    assert sorted(defaults) == sorted(options)
    for name, spec in options.items():
        assert spec.get("type"), f"{role}: {name} has no type"
        assert spec.get("description"), f"{role}: {name} has no description"
        assert spec.get("default") == defaults[name], f"{role}: the documented default of {name} differs from defaults/main.yml"
        assert name.startswith(f"{role}_"), f"{role}: {name} lacks the role prefix"


def spec_keys(options: dict) -> set[str]:
    keys = set()
    for spec in options.values():
        keys |= set(spec) | spec_keys(spec.get("options", {}))
    return keys


@pytest.mark.parametrize("role", ROLES)
def test_argument_specs_use_only_known_keys(role: str) -> None:
    """A stray key is usually a description cut at a comma in a YAML flow mapping."""
    options = yaml.safe_load((REPO / "roles" / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    assert spec_keys(options) <= SPEC_KEYS


def test_gateway_error_messages_fit_in_single_quoted_nginx_strings() -> None:
    """The gateway's own error bodies are written between single quotes in nginx's configuration, as JSON."""
    errors = yaml.safe_load((REPO / "roles" / "gateway" / "vars" / "main.yml").read_text())["__gateway_errors"]
    assert len({error["name"] for error in errors}) == len(errors)
    for error in errors:
        assert not set(error["message"]) & set("'\"\\$"), error["name"]
        assert 400 <= error["status"] <= 599 and error["type"].endswith("_error")
