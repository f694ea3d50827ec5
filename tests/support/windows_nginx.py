# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The official nginx for Windows (nginx.org's build, 32-bit) run under Wine, for the tests of the Windows configuration.

Nothing system-wide changes: Debian's 32-bit Wine and the few i386 packages it needs are fetched with a private apt
state (this machine's own sources, architecture i386) and unpacked into a private root, whose loader runs Wine; the
nginx zip comes from PyPI's ``soda-nginx`` wheel for win_amd64, which carries nginx.org's zip, checked against its
SHA-256. The Windows prefix ``C:/nginx`` is a link to a directory the test fills, as the role fills C:/nginx.

Wine is not Windows. Two things that work on Windows fail under Wine:

* ``nginx -t`` while an nginx on the same ports runs (seen with Debian 12's Wine 8: ``bind() ... failed (10013)``),
  and for the same reason a reload that keeps the ports: nginx for Windows binds the ports even to test, and Windows
  lets it re-bind them with SO_REUSEADDR where Wine does not. Tests check a configuration before starting nginx, or
  on a copy of the prefix, and start a new nginx instead of reloading.
* ``WSAID_TRANSMITPACKETS`` notices in the error log are Wine's, and harmless.

Command line (stdlib only)::

    python3 tests/support/windows_nginx.py prepare    # fetch and unpack once; exits non-zero when that fails
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import typing as t
import zipfile
from pathlib import Path

if __package__:
    from .build_cache import build_once
    from .debian_archive import ArchiveError, download
else:  # run as a script
    from build_cache import build_once  # type: ignore[import-not-found,no-redef]
    from debian_archive import ArchiveError, download  # type: ignore[import-not-found,no-redef]

CACHE = Path(os.environ.get("OLLAMA_PROXY_ROOTFS_CACHE", "/var/cache/ollama-remote-proxy")) / "windows-nginx"
NGINX_VERSION = "1.27.5"
NGINX_WHEEL = "soda-nginx==2025.5.13.5"
NGINX_ZIP = "soda_nginx_bin/nginx.zip"
# nginx.org's nginx-1.27.5.zip, as the wheel carries it.
NGINX_ZIP_SHA256 = "7ca07528f52c02df33735fedbb9cf822d38079f26c3d9f2774ed512af4fdafd4"
# Wine's 32-bit loader and DLLs, the C library they run on, and the zlib DLL Wine's user32 needs; what else
# libwine depends on (X11, sound, fonts) only adds features nginx does not use.
WINE_PACKAGES = ["wine32", "libwine", "libc6", "libgcc-s1", "libz-mingw-w64"]
WINDOWS_PREFIX = "C:/nginx"
START_TIMEOUT = 60.0


class WineUnavailable(RuntimeError):
    """Wine or nginx for Windows could not be prepared or does not run here."""


def _run(command: list[str], **kwargs: t.Any) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    if result.returncode != 0:
        raise WineUnavailable(f"{' '.join(command[:3])} ... failed: {(result.stderr or result.stdout).strip()[-800:]}")
    return result


def _fetch_wine(root: Path, work: Path) -> None:
    debs = download(WINE_PACKAGES, work / "debs", architecture="i386")
    # libgcc-s1 needs its compiler's base package, whose name carries the GCC version of the release.
    libgcc = next(deb for deb in debs if deb.name.startswith("libgcc-s1_"))
    depends = _run(["dpkg-deb", "-f", str(libgcc), "Depends"]).stdout
    debs += download(sorted(set(re.findall(r"\b(gcc-\d+-base)\b", depends))), work / "debs", architecture="i386")
    for deb in debs:
        _run(["dpkg-deb", "-x", str(deb), str(root)])
    # One lib directory, as on a merged-/usr system: Wine finds its DLLs relative to the loader it runs under.
    if (root / "lib").is_dir() and not (root / "lib").is_symlink():
        shutil.copytree(root / "lib", root / "usr/lib", symlinks=True, dirs_exist_ok=True)
        shutil.rmtree(root / "lib")
        (root / "lib").symlink_to("usr/lib")
    # Wine's programs name /lib/ld-linux.so.2 as their loader, which this machine lacks; they run under the private
    # root's loader instead, through scripts where Wine looks for them (it starts each new process the same way).
    libs, wine_dir = root / "usr/lib/i386-linux-gnu", root / "usr/lib/wine"
    (wine_dir / "wine").rename(wine_dir / "wine.elf")
    for script, program in (
        (wine_dir / "wine", "wine/wine.elf"),
        (libs / "wine.elf", "wine/wine.elf"),
        (wine_dir / "wineserver", "wine/wineserver32"),
        (libs / "wineserver", "wine/wineserver32"),
    ):
        # Paths relative to the script, so the root can move.
        loader = '"$lib/i386-linux-gnu/ld-linux.so.2" --library-path "$lib/i386-linux-gnu"'
        script.write_text(f'#!/bin/sh\nlib=$(cd "$(dirname "$0")/.." && pwd)\nexec {loader} "$lib/{program}" "$@"\n')
        script.chmod(0o755)
    # Wine 10 (Debian 13) looks for its data relative to the loader as share/wine/wine; Debian installs share/wine.
    if not (root / "usr/share/wine/wine").exists():
        (root / "usr/share/wine/wine").symlink_to(".")


def _fetch_nginx(work: Path) -> bytes:
    _run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "--platform", "win_amd64", "--dest", str(work), NGINX_WHEEL])
    wheel = next(work.glob("soda_nginx-*.whl"))
    archive = zipfile.ZipFile(wheel).read(NGINX_ZIP)
    digest = hashlib.sha256(archive).hexdigest()
    if digest != NGINX_ZIP_SHA256:
        raise WineUnavailable(f"{NGINX_ZIP} in {wheel.name} has SHA-256 {digest}, not nginx.org's {NGINX_ZIP_SHA256}")
    return archive


def _build(partial: Path) -> None:
    (partial / "root").mkdir()
    with tempfile.TemporaryDirectory() as work:
        _fetch_wine(partial / "root", Path(work))
        archive = _fetch_nginx(Path(work))
        dist = partial / "dist"
        dist.mkdir()
        (dist / f"nginx-{NGINX_VERSION}.zip").write_bytes(archive)
        with zipfile.ZipFile(dist / f"nginx-{NGINX_VERSION}.zip") as unpacked:
            unpacked.extractall(dist)
    wine = Wine(partial)
    wine.run(["cmd", "/c", "exit"], timeout=300)  # makes the Windows prefix
    wine.stop()
    shutil.copy(partial / "root/usr/i686-w64-mingw32/lib/zlib1.dll", wine.drive_c / "windows/system32/zlib1.dll")
    if "nginx/" + NGINX_VERSION not in wine.run([str(wine.nginx_exe), "-v"]).stderr:
        raise WineUnavailable("nginx for Windows does not run under Wine here")


def prepare() -> Path:
    """The private Wine root, its Windows prefix and the unpacked nginx, made once; concurrent callers wait."""
    return build_once(CACHE, _build)


class Wine:
    """The prepared Wine root and its one Windows prefix (the server process is shared by everything run in it)."""

    def __init__(self, home: Path = CACHE) -> None:
        self.home = home
        self.drive_c = home / "prefix" / "drive_c"
        self.nginx_exe = home / "dist" / f"nginx-{NGINX_VERSION}" / "nginx.exe"
        # WINELOADERNOEXEC: no re-exec through a preloader (Debian's is not unpacked); WINEDLLPATH: the zlib DLL.
        self.env = dict(os.environ, WINEPREFIX=str(home / "prefix"), WINEARCH="win32", WINEDEBUG="-all", WINELOADERNOEXEC="1")
        self.env["WINEDLLPATH"] = str(home / "root/usr/i686-w64-mingw32/lib")
        self.env.pop("DISPLAY", None)

    def command(self, args: list[str]) -> list[str]:
        return [str(self.home / "root/usr/lib/wine/wine"), *args]

    def run(self, args: list[str], *, cwd: Path | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.command(args), cwd=cwd, env=self.env, capture_output=True, text=True, timeout=timeout, check=False)

    def stop(self) -> None:
        """End every process of the prefix (nginx too), and the Wine server."""
        subprocess.run([str(self.home / "root/usr/lib/wine/wineserver"), "-k"], env=self.env, capture_output=True, timeout=60, check=False)


def available() -> str:
    """Why nginx for Windows cannot run here, or "" when it can."""
    if not (CACHE / ".complete").exists():
        return f"nginx for Windows under Wine is not prepared in {CACHE} (python3 tests/support/windows_nginx.py prepare)"
    return ""


def _answers(host: str, port: int) -> bool:
    """Whether a worker answers on the port. An accepted connection is not enough: nginx for Windows opens the ports
    in the master, closes them, and only then starts the worker, which opens them again (ngx_master_process_cycle in
    src/os/win32/ngx_process_cycle.c), so a connection can be accepted just before the ports are closed for a moment.
    A plain request gets an answer on an HTTP port and on an HTTPS one (400, plain HTTP sent to the HTTPS port)."""
    try:
        with socket.create_connection((host, port), timeout=2) as probe:
            probe.sendall(b"GET / HTTP/1.0\r\n\r\n")
            return bool(probe.recv(1))
    except OSError:
        return False


class WindowsNginx:
    """nginx.exe serving the directory `prefix` as C:/nginx, started as Shawl starts it: -p C:/nginx/, working
    directory the prefix, in the foreground (the role's nginx.conf says `daemon off;`)."""

    def __init__(self, prefix: Path) -> None:
        self.wine = Wine()
        self.prefix = prefix
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> WindowsNginx:
        self.link()
        return self

    def link(self) -> None:
        """Make this prefix C:/nginx (the Wine prefix has one C: drive, shared by every WindowsNginx)."""
        link = self.wine.drive_c / "nginx"
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(self.prefix, target_is_directory=True)

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def nginx(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """nginx.exe with the role's -p, e.g. nginx("-t")."""
        return self.wine.run([str(self.wine.nginx_exe), "-p", f"{WINDOWS_PREFIX}/", *args], cwd=self.prefix, timeout=timeout)

    def start(self, port: int, host: str = "127.0.0.1") -> None:
        self.process = subprocess.Popen(
            self.wine.command([str(self.wine.nginx_exe), "-p", f"{WINDOWS_PREFIX}/"]), cwd=self.prefix, env=self.wine.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx for Windows exited with {self.process.returncode}: {self.error_log()[-2000:]}")
            with contextlib.suppress(OSError):
                socket.create_connection((host, port), timeout=1).close()
                return
            time.sleep(0.1)
        raise RuntimeError(f"nginx for Windows did not listen on {host}:{port} within {START_TIMEOUT:.0f} s: {self.error_log()[-2000:]}")

    def stop(self) -> None:
        """Stop the nginx this object started (and with it the Wine server); nothing when it started none."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.link()
            self.nginx("-s", "stop")
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=15)
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)
        self.process = None
        self.wine.stop()

    def error_log(self) -> str:
        log = self.prefix / "logs" / "error.log"
        return log.read_text(errors="replace") if log.exists() else ""


def main(argv: list[str]) -> int:
    if argv != ["prepare"]:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        print(prepare())
    except (WineUnavailable, ArchiveError, subprocess.SubprocessError) as error:
        print(f"windows_nginx: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
