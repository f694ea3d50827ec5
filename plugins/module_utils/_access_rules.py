# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
"""Ordered allow/deny rules for nginx: validate, then render as access directives or as a geo block.

nginx's access module takes the first rule that matches; geo takes the most specific network. The two agree
exactly when no rule is hidden behind an earlier broader one, which is why such a rule is an error here.
"""

from __future__ import annotations

import ipaddress
import typing as t
from dataclasses import dataclass

Network = t.Union[ipaddress.IPv4Network, ipaddress.IPv6Network]
ACTIONS = ("allow", "deny")
HEADER = "# Managed by ollama_remote.proxy.access_rules: changes made here are overwritten."


class AccessRulesError(ValueError):
    """A rule list nginx would not take, or would not apply as written."""


@dataclass(frozen=True)
class Rule:
    action: str
    network: Network

    @property
    def source(self) -> str:
        return nginx_source(self.network)


def nginx_source(network: Network) -> str:
    """The network as written for nginx; a single address without its /32 or /128."""
    if network.prefixlen == network.max_prefixlen:
        return str(network.network_address)
    return str(network)


def parse_network(value: object, *, what: str) -> Network:
    text = str(value).strip() if isinstance(value, (str, int)) else ""
    if not text:
        raise AccessRulesError(f"{what}: an address or CIDR network is required, got {value!r}")
    if "%" in text:  # ipaddress takes an IPv6 zone (fe80::1%eth0); nginx rejects it as an invalid parameter
        raise AccessRulesError(f"{what}: {text!r} has an IPv6 zone index, which nginx does not take; drop the '%...' part")
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        if "has host bits set" in str(exc):
            fixed = ipaddress.ip_network(text, strict=False)
            raise AccessRulesError(f"{what}: {text} has host bits set; write the network as {fixed}") from None
        if text == "all":
            raise AccessRulesError(f"{what}: 'all' is not a rule here; use the default option for the final allow/deny all") from None
        raise AccessRulesError(f"{what}: {text!r} is not an IP address or CIDR network (nginx allow/deny take no host names)") from None


def parse_rules(items: t.Sequence[t.Mapping[str, t.Any]]) -> tuple[list[Rule], list[str]]:
    """Validate rules in order. Returns the rules with exact duplicates removed, and a warning per duplicate."""
    rules: list[Rule] = []
    warnings: list[str] = []
    # The first rule per network, with its position: the earliest rule covering a new one is found among the new
    # network's supernets (at most 33 or 129), not by comparing with every earlier rule (10 000 rules took a minute).
    first: dict[Network, tuple[int, Rule]] = {}
    for number, item in enumerate(items, 1):
        what = f"rule {number}"
        if not isinstance(item, t.Mapping) or len(item) != 1 or next(iter(item)) not in ACTIONS:
            raise AccessRulesError(f"{what}: write each rule as a single 'allow: <network>' or 'deny: <network>', got {item!r}")
        ((action, value),) = item.items()
        rule = Rule(action, parse_network(value, what=what))
        covering = [first[net] for net in supernets(rule.network) if net in first]
        earlier = min(covering, key=lambda found: found[0])[1] if covering else None
        if earlier == rule:
            warnings.append(f"{what}: '{action} {rule.source}' repeats an earlier rule and was dropped")
            continue
        if earlier is not None:
            raise AccessRulesError(
                f"{what}: '{action} {rule.source}' can never match, because the earlier rule '{earlier.action} {earlier.source}'"
                " covers it and nginx stops at the first match; put the narrower rule first"
            )
        rules.append(rule)
        first.setdefault(rule.network, (len(rules), rule))
    return rules, warnings


def supernets(network: Network) -> list[Network]:
    """The network itself and every network that contains it, down to /0."""
    return [network.supernet(new_prefix=prefix) for prefix in range(network.prefixlen + 1)]


# The broadest network a trusted proxy may be: a proxy's subnet at most. Every address in it may name any client
# address in X-Forwarded-For, and so pass the allowlist and the per-address limits as someone else.
BROADEST_PROXY_PREFIX = {4: 24, 6: 64}


def parse_trusted_proxies(items: t.Sequence[object]) -> list[Network]:
    networks = []
    for number, value in enumerate(items, 1):
        network = parse_network(value, what=f"trusted proxy {number}")
        if network.prefixlen == 0:
            raise AccessRulesError(
                f"trusted proxy {number}: {network} would let every client choose its own address with X-Forwarded-For; list only your proxies"
            )
        broadest = BROADEST_PROXY_PREFIX[network.version]
        if network.prefixlen < broadest:
            raise AccessRulesError(
                f"trusted proxy {number}: {network} is broader than a /{broadest}; every address in it could choose its own client address with "
                "X-Forwarded-For. List your proxies' own addresses (a single address is the norm)"
            )
        if network not in networks:
            networks.append(network)
    return networks


def _realip(proxies: t.Sequence[Network]) -> list[str]:
    if not proxies:
        return []
    lines = [f"set_real_ip_from {nginx_source(p)};" for p in proxies]
    return [*lines, "real_ip_header X-Forwarded-For;", "real_ip_recursive on;"]


def render_directives(rules: t.Sequence[Rule], default: str, proxies: t.Sequence[Network] = ()) -> list[str]:
    """allow/deny lines for a server or location context, ending with the default for everyone else."""
    return _realip(proxies) + [f"{r.action} {r.source};" for r in rules] + [f"{default} all;"]


def render_geo(rules: t.Sequence[Rule], default: str, variable: str, proxies: t.Sequence[Network] = ()) -> list[str]:
    """A geo block for the http context: the variable is 1 for a denied client, 0 for an allowed one."""
    value = {"allow": "0", "deny": "1"}
    body = [f"    default {value[default]};"] + [f"    {r.source} {value[r.action]};" for r in rules]
    return [*_realip(proxies), f"geo ${variable} {{", *body, "}"]


def render_geo_check(variable: str) -> list[str]:
    """The server-context check that goes with render_geo; it answers 403 before any password is hashed."""
    return [f"if (${variable}) {{", "    return 403;", "}"]


def valid_variable(name: str) -> str:
    if not name or not all(c.isalnum() or c == "_" for c in name) or not name.isascii():
        raise AccessRulesError(f"geo_variable {name!r} must be letters, digits and underscores (without the '$')")
    return name


def as_text(lines: t.Iterable[str], newline: str, *, header: bool = True) -> str:
    body = ([HEADER] if header else []) + list(lines)
    return "".join(line + newline for line in body)


def replace_block(content: str, block: t.Sequence[str], marker: str, newline: str) -> str:
    """Put `block` between '# BEGIN marker' and '# END marker' lines of an existing file, indented like BEGIN."""
    begin, end = f"# BEGIN {marker}", f"# END {marker}"
    lines = content.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == begin]
    ends = [i for i, line in enumerate(lines) if line.strip() == end]
    if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
        raise AccessRulesError(
            f"the file must contain exactly one '{begin}' line followed by one '{end}' line where the rules belong;"
            f" found {len(starts)} BEGIN and {len(ends)} END"
        )
    start, stop = starts[0], ends[0]
    indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
    new = lines[: start + 1] + [indent + line for line in block] + lines[stop:]
    if newline == "\n" and "\r\n" in content:
        newline = "\r\n"  # keep a CRLF file CRLF
    return "".join(line + newline for line in new)
