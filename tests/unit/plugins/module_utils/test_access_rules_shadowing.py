# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""parse_rules finds the earliest covering rule among a network's supernets; this checks it against the plain search."""

from __future__ import annotations

import ipaddress
import random
import typing as t

import pytest

from ansible_collections.ollama_remote.proxy.plugins.module_utils import _access_rules as core


def reference(items: list[dict[str, str]]) -> tuple[object, ...]:
    """Every earlier rule compared in order: the first that covers the new one decides (duplicate, or shadowed)."""
    rules: list[core.Rule] = []
    duplicates: list[int] = []
    for number, item in enumerate(items, 1):
        ((action, value),) = item.items()
        rule = core.Rule(action, core.parse_network(value, what=""))
        earlier = next((r for r in rules if r.network.version == rule.network.version and rule.network.subnet_of(r.network)), None)  # type: ignore[arg-type]
        if earlier == rule:
            duplicates.append(number)
        elif earlier is not None:
            return ("covered", number, f"{earlier.action} {earlier.source}")
        else:
            rules.append(rule)
    return ("accepted", duplicates, rules)


def outcome(items: list[dict[str, str]]) -> tuple[object, ...]:
    try:
        rules, warnings = core.parse_rules(items)
    except core.AccessRulesError as exc:
        return ("covered", rule_number(str(exc)), str(exc).partition("earlier rule '")[2].partition("'")[0])
    return ("accepted", [rule_number(warning) for warning in warnings], rules)


def rule_number(message: str) -> int:
    """N of a message that starts 'rule N: ...'."""
    return int(message.partition(":")[0].removeprefix("rule "))


def random_rules(rnd: random.Random) -> list[dict[str, str]]:
    items: list[dict[str, str]] = []
    count = rnd.randint(1, 8)
    while len(items) < count:
        if rnd.random() < 0.7:
            text = f"10.{rnd.randint(0, 2)}.{rnd.randint(0, 2)}.{rnd.randint(0, 3) * 16}/{rnd.choice([8, 16, 24, 28, 32])}"
        else:
            text = f"2001:db8:{rnd.randint(0, 2)}::/{rnd.choice([32, 48, 64, 128])}"
        items.append({rnd.choice(["allow", "deny"]): str(ipaddress.ip_network(text, strict=False))})
    return items


@pytest.mark.parametrize("seed", range(4))
def test_same_decisions_as_comparing_every_earlier_rule(seed: int) -> None:
    rnd = random.Random(seed)
    for trial in range(500):
        items = random_rules(rnd)
        assert outcome(items) == reference(items), (trial, items)


def test_ten_thousand_networks_are_accepted() -> None:
    items: list[dict[str, t.Any]] = [{"deny": f"10.{n // 256}.{n % 256}.0/24"} for n in range(10_000)]
    rules, warnings = core.parse_rules([*items, {"allow": "10.0.0.0/8"}])
    assert len(rules) == 10_001 and warnings == []
