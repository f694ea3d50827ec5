# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import ipaddress
import random
import re
import shutil
import subprocess
import typing as t
from pathlib import Path

import pytest

from ansible_collections.ollama_remote.proxy.plugins.module_utils import _access_rules as core
from ansible_collections.ollama_remote.proxy.plugins.module_utils._access_rules import AccessRulesError, Network, Rule

NGINX = shutil.which("nginx")


def rule(action: str, network: str) -> Rule:
    return Rule(action, ipaddress.ip_network(network))


def parse(*items: t.Any) -> list[Rule]:
    rules, warnings = core.parse_rules(items)
    assert warnings == []
    return rules


# --- parse_rules -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        pytest.param({"allow": "192.0.2.7"}, "allow 192.0.2.7", id="ipv4-address"),
        pytest.param({"allow": "192.0.2.7/32"}, "allow 192.0.2.7", id="ipv4-slash-32-rendered-bare"),
        pytest.param({"deny": "198.51.100.0/24"}, "deny 198.51.100.0/24", id="ipv4-cidr"),
        pytest.param({"allow": "10.0.0.0/8"}, "allow 10.0.0.0/8", id="ipv4-wide"),
        pytest.param({"deny": "0.0.0.0/0"}, "deny 0.0.0.0/0", id="ipv4-everything"),
        pytest.param({"allow": "2001:db8::1"}, "allow 2001:db8::1", id="ipv6-address"),
        pytest.param({"allow": "2001:db8::1/128"}, "allow 2001:db8::1", id="ipv6-slash-128-rendered-bare"),
        pytest.param({"allow": "2001:DB8:0:0::/32"}, "allow 2001:db8::/32", id="ipv6-cidr-normalised"),
        pytest.param({"deny": "::/0"}, "deny ::/0", id="ipv6-everything"),
        pytest.param({"allow": " 203.0.113.42 "}, "allow 203.0.113.42", id="surrounding-spaces"),
    ],
)
def test_valid_rule(item: dict[str, str], expected: str) -> None:
    (parsed,) = parse(item)
    assert f"{parsed.action} {parsed.source}" == expected
    assert core.render_directives([parsed], "deny") == [f"{expected};", "deny all;"]


@pytest.mark.parametrize(
    ("items", "fragments"),
    [
        pytest.param([{"allow": "example.com"}], ["rule 1", "'example.com'", "not an IP address", "host names"], id="hostname"),
        pytest.param([{"allow": "192.0.2.1"}, {"deny": "gateway.local"}], ["rule 2", "'gateway.local'"], id="hostname-counts-rules"),
        pytest.param([{"deny": "all"}], ["rule 1", "'all' is not a rule here", "default"], id="all"),
        pytest.param([{"allow": "10.0.0.1/33"}], ["'10.0.0.1/33'", "not an IP address"], id="prefix-too-long"),
        pytest.param([{"allow": "300.1.2.3"}], ["'300.1.2.3'"], id="bad-octet"),
        pytest.param([{"allow": "fe80::1%eth0"}], ["rule 1", "'fe80::1%eth0'", "zone"], id="ipv6-zone"),
        pytest.param([{"deny": "192.0.2.1/24"}], ["rule 1", "192.0.2.1/24 has host bits set", "192.0.2.0/24"], id="host-bits-ipv4"),
        pytest.param([{"allow": "2001:db8::1/32"}], ["host bits set", "write the network as 2001:db8::/32"], id="host-bits-ipv6"),
        pytest.param(
            [{"allow": "198.51.100.0/24"}, {"deny": "198.51.100.7"}],
            ["rule 2", "'deny 198.51.100.7'", "'allow 198.51.100.0/24'", "never match", "narrower rule first"],
            id="shadowed-address",
        ),
        pytest.param(
            [{"deny": "10.0.0.0/8"}, {"allow": "192.0.2.0/24"}, {"allow": "10.20.0.0/16"}],
            ["rule 3", "'allow 10.20.0.0/16'", "'deny 10.0.0.0/8'"],
            id="shadowed-network",
        ),
        pytest.param([{"allow": "2001:db8::/32"}, {"deny": "2001:db8:1::/48"}], ["'deny 2001:db8:1::/48'", "'allow 2001:db8::/32'"], id="shadowed-ipv6"),
        pytest.param([{"allow": "10.0.0.0/8"}, {"deny": "10.0.0.0/8"}], ["rule 2", "'deny 10.0.0.0/8'", "'allow 10.0.0.0/8'"], id="same-network-other-action"),
        pytest.param([{"allow": "10.0.0.0/8"}, {"allow": "10.1.0.0/16"}], ["rule 2", "'allow 10.1.0.0/16'", "'allow 10.0.0.0/8'"], id="redundant-narrower"),
        pytest.param(["192.0.2.1"], ["rule 1", "single 'allow: <network>'", "'192.0.2.1'"], id="bare-string"),
        pytest.param([{"permit": "192.0.2.1"}], ["rule 1", "single 'allow: <network>' or 'deny: <network>'"], id="unknown-action"),
        pytest.param([{"allow": "192.0.2.1", "deny": "192.0.2.2"}], ["rule 1", "single"], id="two-keys"),
        pytest.param([{}], ["rule 1", "single"], id="empty-mapping"),
        pytest.param([None], ["rule 1", "single"], id="null"),
        pytest.param([["allow", "192.0.2.1"]], ["rule 1", "single"], id="list"),
        pytest.param([{"allow": None}], ["rule 1", "an address or CIDR network is required, got None"], id="null-network"),
        pytest.param([{"allow": ""}], ["an address or CIDR network is required"], id="empty-network"),
        pytest.param([{"allow": ["192.0.2.1"]}], ["an address or CIDR network is required"], id="list-network"),
    ],
)
def test_bad_rules(items: list[t.Any], fragments: list[str]) -> None:
    with pytest.raises(AccessRulesError) as exc:
        core.parse_rules(items)
    for fragment in fragments:
        assert fragment in str(exc.value)


def test_ipv4_and_ipv6_rules_never_shadow_each_other() -> None:
    rules = parse({"allow": "0.0.0.0/0"}, {"deny": "2001:db8::/32"}, {"allow": "::/0"})
    assert [f"{r.action} {r.source}" for r in rules] == ["allow 0.0.0.0/0", "deny 2001:db8::/32", "allow ::/0"]


def test_narrower_rule_first_is_accepted() -> None:
    rules = parse({"deny": "198.51.100.7"}, {"allow": "198.51.100.0/24"}, {"deny": "198.51.0.0/16"}, {"allow": "192.0.2.0/24"})
    assert [f"{r.action} {r.source}" for r in rules] == ["deny 198.51.100.7", "allow 198.51.100.0/24", "deny 198.51.0.0/16", "allow 192.0.2.0/24"]


def test_exact_duplicates_are_dropped_with_a_warning() -> None:
    rules, warnings = core.parse_rules(
        [{"deny": "198.51.100.7"}, {"allow": "198.51.100.0/24"}, {"deny": "198.51.100.7/32"}, {"allow": "198.51.100.0/24"}, {"allow": "2001:db8::/32"}]
    )
    assert [f"{r.action} {r.source}" for r in rules] == ["deny 198.51.100.7", "allow 198.51.100.0/24", "allow 2001:db8::/32"]
    assert warnings == [
        "rule 3: 'deny 198.51.100.7' repeats an earlier rule and was dropped",
        "rule 4: 'allow 198.51.100.0/24' repeats an earlier rule and was dropped",
    ]


def test_no_rules() -> None:
    assert core.parse_rules([]) == ([], [])


# --- trusted proxies ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        pytest.param(["10.0.0.5"], ["10.0.0.5/32"], id="address"),
        pytest.param(["10.0.0.0/24", "2001:db8::1"], ["10.0.0.0/24", "2001:db8::1/128"], id="mixed"),
        pytest.param(["2001:db8:1:2::/64"], ["2001:db8:1:2::/64"], id="ipv6-subnet"),
        pytest.param(["10.0.0.5", "10.0.0.5/32", "10.0.0.6"], ["10.0.0.5/32", "10.0.0.6/32"], id="duplicates-dropped"),
        pytest.param([], [], id="none"),
    ],
)
def test_trusted_proxies(items: list[str], expected: list[str]) -> None:
    assert [str(n) for n in core.parse_trusted_proxies(items)] == expected


@pytest.mark.parametrize(
    ("items", "fragments"),
    [
        pytest.param(["0.0.0.0/0"], ["trusted proxy 1", "0.0.0.0/0", "X-Forwarded-For"], id="ipv4-everything"),
        pytest.param(["10.0.0.5", "::/0"], ["trusted proxy 2", "::/0", "every client"], id="ipv6-everything"),
        pytest.param(["10.0.0.5/24"], ["trusted proxy 1", "host bits set", "10.0.0.0/24"], id="host-bits"),
        pytest.param(["10.0.0.5", "10.0.0.0/23"], ["trusted proxy 2", "10.0.0.0/23 is broader than a /24"], id="ipv4-broad"),
        pytest.param(["2001:db8::/48"], ["trusted proxy 1", "2001:db8::/48 is broader than a /64", "a single address"], id="ipv6-broad"),
        pytest.param(["proxy.internal"], ["trusted proxy 1", "'proxy.internal'"], id="hostname"),
        pytest.param(["fe80::1%eth0"], ["trusted proxy 1", "zone"], id="ipv6-zone"),
    ],
)
def test_bad_trusted_proxies(items: list[str], fragments: list[str]) -> None:
    with pytest.raises(AccessRulesError) as exc:
        core.parse_trusted_proxies(items)
    for fragment in fragments:
        assert fragment in str(exc.value)


# --- rendering ---------------------------------------------------------------------------------------------------


RULES = [rule("deny", "198.51.100.7/32"), rule("allow", "198.51.100.0/24"), rule("deny", "2001:db8:ffff::1/128"), rule("allow", "2001:db8::/32")]
PROXIES = [ipaddress.ip_network("10.0.0.5/32"), ipaddress.ip_network("2001:db8:1::/64")]


@pytest.mark.parametrize(
    ("rules", "default", "proxies", "expected"),
    [
        pytest.param([], "deny", [], ["deny all;"], id="empty-deny"),
        pytest.param([], "allow", [], ["allow all;"], id="empty-allow"),
        pytest.param(
            RULES,
            "deny",
            [],
            ["deny 198.51.100.7;", "allow 198.51.100.0/24;", "deny 2001:db8:ffff::1;", "allow 2001:db8::/32;", "deny all;"],
            id="rules",
        ),
        pytest.param(
            RULES[:1],
            "allow",
            PROXIES,
            [
                "set_real_ip_from 10.0.0.5;",
                "set_real_ip_from 2001:db8:1::/64;",
                "real_ip_header X-Forwarded-For;",
                "real_ip_recursive on;",
                "deny 198.51.100.7;",
                "allow all;",
            ],
            id="trusted-proxies",
        ),
    ],
)
def test_render_directives(rules: list[Rule], default: str, proxies: list[Network], expected: list[str]) -> None:
    assert core.render_directives(rules, default, proxies) == expected


@pytest.mark.parametrize(
    ("rules", "default", "proxies", "expected"),
    [
        pytest.param([], "deny", [], ["geo $v {", "    default 1;", "}"], id="empty-deny"),
        pytest.param(
            RULES,
            "deny",
            [],
            [
                "geo $v {",
                "    default 1;",
                "    198.51.100.7 1;",
                "    198.51.100.0/24 0;",
                "    2001:db8:ffff::1 1;",
                "    2001:db8::/32 0;",
                "}",
            ],
            id="rules",
        ),
        pytest.param(
            RULES[:1],
            "allow",
            PROXIES[:1],
            [
                "set_real_ip_from 10.0.0.5;",
                "real_ip_header X-Forwarded-For;",
                "real_ip_recursive on;",
                "geo $v {",
                "    default 0;",
                "    198.51.100.7 1;",
                "}",
            ],
            id="trusted-proxies",
        ),
    ],
)
def test_render_geo(rules: list[Rule], default: str, proxies: list[Network], expected: list[str]) -> None:
    assert core.render_geo(rules, default, "v", proxies) == expected


def test_render_geo_check() -> None:
    assert core.render_geo_check("ollama_access_denied") == ["if ($ollama_access_denied) {", "    return 403;", "}"]


@pytest.mark.parametrize(
    ("newline", "header", "expected"),
    [
        pytest.param("\n", True, f"{core.HEADER}\nallow 192.0.2.1;\ndeny all;\n", id="lf-with-header"),
        pytest.param("\r\n", True, f"{core.HEADER}\r\nallow 192.0.2.1;\r\ndeny all;\r\n", id="crlf-with-header"),
        pytest.param("\n", False, "allow 192.0.2.1;\ndeny all;\n", id="no-header"),
    ],
)
def test_as_text(newline: str, header: bool, expected: str) -> None:
    assert core.as_text(["allow 192.0.2.1;", "deny all;"], newline, header=header) == expected


@pytest.mark.parametrize("name", ["ollama_access_denied", "x", "A1_b2", "_"])
def test_valid_variable(name: str) -> None:
    assert core.valid_variable(name) == name


@pytest.mark.parametrize("name", ["", "$denied", "access-denied", "a b", "dénié", "a;b", "a}"])
def test_invalid_variable(name: str) -> None:
    with pytest.raises(AccessRulesError, match="letters, digits and underscores"):
        core.valid_variable(name)


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed")
def test_nginx_accepts_what_is_rendered(tmp_path: Path) -> None:
    rules = parse({"deny": "198.51.100.7"}, {"allow": "198.51.100.0/24"}, {"deny": "2001:db8:ffff::1"}, {"allow": "2001:db8::/32"})
    proxies = core.parse_trusted_proxies(["10.0.0.5", "2001:db8:1::/64"])
    (tmp_path / "geo.conf").write_text(core.as_text(core.render_geo(rules, "deny", "denied", proxies), "\n"))
    (tmp_path / "check.conf").write_text(core.as_text(core.render_geo_check("denied"), "\n"))
    (tmp_path / "access.conf").write_text(core.as_text(core.render_directives(rules, "deny", proxies), "\n"))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
        "http {\n  access_log off;\n  include geo.conf;\n  server {\n    listen 127.0.0.1:8080;\n    include check.conf;\n"
        "    location / {\n      include access.conf;\n    }\n  }\n}\n"
    )
    assert NGINX is not None
    result = subprocess.run(
        [NGINX, "-t", "-q", "-e", "stderr", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


# --- decisions: first match (access) equals most specific match (geo) --------------------------------------------


def decide(rules: t.Sequence[core.Rule], default: str, address: str) -> str:
    """What nginx's access module answers for a client address (first match wins): the reference the tests hold the
    rendered directives and geo blocks to."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # nginx matches IPv4-mapped IPv6 clients against IPv4 rules
    for rule in rules:
        if ip.version == rule.network.version and ip in rule.network:
            return rule.action
    return default


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        pytest.param("198.51.100.7", "deny", id="narrow-deny-first"),
        pytest.param("198.51.100.8", "allow", id="inside-allowed-network"),
        pytest.param("198.51.101.1", "deny", id="default"),
        pytest.param("::ffff:198.51.100.8", "allow", id="ipv4-mapped-matches-ipv4-rule"),
        pytest.param("::ffff:198.51.100.7", "deny", id="ipv4-mapped-deny"),
        pytest.param("2001:db8:5::1", "allow", id="ipv6"),
        pytest.param("2001:db8:ffff::1", "deny", id="ipv6-address-rule"),
        pytest.param("2001:db9::1", "deny", id="ipv6-default"),
    ],
)
def test_decide(address: str, expected: str) -> None:
    assert decide(RULES, "deny", address) == expected


def test_decide_ignores_rules_of_the_other_family() -> None:
    rules = parse({"allow": "0.0.0.0/0"})
    assert decide(rules, "deny", "2001:db8::1") == "deny"
    assert decide(rules, "deny", "::ffff:192.0.2.1") == "allow"


SPACES = (ipaddress.ip_network("10.20.0.0/20"), ipaddress.ip_network("2001:db8:0:1::/116"))


def _client(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _random_network(rng: random.Random) -> Network:
    space = rng.choice(SPACES)
    prefix = rng.randint(space.prefixlen, space.max_prefixlen)
    address = space.network_address + rng.randrange(space.num_addresses)
    return ipaddress.ip_network((address, prefix), strict=False)


def _random_rules(rng: random.Random) -> list[dict[str, str]]:
    """A valid rule list built by inserting random rules at random places, keeping each insertion nginx would take."""
    items: list[dict[str, str]] = []
    for _attempt in range(rng.randint(0, 30)):
        candidate = {rng.choice(core.ACTIONS): str(_random_network(rng))}
        position = rng.randint(0, len(items))
        trial = [*items[:position], candidate, *items[position:]]
        try:
            warnings = core.parse_rules(trial)[1]
        except AccessRulesError:
            continue
        if not warnings:
            items = trial
    return items


def _addresses(rng: random.Random, rules: list[Rule]) -> list[str]:
    addresses: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = []
    for r in rules:
        addresses += [r.network.network_address, r.network.broadcast_address, r.network.network_address - 1, r.network.broadcast_address + 1]
    for space in SPACES:
        addresses += [space.network_address + rng.randrange(space.num_addresses) for _count in range(40)]
    addresses += [ipaddress.ip_address("192.0.2.1"), ipaddress.ip_address("2001:db9::1")]
    texts = [str(a) for a in addresses]
    return texts + [f"::ffff:{a}" for a in addresses if a.version == 4]


def _geo_decision(lines: list[str], address: str) -> str:
    """What nginx's geo module yields for the rendered block: the most specific network wins."""
    table: dict[Network, str] = {}
    default = None
    for line in lines:
        match = re.fullmatch(r"    (\S+) ([01]);", line)
        if match is None:
            continue
        key, value = match.groups()
        if key == "default":
            default = value
        else:
            network = ipaddress.ip_network(key)
            assert network not in table, f"geo would warn about the duplicate network {network}"
            table[network] = value
    ip = _client(address)
    matches = [n for n in table if n.version == ip.version and ip in n]
    value = table[max(matches, key=lambda n: n.prefixlen)] if matches else default
    return {"0": "allow", "1": "deny"}[t.cast(str, value)]


def _directives_decision(lines: list[str], address: str) -> str:
    """What nginx's access module yields for the rendered directives: the first matching line wins."""
    ip = _client(address)
    for line in lines:
        action, source = line.rstrip(";").split(" ", 1)
        if source == "all":
            return action
        network = ipaddress.ip_network(source)
        if network.version == ip.version and ip in network:
            return action
    raise AssertionError("directives must end with an 'all' rule")


@pytest.mark.parametrize("seed", range(30), ids=lambda seed: f"seed{seed}")
def test_first_match_equals_most_specific_match(seed: int) -> None:
    rng = random.Random(seed)
    rules = core.parse_rules(_random_rules(rng))[0]
    default = rng.choice(core.ACTIONS)
    geo = core.render_geo(rules, default, "denied")
    directives = core.render_directives(rules, default)
    for address in _addresses(rng, rules):
        expected = _geo_decision(geo, address)
        assert _directives_decision(directives, address) == expected, (address, directives)
        assert decide(rules, default, address) == expected, (address, directives)


def test_random_rule_lists_are_not_trivial() -> None:
    sizes = [len(_random_rules(random.Random(seed))) for seed in range(30)]
    assert max(sizes) >= 8, "the property test should see long rule lists"
    nested = 0
    for seed in range(30):
        rules = core.parse_rules(_random_rules(random.Random(seed)))[0]
        nested += sum(1 for a in rules for b in rules if a.network.prefixlen > b.network.prefixlen and a.network.network_address in b.network)
    assert nested >= 10, "the property test should see nested networks, where the order matters"


# --- replace_block -----------------------------------------------------------------------------------------------


SITE = "server {\n    listen 443 ssl;\n    # BEGIN OLLAMA ACCESS\n    allow 10.0.0.0/8;\n    deny all;\n    # END OLLAMA ACCESS\n    location / {}\n}\n"


def test_replace_block_keeps_the_indentation_and_the_rest() -> None:
    result = core.replace_block(SITE, ["allow 192.0.2.0/24;", "deny all;"], "OLLAMA ACCESS", "\n")
    assert result == (
        "server {\n    listen 443 ssl;\n    # BEGIN OLLAMA ACCESS\n    allow 192.0.2.0/24;\n    deny all;\n    # END OLLAMA ACCESS\n    location / {}\n}\n"
    )


def test_replace_block_is_idempotent() -> None:
    once = core.replace_block(SITE, ["allow 192.0.2.0/24;", "deny all;"], "OLLAMA ACCESS", "\n")
    assert core.replace_block(once, ["allow 192.0.2.0/24;", "deny all;"], "OLLAMA ACCESS", "\n") == once


def test_replace_block_with_an_empty_block() -> None:
    result = core.replace_block(SITE, [], "OLLAMA ACCESS", "\n")
    assert "    # BEGIN OLLAMA ACCESS\n    # END OLLAMA ACCESS\n" in result


def test_replace_block_keeps_tabs() -> None:
    content = "server {\n\t# BEGIN X\n\t# END X\n}\n"
    assert core.replace_block(content, ["deny all;"], "X", "\n") == "server {\n\t# BEGIN X\n\tdeny all;\n\t# END X\n}\n"


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_replace_block_keeps_a_crlf_file_crlf(newline: str) -> None:
    content = SITE.replace("\n", "\r\n")
    result = core.replace_block(content, ["deny all;"], "OLLAMA ACCESS", newline)
    assert result.count("\r\n") == result.count("\n")
    assert "\r\n    # BEGIN OLLAMA ACCESS\r\n    deny all;\r\n    # END OLLAMA ACCESS\r\n" in result


def test_replace_block_uses_the_target_newline_for_a_file_without_crlf() -> None:
    result = core.replace_block(SITE, ["deny all;"], "OLLAMA ACCESS", "\r\n")
    assert result == SITE.replace("    allow 10.0.0.0/8;\n", "").replace("\n", "\r\n")


def test_replace_block_adds_a_final_newline() -> None:
    assert core.replace_block("# BEGIN X\n# END X", ["deny all;"], "X", "\n") == "# BEGIN X\ndeny all;\n# END X\n"


@pytest.mark.parametrize(
    ("content", "counts"),
    [
        pytest.param("server {}\n", "found 0 BEGIN and 0 END", id="no-markers"),
        pytest.param("# BEGIN X\n", "found 1 BEGIN and 0 END", id="no-end"),
        pytest.param("# END X\n", "found 0 BEGIN and 1 END", id="no-begin"),
        pytest.param("# BEGIN X\n# END X\n# BEGIN X\n# END X\n", "found 2 BEGIN and 2 END", id="duplicate-block"),
        pytest.param("# BEGIN X\n# BEGIN X\n# END X\n", "found 2 BEGIN and 1 END", id="duplicate-begin"),
        pytest.param("# END X\n# BEGIN X\n", "found 1 BEGIN and 1 END", id="end-before-begin"),
        pytest.param("# BEGIN Y\n# END Y\n", "found 0 BEGIN and 0 END", id="other-marker"),
        pytest.param("# BEGIN XY\n# END XY\n", "found 0 BEGIN and 0 END", id="marker-prefix-only"),
    ],
)
def test_replace_block_needs_exactly_one_block(content: str, counts: str) -> None:
    with pytest.raises(AccessRulesError) as exc:
        core.replace_block(content, ["deny all;"], "X", "\n")
    assert "'# BEGIN X'" in str(exc.value) and "'# END X'" in str(exc.value)
    assert counts in str(exc.value)
