"""inventory.example sets what a user must set, and points to the rest: no unknown variable, no restated default."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "inventory.example"


def role_defaults() -> dict[str, object]:
    defaults: dict[str, object] = {}
    for role in (REPO / "roles").iterdir():
        defaults |= yaml.safe_load((role / "defaults" / "main.yml").read_text()) or {}
    return defaults


def example_variables() -> dict[str, object]:
    variables: dict[str, object] = {}
    for path in sorted(EXAMPLE.glob("group_vars/*/*.yml")):
        variables |= yaml.safe_load(path.read_text()) or {}
    return variables


def test_every_variable_is_a_connection_setting_or_a_role_variable() -> None:
    defaults = role_defaults()
    unknown = [name for name in example_variables() if not name.startswith("ansible_") and name not in defaults]
    assert unknown == []


def test_no_default_is_restated() -> None:
    defaults = role_defaults()
    restated = [name for name, value in example_variables().items() if name in defaults and defaults[name] == value]
    assert restated == []


def test_the_vault_example_holds_exactly_the_secrets_the_inventory_uses() -> None:
    used = set(re.findall(r"\bvault_[a-z0-9_]+", "".join(path.read_text() for path in EXAMPLE.glob("group_vars/*/*.yml"))))
    vault = yaml.safe_load((EXAMPLE / "group_vars" / "ollama_gateways" / "vault.yml.example").read_text())
    assert used == set(vault)
