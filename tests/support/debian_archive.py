# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Packages from the Debian archive this machine's apt already uses, fetched without touching the system.

The test helpers need packages this machine's release does not install: 32-bit Wine (another architecture), pebble
2.10 (from `sid`), a whole release for the container hosts (debootstrap). Each comes from the mirror apt's own
sources name, so nothing here names a registry host, and a private apt state keeps the system's package lists and
status untouched. Stdlib only: the helpers also run as plain scripts.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

APT_SOURCES = Path("/etc/apt")
OS_RELEASE = Path("/etc/os-release")


class ArchiveError(RuntimeError):
    """A package could not be fetched from the Debian archive."""


def apt_sources(root: Path = APT_SOURCES) -> list[tuple[str, list[str]]]:
    """(URI, suites) of every `deb` entry in apt's sources: one-line `.list` files and deb822 `.sources` files."""
    entries: list[tuple[str, list[str]]] = []
    for listing in [root / "sources.list", *sorted((root / "sources.list.d").glob("*.list"))]:
        for line in listing.read_text().splitlines() if listing.is_file() else []:
            words = re.sub(r"\[[^]]*\]", "", line.split("#", 1)[0]).split()  # drop `[signed-by=...]` options
            if len(words) >= 3 and words[0] == "deb":
                entries.append((words[1], [words[2]]))
    for stanzas in sorted((root / "sources.list.d").glob("*.sources")):
        for stanza in re.split(r"\n\s*\n", stanzas.read_text()):
            fields = dict(re.findall(r"^([A-Za-z-]+):[ \t]*(.*)$", "\n".join(ln for ln in stanza.splitlines() if not ln.startswith("#")), re.M))
            if "deb" in fields.get("Types", "").split() and fields.get("Enabled", "yes") != "no":
                entries += [(uri, fields.get("Suites", "").split()) for uri in fields.get("URIs", "").split()]
    return entries


def mirrors(root: Path = APT_SOURCES, os_release: Path = OS_RELEASE) -> tuple[str, str]:
    """The Debian archive and security archive URIs this machine's apt uses: the entries that carry its own release's
    suites (`bookworm`, `bookworm-security`). Other suites come from the same mirrors."""
    codename = dict(re.findall(r'^(\w+)="?([^"\n]*)"?$', os_release.read_text(), re.M)).get("VERSION_CODENAME", "")
    found: dict[str, str] = {}
    for uri, suites in apt_sources(root):
        for suite in suites:
            kind = "archive" if suite == codename else "security" if suite == f"{codename}-security" else ""
            if kind:
                found.setdefault(kind, uri.rstrip("/"))
    if set(found) != {"archive", "security"}:
        raise ArchiveError(f"no {codename} and {codename}-security entries in {root}/sources.list*: cannot tell which Debian mirror to use")
    return found["archive"], found["security"]


def download(packages: list[str], dest: Path, *, architecture: str = "amd64", suite: str = "") -> list[Path]:
    """Download packages (no dependencies) into dest with a private apt state; returns the .deb files.

    suite: '' uses this machine's own sources; a suite name (`sid`) uses only that suite of this machine's mirror.
    """
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="apt-") as scratch:
        state = Path(scratch)
        (state / "lists" / "partial").mkdir(parents=True)
        (state / "cache" / "archives" / "partial").mkdir(parents=True)
        (state / "status").touch()
        options = [
            "-o", f"APT::Architecture={architecture}", "-o", f"APT::Architectures::={architecture}",
            "-o", f"Dir::State={state}", "-o", f"Dir::State::Lists={state / 'lists'}",
            "-o", f"Dir::State::status={state / 'status'}", "-o", f"Dir::Cache={state / 'cache'}",
            "-o", "Debug::NoLocking=1", "-o", "APT::Sandbox::User=root", "-qq",
        ]  # fmt: skip
        if suite:
            (state / "sources.list").write_text(f"deb {mirrors()[0]} {suite} main\n")
            options += ["-o", f"Dir::Etc::SourceList={state / 'sources.list'}", "-o", "Dir::Etc::SourceParts=/dev/null"]
        # An index that fails elsewhere (a security mirror mid-sync) is reported by the download if it was needed.
        subprocess.run(["apt-get", *options, "update"], capture_output=True, text=True, check=False)
        before = set(dest.glob("*.deb"))
        fetched = subprocess.run(["apt-get", *options, "download", *packages], cwd=dest, capture_output=True, text=True, check=False)
        if fetched.returncode != 0:
            raise ArchiveError(f"apt-get download {' '.join(packages)} ({suite or 'this release'}, {architecture}) failed: {fetched.stderr.strip()[-800:]}")
        return sorted(set(dest.glob("*.deb")) - before)
