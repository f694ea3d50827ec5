"""Container hosts for molecule and the rollout tests: Debian 12 or 13 under systemd-nspawn, systemd as PID 1, sshd on
loopback.

The containers share this machine's network (there is no Docker or podman here), so each host is one address in
127.0.2.0/24: its sshd, its nginx and the Ollama test double standing in for its Ollama all listen there and
nowhere else. The double runs on this machine; the host reaches it through the shared network. Each release's root
file system is made once with debootstrap, from the Debian mirror this machine's own apt sources name, into a cache
outside the checkout, and copied per host; each state directory has its own SSH key.

Command line (stdlib only, so any python3 runs it)::

    python3 tests/containers/hosts.py rootfs [bookworm|trixie ...]         # build the cached root file systems
    python3 tests/containers/hosts.py up --state DIR gw1=127.0.2.11 gw2=127.0.2.12@trixie ...
                                                                           # start hosts, print them as JSON
    python3 tests/containers/hosts.py ollama --state DIR stop|start gw1   # take a host's Ollama away, or back
    python3 tests/containers/hosts.py down --state DIR [gw1 ...]           # stop hosts (all without names)
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

if __package__:
    from ..support.debian_archive import mirrors
else:  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
    from debian_archive import mirrors  # type: ignore[import-not-found,no-redef]

CACHE = Path(os.environ.get("OLLAMA_PROXY_ROOTFS_CACHE", "/var/cache/ollama-remote-proxy"))
RELEASES = ("bookworm", "trixie")
DEFAULT_RELEASE = "bookworm"
LOCAL_CAS = Path("/usr/local/share/ca-certificates")
# python3-apt for ansible.builtin.apt, iproute2 for the ollama role's `ss`; nginx comes from the gateway role.
PACKAGES = "python3,python3-apt,systemd,systemd-sysv,dbus,openssh-server,iproute2,ca-certificates"
SSH_PORT = 2222
OLLAMA_PORT = 11500
# The double's package, run as a script (python runs a directory's __main__.py); stop_ollama finds it by this path.
OLLAMA_DOUBLE = Path(__file__).resolve().parents[1] / "support" / "ollama_double"
# A gated test stream (X-Test-Stream-Id) holds its rest this long: the verify playbook's unbuffered-stream probe.
OLLAMA_GATE_SECONDS = 0.5
NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
BOOT_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0


@dataclass
class Host:
    """One container host as molecule's instance config (and an Ansible inventory) describes it."""

    instance: str
    address: str
    port: int
    user: str
    identity_file: str


def run(*command: str | Path) -> None:
    """Run a command; its output goes to stderr, leaving stdout to this script's JSON."""
    subprocess.run([str(part) for part in command], check=True, stdout=sys.stderr)


def rootfs(release: str) -> Path:
    return CACHE / f"rootfs-{release}"


def build_rootfs(release: str = DEFAULT_RELEASE) -> Path:
    """The release's cached root file system, built on first use; concurrent callers wait for one build."""
    if release not in RELEASES:
        raise ValueError(f"{release!r} is not one of the tested releases {', '.join(RELEASES)}")
    CACHE.mkdir(parents=True, exist_ok=True)
    root = rootfs(release)
    with (CACHE / f"rootfs-{release}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (root / ".complete").exists():
            return root
        archive, security = mirrors()
        partial = CACHE / f"rootfs-{release}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        run("debootstrap", "--variant=minbase", f"--include={PACKAGES}", release, partial, archive)
        run("chroot", partial, "apt-get", "clean")
        # Package scripts must not start services: the container shares this machine's network, and nginx's
        # default site would take port 80 on every address. The roles start what they manage themselves.
        policy = partial / "usr/sbin/policy-rc.d"
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
        (partial / "etc/apt/sources.list").write_text(
            f"deb {archive} {release} main\ndeb {archive} {release}-updates main\ndeb {security} {release}-security main\n"
        )
        # Downloaded now, installed by the gateway role: a converge needs no download.
        run("chroot", partial, "apt-get", "update", "-qq")
        run("chroot", partial, "apt-get", "install", "-qq", "--download-only", "nginx")
        for key in (partial / "etc/ssh").glob("ssh_host_*"):
            key.unlink()  # each host makes its own
        (partial / ".complete").touch()
        partial.rename(root)
        return root


def ssh_key(state: Path) -> Path:
    """The state directory's SSH key, made on first use."""
    key = state / "id_ed25519"
    if not key.exists():
        state.mkdir(parents=True, exist_ok=True)
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "container-hosts", "-f", key)
    return key


def path(state: Path, name: str, suffix: str = "") -> Path:
    """A host's root directory, or with a suffix its .pid, .log, .ollama.pid or .ollama.log file."""
    if not NAME.match(name):
        raise ValueError(f"{name!r} is not a host name (lower-case letters, digits and -)")
    return state / "hosts" / f"{name}{suffix}"


def prepare(state: Path, name: str, address: str, release: str) -> None:
    """A fresh copy of the release's root file system with its own host keys, sshd address and authorized key."""
    root = path(state, name)
    shutil.rmtree(root, ignore_errors=True)
    root.parent.mkdir(parents=True, exist_ok=True)
    run("cp", "-a", "--reflink=auto", build_rootfs(release), root)
    run("ssh-keygen", "-q", "-A", "-f", root)
    # The host trusts what this machine trusts (a TLS-inspecting egress, say), so it reaches PyPI as this machine does.
    local_cas = sorted(LOCAL_CAS.glob("*.crt"))
    if local_cas:
        shutil.copytree(LOCAL_CAS, root / LOCAL_CAS.relative_to("/"), dirs_exist_ok=True)
        run("chroot", root, "update-ca-certificates")
    (root / "etc/hostname").write_text(f"{name}\n")
    (root / "etc/ssh/sshd_config.d/container-host.conf").write_text(
        f"ListenAddress {address}:{SSH_PORT}\nPermitRootLogin prohibit-password\nPasswordAuthentication no\nUseDNS no\n"
    )
    ssh_dir = root / "root/.ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    authorized = ssh_dir / "authorized_keys"
    authorized.write_text(Path(f"{ssh_key(state)}.pub").read_text())
    authorized.chmod(0o600)


def spawn(command: list[str], pid_file: Path, log_file: Path) -> int:
    """Start a process that outlives this command (molecule runs it from a task) and record its pid."""
    with log_file.open("ab") as log:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    pid_file.write_text(f"{process.pid}\n")
    return process.pid


def boot(state: Path, name: str) -> int:
    # --register=no --keep-unit: there is no system bus for machined here.
    command = ["systemd-nspawn", "-q", "-D", str(path(state, name)), "--register=no", "--keep-unit", "--console=passive", "-b", "-M", name]
    return spawn(command, path(state, name, ".pid"), path(state, name, ".log"))


def check_free(address: str, port: int) -> None:
    """Fail when something listens on address:port. SO_REUSEADDR, as servers set it: connections of a stopped server
    that linger in TIME_WAIT do not count."""
    try:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((address, port))
    except OSError as error:
        raise RuntimeError(f"{address}:{port} is taken ({error.strerror}): is a host of another run still up?") from None


def start_ollama(state: Path, name: str, address: str) -> None:
    check_free(address, OLLAMA_PORT)
    # --no-cloud: as the ollama role leaves a real Ollama (OLLAMA_NO_CLOUD=1), which the health gate checks.
    command = [sys.executable, str(OLLAMA_DOUBLE), "--listen", f"{address}:{OLLAMA_PORT}", "--gate-timeout", str(OLLAMA_GATE_SECONDS), "--no-cloud"]
    pid = spawn(command, path(state, name, ".ollama.pid"), path(state, name, ".ollama.log"))
    path(state, name, ".ollama.address").write_text(address)
    wait_for(address, OLLAMA_PORT, pid, b"")


def wait_for(address: str, port: int, pid: int, greeting: bytes) -> None:
    """Wait until address:port accepts connections (and sends `greeting` first), while process `pid` lives."""
    deadline = time.monotonic() + BOOT_TIMEOUT
    while time.monotonic() < deadline:
        if not alive(pid):
            raise RuntimeError(f"process {pid} exited before {address}:{port} answered")
        try:
            with socket.create_connection((address, port), timeout=2) as conn:
                if not greeting or conn.recv(64).startswith(greeting):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"nothing answered on {address}:{port} within {BOOT_TIMEOUT:.0f} s")


def up(state: Path, hosts: dict[str, str]) -> list[Host]:
    """Start the hosts (replacing any of the same name) with their Ollama doubles; all boot at once.

    `hosts` maps each name to its address, optionally followed by `@release` (Debian 12 without one).
    """
    booting, addresses = [], {}
    for name, spec in hosts.items():
        address, release = spec.partition("@")[::2]
        addresses[name] = address
        if not ipaddress.ip_address(address).is_loopback:
            raise ValueError(f"{name}: {address} is not a loopback address; the hosts share this machine's network")
        stop(state, name)
        check_free(address, SSH_PORT)
        prepare(state, name, address, release or DEFAULT_RELEASE)
        start_ollama(state, name, address)
        booting.append((address, boot(state, name)))
    for address, pid in booting:
        wait_for(address, SSH_PORT, pid, b"SSH-")
    key = str(ssh_key(state))
    return [Host(instance=name, address=address, port=SSH_PORT, user="root", identity_file=key) for name, address in addresses.items()]


def recorded_pid(pid_file: Path, marker: str) -> int | None:
    """The pid in `pid_file` if that process is still ours: its command line contains `marker`."""
    if not pid_file.exists():
        return None
    pid = int(pid_file.read_text())
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    return pid if marker.encode() in command else None


def alive(pid: int) -> bool:
    """Whether a process runs; one that has ended is reaped first if it is this process's child (pytest starts them)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def terminate(pid_file: Path, marker: str) -> None:
    """SIGTERM (systemd-nspawn turns it into a clean shutdown), SIGKILL after a timeout; only a process we started.

    Killed outright, systemd-nspawn would leave its container running, so the SIGKILL also goes to its child, the
    container's init, whose end takes down everything in the container.
    """
    pid = recorded_pid(pid_file, marker)
    if pid is not None:
        inits = children(pid)
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        for straggler in [pid, *inits]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(straggler, signal.SIGKILL)
        while any(alive(straggler) for straggler in [pid, *inits]) and time.monotonic() < deadline + 5:
            time.sleep(0.1)
    pid_file.unlink(missing_ok=True)


def stop_ollama(state: Path, name: str) -> None:
    terminate(path(state, name, ".ollama.pid"), str(OLLAMA_DOUBLE))


def stop(state: Path, name: str) -> None:
    """Power the host off, stop its Ollama double, and remove its files."""
    terminate(path(state, name, ".pid"), str(path(state, name)))
    stop_ollama(state, name)
    shutil.rmtree(path(state, name), ignore_errors=True)
    for suffix in (".log", ".ollama.log", ".ollama.address"):
        path(state, name, suffix).unlink(missing_ok=True)


def down(state: Path, names: list[str]) -> None:
    if not names and (state / "hosts").is_dir():
        found = {entry.name.split(".", 1)[0] for entry in (state / "hosts").glob("*.pid")}
        names = sorted(name for name in found if NAME.match(name))
    for name in names:
        stop(state, name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("rootfs", help="build the cached root file systems")
    build.add_argument("releases", nargs="*", default=list(RELEASES), metavar="RELEASE", help=f"any of {', '.join(RELEASES)} (default: all)")
    start = commands.add_parser("up", help="start hosts and print them as JSON")
    start.add_argument("--state", type=Path, required=True, help="directory for the hosts and their SSH key")
    start.add_argument("hosts", nargs="+", metavar="NAME=ADDRESS[@RELEASE]")
    ollama = commands.add_parser("ollama", help="stop or start a host's Ollama double")
    ollama.add_argument("--state", type=Path, required=True)
    ollama.add_argument("action", choices=["stop", "start"])
    ollama.add_argument("name")
    finish = commands.add_parser("down", help="stop and remove hosts")
    finish.add_argument("--state", type=Path, required=True)
    finish.add_argument("names", nargs="*", metavar="NAME")
    args = parser.parse_args(argv)
    if args.command == "rootfs":
        for release in args.releases:
            print(build_rootfs(release))
    elif args.command == "up":
        hosts = dict(spec.split("=", 1) for spec in args.hosts)
        print(json.dumps([asdict(host) for host in up(args.state.resolve(), hosts)]))
    elif args.command == "ollama":
        state = args.state.resolve()
        stop_ollama(state, args.name)
        if args.action == "start":
            start_ollama(state, args.name, path(state, args.name, ".ollama.address").read_text())
    else:
        down(args.state.resolve(), args.names)
    return 0


if __name__ == "__main__":
    sys.exit(main())
