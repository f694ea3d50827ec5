# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
"""Whether a port can be reached from the network: the addresses it listens on, other than loopback.

Ollama has no authentication, so its port must listen on loopback only; anything else lets clients bypass the
gateway. The listeners come from `ss -Hltn` on Linux and from win_listen_ports_facts' `tcp_listen` on Windows.
"""

from __future__ import annotations

import ipaddress
import typing as t


def _is_loopback(address: str) -> bool:
    """127.0.0.0/8, ::1 and ::ffff:127.x; anything that is no address (ss prints `*` for every address) is not."""
    try:
        ip = ipaddress.ip_address(address.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return bool(ip.is_loopback or (mapped is not None and mapped.is_loopback))


def _ss_listener(line: str) -> tuple[str, int] | None:
    """Address and port of a line of `ss -Hltn` (State Recv-Q Send-Q Local Peer), e.g. `[::1]:11434` or `*:11434`."""
    fields = line.split()
    if len(fields) < 4 or ":" not in fields[3]:
        return None
    address, _sep, port = fields[3].rpartition(":")
    return (address, int(port)) if port.isdigit() else None


def exposed_addresses(listeners: t.Iterable[str | t.Mapping[str, t.Any]], port: int) -> list[str]:
    """The addresses other than loopback where `port` listens. Each listener is a line of `ss -Hltn` or an entry of
    `tcp_listen` (address, port)."""
    found: list[str] = []
    for listener in listeners:
        parsed = _ss_listener(listener) if isinstance(listener, str) else (str(listener.get("address", "")), int(listener.get("port", -1)))
        if parsed is not None and parsed[1] == int(port) and not _is_loopback(parsed[0]):
            found.append(parsed[0])
    return sorted(set(found))
