# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
"""Gateway settings that concern no single plugin: where Ollama is, whether anyone can get in, the certificate source."""

from __future__ import annotations

import ipaddress
import re
import typing as t

# host:port as nginx's `server` takes it in an upstream: a name or IPv4 address, or an IPv6 address in brackets.
_BACKEND = re.compile(r"^(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|(?P<host>[A-Za-z0-9.-]+)):(?P<port>[0-9]{1,5})$")
TLS_MODES = ("self_signed", "provided", "acme")


class SettingsError(ValueError):
    """A setting the gateway cannot work with."""


def check_backends(items: t.Sequence[object]) -> list[str]:
    """The Ollama servers, each as address:port; at least one."""
    if isinstance(items, (str, bytes)) or not items:
        raise SettingsError("gateway_backends must list at least one Ollama server as address:port, for example 127.0.0.1:11434")
    for item in items:
        match = _BACKEND.match(str(item)) if isinstance(item, str) else None
        valid = match is not None and 0 < int(match["port"]) < 65536
        if valid and match and match["ipv6"]:
            try:
                ipaddress.IPv6Address(match["ipv6"])
            except ValueError:
                valid = False
        if not valid:
            raise SettingsError(f"gateway_backends: {item!r} is not address:port (an IPv6 address in brackets, a port from 1 to 65535)")
    return [str(item) for item in items]


def check_someone_can_get_in(users: t.Sized, keys: t.Sized, trusted_networks: t.Sized) -> None:
    if not (len(users) or len(keys) or len(trusted_networks)):
        raise SettingsError("give at least one of gateway_users, gateway_api_keys or gateway_trusted_networks, or nobody could get in")


def check_tls(mode: object, certificate: object, key: object) -> None:
    if mode not in TLS_MODES:
        raise SettingsError(f"gateway_tls_mode must be one of {', '.join(TLS_MODES)}, got {mode!r}")
    if mode == "provided" and not (certificate and key):
        raise SettingsError("gateway_tls_mode 'provided' needs gateway_tls_certificate and gateway_tls_key (PEM files on the controller)")
