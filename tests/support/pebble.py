# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""pebble 2.10, Let's Encrypt's test ACME server, with ACME profiles, for the certificate tests.

Debian 12 carries pebble 2.4 and Debian 13 pebble 2.6: neither has profiles, and both put an IP identifier in the
common name, which certbot refuses. Debian's `sid` carries 2.10, a static Go build whose package depends on libc6
only; its two programs (pebble and pebble-challtestsrv) are unpacked into a cache, and nothing is installed.

`serve()` runs pebble with Let's Encrypt's three profiles of today (`classic`, `tlsserver`, `shortlived`), and
pebble-challtestsrv as its DNS server, which answers every name with 127.0.0.1. Both listen on loopback ports,
or inside a network namespace the caller made. pebble's validation requests go to the name's (or the IP address's)
port `http_port`: the gateway's nginx answers there.

Command line (stdlib only)::

    python3 tests/support/pebble.py prepare    # fetch and unpack once; prints the directory of the programs
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import typing as t
import urllib.request
from dataclasses import dataclass
from pathlib import Path

if __package__:
    from .build_cache import build_once
    from .debian_archive import ArchiveError, download
else:  # run as a script
    from build_cache import build_once  # type: ignore[import-not-found,no-redef]
    from debian_archive import ArchiveError, download  # type: ignore[import-not-found,no-redef]

CACHE = Path(os.environ.get("OLLAMA_PROXY_ROOTFS_CACHE", "/var/cache/ollama-remote-proxy")) / "pebble"
SUITE = "sid"
MINIMUM_VERSION = (2, 10)
PEBBLE = CACHE / "usr/bin/pebble"
CHALLTESTSRV = CACHE / "usr/bin/pebble-challtestsrv"
# Let's Encrypt's profiles (letsencrypt.org/docs/profiles), as long as they last today: `classic` 90 days (until
# 2027-02-10), `tlsserver` 45 days, `shortlived` 160 hours. pebble picks one at random for an order that names none,
# so the tests name one.
PROFILES = {
    "classic": {"description": "as Let's Encrypt's classic", "validityPeriod": 90 * 86400},
    "tlsserver": {"description": "as Let's Encrypt's tlsserver", "validityPeriod": 45 * 86400},
    "shortlived": {"description": "as Let's Encrypt's shortlived", "validityPeriod": 160 * 3600},
}
# The listener certificate outlives every clock the tests move forward (faketime) to reach a renewal.
LISTENER_DAYS = 120
START_TIMEOUT = 15.0


def package_version(deb: Path) -> tuple[int, ...]:
    """The upstream version of a pebble package (2.10.0+ds1-2 -> (2, 10, 0)); pebble itself prints "dev"."""
    field = subprocess.run(["dpkg-deb", "-f", str(deb), "Version"], capture_output=True, text=True, check=True).stdout
    upstream = field.strip().split(":")[-1].split("-")[0].split("+")[0]
    return tuple(int(part) for part in upstream.split(".") if part.isdigit())


def available() -> str:
    """Why pebble with profiles cannot run here, or "" when it can."""
    if not (CACHE / ".complete").exists():
        return f"pebble {'.'.join(map(str, MINIMUM_VERSION))} is not prepared in {CACHE} (python3 tests/support/pebble.py prepare)"
    return ""


def _unpack(partial: Path) -> None:
    with tempfile.TemporaryDirectory() as work:
        (deb,) = download(["pebble"], Path(work), suite=SUITE)
        found = package_version(deb)
        if found < MINIMUM_VERSION:
            raise ArchiveError(f"{SUITE}'s pebble is {'.'.join(map(str, found))}; the tests need {'.'.join(map(str, MINIMUM_VERSION))} or later")
        subprocess.run(["dpkg-deb", "-x", str(deb), str(partial)], check=True, capture_output=True)


def prepare() -> Path:
    """Fetch and unpack sid's pebble once; concurrent callers wait. Returns the cache directory."""
    return build_once(CACHE, _unpack)


@dataclass
class Pebble:
    directory_url: str
    management_port: int
    ca_file: Path  # the CA of pebble's own HTTPS listener
    http_port: int

    def root(self) -> bytes:
        """pebble's root CA (PEM), made afresh at each start."""
        context = ssl.create_default_context(cafile=str(self.ca_file))
        with urllib.request.urlopen(f"https://127.0.0.1:{self.management_port}/roots/0", context=context, timeout=10) as response:
            return t.cast(bytes, response.read())


def _listener_files(directory: Path) -> Path:
    """A throw-away CA and a certificate for pebble's HTTPS listener on 127.0.0.1; returns the CA file."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    start, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=LISTENER_DAYS)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pebble listener test CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    leaf = (
        x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    (directory / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (directory / "listener.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (directory / "listener.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return directory / "ca.pem"


def _free_ports(count: int) -> list[int]:
    """Distinct ports free on this machine's loopback now (a new network namespace has them all free)."""
    ports: list[int] = []
    while len(ports) < count:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        ports += [port] if port not in ports else []
    return ports


def in_namespace(command: list[str], netns: str | None) -> list[str]:
    return ["ip", "netns", "exec", netns, *command] if netns else command


@contextlib.contextmanager
def serve(directory: Path, *, netns: str | None = None) -> t.Iterator[Pebble]:
    """pebble and its DNS server, until the block ends; their logs stay in directory."""
    reason = available()
    if reason:
        raise ArchiveError(reason)
    ca_file = _listener_files(directory)
    acme_port, management_port, dns_port, http_port, tls_port, dns_management_port = _free_ports(6)
    config = {
        "pebble": {
            "listenAddress": f"127.0.0.1:{acme_port}",
            "managementListenAddress": f"127.0.0.1:{management_port}",
            "certificate": str(directory / "listener.pem"),
            "privateKey": str(directory / "listener.key"),
            "httpPort": http_port,
            "tlsPort": tls_port,
            "ocspResponderURL": "",
            "externalAccountBindingRequired": False,
            "profiles": PROFILES,
        }
    }
    (directory / "pebble.json").write_text(json.dumps(config))
    # DNS only: the challenge servers stay off, since the gateway's nginx answers http-01.
    dns_command = [
        str(CHALLTESTSRV), "-dnsserver", f"127.0.0.1:{dns_port}", "-management", f"127.0.0.1:{dns_management_port}",
        "-http01", "", "-https01", "", "-tlsalpn01", "", "-doh", "", "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "",
    ]  # fmt: skip
    pebble_command = [str(PEBBLE), "-config", str(directory / "pebble.json"), "-dnsserver", f"127.0.0.1:{dns_port}", "-strict=false"]
    # No sleep before validations, every nonce accepted, no authorization reused: each order validates anew.
    env = dict(os.environ, PEBBLE_VA_NOSLEEP="1", PEBBLE_WFE_NONCEREJECT="0", PEBBLE_AUTHZREUSE="0")
    with (directory / "challtestsrv.log").open("w") as dns_log, (directory / "pebble.log").open("w") as pebble_log:
        processes = [
            subprocess.Popen(in_namespace(dns_command, netns), stdout=dns_log, stderr=subprocess.STDOUT),
            subprocess.Popen(in_namespace(pebble_command, netns), stdout=pebble_log, stderr=subprocess.STDOUT, env=env),
        ]
        instance = Pebble(f"https://127.0.0.1:{acme_port}/dir", management_port, ca_file, http_port)
        try:
            _wait_for_directory(instance, netns, directory / "pebble.log")
            yield instance
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=10)


def _wait_for_directory(instance: Pebble, netns: str | None, log: Path) -> None:
    probe = (
        "import json, ssl, sys, urllib.request\n"
        f"context = ssl.create_default_context(cafile={str(instance.ca_file)!r})\n"
        f"with urllib.request.urlopen({instance.directory_url!r}, context=context, timeout=2) as answer:\n"
        "    sys.exit(0 if 'newOrder' in json.load(answer) else 1)\n"
    )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if subprocess.run(in_namespace([sys.executable, "-c", probe], netns), capture_output=True, timeout=30, check=False).returncode == 0:
            return
        time.sleep(0.2)
    raise ArchiveError(f"pebble's directory did not answer within {START_TIMEOUT:.0f} s: {log.read_text()[-2000:]}")


def main(argv: list[str]) -> int:
    if argv != ["prepare"]:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        print(prepare())
    except (ArchiveError, subprocess.SubprocessError) as error:
        print(f"pebble: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
