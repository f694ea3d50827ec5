# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ollama's two checks on every request, before any route: the allowed-hosts rule and the CORS origin rule.

Host: ``server/routes.go`` allowedHostsMiddleware, allowedHost and isLocalIP. Origin: ``envconfig/config.go``
AllowedOrigins (the defaults: no OLLAMA_ORIGINS) as gin-contrib/cors v1.7.2 applies them.
"""

from __future__ import annotations

import enum
import ipaddress
import socket
from typing import Any

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# --- Host ---------------------------------------------------------------------------------------------------------


class HostVerdict(enum.Enum):
    """Outcome of Ollama's allowed-hosts check; the two kinds of pass differ for OPTIONS."""

    ALLOWED_IP = "allowed-ip"
    ALLOWED_NAME = "allowed-name"
    FORBIDDEN = "forbidden"


_PRIVATE_NETWORKS = tuple(ipaddress.ip_network(cidr) for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"))
_LOCAL_NAME_SUFFIXES = (".localhost", ".local", ".internal")


def host_without_port(host: str) -> str:
    """The host part of a Host value as Go's net.SplitHostPort finds it, else the whole value (``localhost``, ``[::1]``)."""
    split = _split_host_port(host)
    return host if split is None else split


def _split_host_port(value: str) -> str | None:
    colon = value.rfind(":")
    if colon < 0:
        return None
    if value.startswith("["):
        end = value.find("]")
        if end < 0 or end + 1 != colon or "[" in value[1:] or "]" in value[end + 1 :]:
            return None
        return value[1:end]
    if ":" in value[:colon] or "[" in value or "]" in value:
        return None
    return value[:colon]


def parse_ip(text: str) -> IPAddress | None:
    """The address if ``text`` is an IP literal (IPv6 zones allowed, as by Go's netip.ParseAddr), else None."""
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _unmapped(addr: IPAddress) -> IPAddress:
    # Go's IsLoopback and IsPrivate look through IPv4-mapped IPv6 addresses; IsUnspecified and isLocalIP do not.
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def is_loopback(addr: IPAddress) -> bool:
    return _unmapped(addr).is_loopback


def _is_private(addr: IPAddress) -> bool:
    plain = _unmapped(addr)
    return any(plain.version == network.version and plain in network for network in _PRIVATE_NETWORKS)


def _is_unspecified(addr: IPAddress) -> bool:
    # Go compares the whole address, zone included: "::%eth0" is not unspecified.
    return addr in (ipaddress.IPv4Address(0), ipaddress.IPv6Address(0))


def is_local_ip(addr: IPAddress) -> bool:
    """Whether an interface of this machine holds ``addr``; found by binding to it, since the stdlib lists no addresses.

    Ollama compares the interface addresses as text, so zoned and IPv4-mapped forms never match. The kernel lets a
    socket bind multicast and broadcast addresses that no interface holds, so those are ruled out first.
    """
    if addr.is_multicast or addr == ipaddress.IPv4Address("255.255.255.255"):
        return False
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.scope_id or addr.ipv4_mapped is not None:
            return False
        scopes = _interface_indexes() if addr.is_link_local else [0]
        return any(_can_bind((str(addr), 0, 0, scope), socket.AF_INET6) for scope in scopes)
    return _can_bind((str(addr), 0), socket.AF_INET)


def _interface_indexes() -> list[int]:
    try:
        return [index for index, _name in socket.if_nameindex()]
    except OSError:
        return []


def _can_bind(address: tuple[Any, ...], family: socket.AddressFamily) -> bool:
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.bind(address)
    except OSError:
        return False
    return True


def allowed_ip(addr: IPAddress) -> bool:
    """Ollama's IP-literal rule: loopback, private (RFC 1918, ULA), unspecified, or held by a local interface."""
    return is_loopback(addr) or _is_private(addr) or _is_unspecified(addr) or is_local_ip(addr)


def allowed_host_name(host: str, hostname: str) -> bool:
    """Ollama's name rule: empty, ``localhost``, the machine's hostname, or a ``.localhost``/``.local``/``.internal`` name."""
    name = host.lower()
    return name in ("", "localhost") or (bool(hostname) and name == hostname.lower()) or name.endswith(_LOCAL_NAME_SUFFIXES)


def classify_host(host: str, hostname: str) -> HostVerdict:
    """Ollama's decision on a Host value (port optional) when it listens on loopback; ``hostname`` is os.Hostname()."""
    name = host_without_port(host)
    addr = parse_ip(name)
    if addr is not None and allowed_ip(addr):
        return HostVerdict.ALLOWED_IP
    if allowed_host_name(name, hostname):
        return HostVerdict.ALLOWED_NAME
    return HostVerdict.FORBIDDEN


# --- Origin -------------------------------------------------------------------------------------------------------

# Ollama's default origins (no OLLAMA_ORIGINS): these exactly, or with any port, and a few app schemes with anything.
_DEFAULT_HOSTS = tuple(f"{scheme}://{host}" for host in ("localhost", "127.0.0.1", "0.0.0.0") for scheme in ("http", "https"))
_ORIGIN_PREFIXES = (*(f"{origin}:" for origin in _DEFAULT_HOSTS), "app://", "file://", "tauri://", "vscode-webview://", "vscode-file://")
_CORS_METHODS = "GET,POST,PUT,PATCH,DELETE,HEAD,OPTIONS"


def origin_allowed(origin: str) -> bool:
    """Whether a request carrying this Origin passes Ollama's CORS middleware."""
    return origin in _DEFAULT_HOSTS or origin.startswith(_ORIGIN_PREFIXES)


def cors_headers(origin: str, *, preflight: bool) -> list[tuple[str, str]]:
    """Headers added to the reply of an allowed cross-origin request (Ollama's preflight answer also lists the allowed
    request headers and a max age, which nothing here reads)."""
    headers = [("Vary", "Origin"), ("Access-Control-Allow-Origin", origin)]
    return [("Access-Control-Allow-Methods", _CORS_METHODS), *headers] if preflight else headers
