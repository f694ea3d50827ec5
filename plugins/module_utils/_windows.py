# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks for Windows hosts, run on the controller. Private to the collection; no Ansible imports, no I/O."""

from __future__ import annotations

import re
import typing as t

# A drive and folders of letters, digits, dot, underscore and hyphen, forward slashes: nginx reads the prefix in
# unquoted paths throughout its configuration, and Shawl's command line quotes it only once.
PREFIX = re.compile(r"^[A-Za-z]:(/[A-Za-z0-9._-]+)+$")


class WindowsSettingError(ValueError):
    """A Windows setting that cannot work; the message says why and what to use."""


def check_prefix(prefix: object) -> str:
    """The nginx prefix, if nginx and the service command line can use it as it is."""
    if not isinstance(prefix, str) or not PREFIX.match(prefix.rstrip("/")):
        raise WindowsSettingError(
            f"gateway_windows_prefix {prefix!r} cannot be used: give a drive and folders with forward slashes, using only"
            " letters, digits, '.', '_' and '-' (for example C:/nginx). Spaces and quotes would break nginx's paths."
        )
    return prefix.rstrip("/")


def foreign_listeners(listeners: t.Iterable[t.Mapping[str, t.Any]], ports: t.Iterable[int | str], own: t.Iterable[str] = ("nginx",)) -> list[str]:
    """Who, other than our own programs, listens on one of `ports`, from win_listen_ports_facts' `tcp_listen`.

    Process names compare without case and without `.exe`. HTTP.sys listeners (IIS, WinRM on its own ports,
    other services using http.sys) show up as System, pid 4.
    """
    wanted = {int(port) for port in ports}
    mine = {name.lower().removesuffix(".exe") for name in own}
    found = []
    for listener in listeners:
        port, name = int(listener.get("port", -1)), str(listener.get("name") or "unknown")
        if port in wanted and name.lower().removesuffix(".exe") not in mine:
            holder = "HTTP.sys (IIS or another http.sys service)" if str(listener.get("pid")) == "4" else name
            found.append(f"port {port} on {listener.get('address', '?')} is held by {holder} (pid {listener.get('pid', '?')})")
    return sorted(set(found))


def windows_path_key(path: str) -> str:
    """A Windows path as it compares: forward slashes, no trailing slash, lower case (NTFS ignores case)."""
    return path.replace("\\", "/").rstrip("/").lower()


def found_files(found: t.Iterable[t.Mapping[str, t.Any]], wanted: t.Mapping[str, str]) -> dict[str, str | None]:
    """For each name in `wanted` (name: path), the checksum win_find gave its path ('' when it gave none), or None
    when win_find did not find it. win_find answers with backslashes and the file system's letter case."""
    checksums = {windows_path_key(str(entry["path"])): str(entry.get("checksum") or "") for entry in found}
    return {name: checksums.get(windows_path_key(path)) for name, path in wanted.items()}
