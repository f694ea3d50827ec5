"""The gateway with gateway_tls_mode acme, against pebble, the test ACME server Let's Encrypt publishes.

pebble (Debian's package) and pebble-challtestsrv (its DNS) listen on loopback ports only. challtestsrv answers
every A query with 127.0.0.1, so pebble validates http-01 by asking the gateway's nginx on 127.0.0.1 for
/.well-known/acme-challenge/<token> on the gateway's HTTP port (pebble's httpPort). The name is a DNS name: pebble
2.4 puts an IP identifier in the certificate's common name, which certbot refuses to read back (Let's Encrypt does
not); IP identifiers are covered by the unit tests of the command lines.

The role converges this machine's nginx (hence the system_nginx lock), installs certbot from PyPI into its
virtualenv, and keeps certbot's state in a temporary directory.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import socket
import ssl
import subprocess
import time
import typing as t
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .conftest import free_port, run_playbook

PEBBLE = shutil.which("pebble")
CHALLTESTSRV = shutil.which("pebble-challtestsrv")
NAME = "gateway.pebble.test"
RENEW_COMMAND = Path("/usr/local/sbin/ollama-acme-renew")
CRON_FILE = Path("/etc/cron.d/ollama-acme-renew")
CERTIFICATE = Path("/etc/nginx/ollama-gateway/tls/fullchain.pem")

pytestmark = pytest.mark.skipif(not (PEBBLE and CHALLTESTSRV), reason="pebble and pebble-challtestsrv (Debian package pebble) are needed")


def make_tls_files(directory: Path) -> Path:
    """A throw-away CA and a certificate for pebble's own HTTPS listener on 127.0.0.1; returns the CA file."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pebble listener test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    import ipaddress

    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    (directory / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (directory / "listener.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (directory / "listener.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return directory / "ca.pem"


@dataclass
class Pebble:
    directory_url: str
    management_port: int
    ca_file: Path
    http_port: int

    def root(self) -> bytes:
        """pebble's root CA, made afresh at each start."""
        context = ssl.create_default_context(cafile=str(self.ca_file))
        with urllib.request.urlopen(f"https://127.0.0.1:{self.management_port}/roots/0", context=context, timeout=10) as response:
            return t.cast(bytes, response.read())


def wait_for(check: t.Callable[[], bool], what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} within {timeout} s")


@pytest.fixture(scope="module")
def pebble(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[Pebble]:
    directory = tmp_path_factory.mktemp("pebble")
    ca_file = make_tls_files(directory)
    ports: list[int] = []
    while len(ports) < 6:  # distinct, though each comes from a socket that is closed again
        port = free_port()
        ports += [port] if port not in ports else []
    acme_port, management_port, dns_port, http_port, tls_port, dns_management_port = ports
    config = {
        "pebble": {
            "listenAddress": f"127.0.0.1:{acme_port}",
            "managementListenAddress": f"127.0.0.1:{management_port}",
            "certificate": str(directory / "listener.pem"),
            "privateKey": str(directory / "listener.key"),
            "httpPort": http_port,  # validation requests go to the gateway's nginx on this port
            "tlsPort": tls_port,
            "ocspResponderURL": "",
            "externalAccountBindingRequired": False,
        }
    }
    (directory / "pebble.json").write_text(json.dumps(config))
    logs = [(directory / "challtestsrv.log").open("w"), (directory / "pebble.log").open("w")]
    # DNS only: every name is 127.0.0.1; the challenge servers stay off (nginx answers http-01). Newer versions (Debian
    # 13's 2.6) also start a DNS-over-HTTPS server on every address unless told not to.
    usage = subprocess.run([str(CHALLTESTSRV), "-h"], capture_output=True, text=True, check=False)
    no_doh = ["-doh", ""] if "-doh" in usage.stdout + usage.stderr else []
    dns = subprocess.Popen(
        [str(CHALLTESTSRV), "-dns01", f"127.0.0.1:{dns_port}", "-http01", "", "-https01", "", "-tlsalpn01", "", *no_doh,
         "-management", f"127.0.0.1:{dns_management_port}", "-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""],
        stdout=logs[0], stderr=subprocess.STDOUT,
    )  # fmt: skip
    env = dict(os.environ, PEBBLE_VA_NOSLEEP="1", PEBBLE_WFE_NONCEREJECT="0", PEBBLE_AUTHZREUSE="0")
    server = subprocess.Popen(
        [str(PEBBLE), "-config", str(directory / "pebble.json"), "-dnsserver", f"127.0.0.1:{dns_port}", "-strict=false"],
        stdout=logs[1], stderr=subprocess.STDOUT, env=env,
    )  # fmt: skip
    instance = Pebble(f"https://127.0.0.1:{acme_port}/dir", management_port, ca_file, http_port)
    try:

        def directory_answers() -> bool:
            try:
                context = ssl.create_default_context(cafile=str(ca_file))
                with urllib.request.urlopen(instance.directory_url, context=context, timeout=2) as response:
                    return "newOrder" in json.load(response)
            except OSError:
                return False

        wait_for(directory_answers, "pebble's directory answers")
        yield instance
    finally:
        for process in (server, dns):
            process.terminate()
            process.wait(timeout=10)
        for log in logs:
            log.close()


@dataclass
class Gateway:
    https_port: int
    play_vars: dict[str, t.Any]
    pebble: Pebble
    first_run: t.Any


REQUEST_TASK = "Request the certificate (certbot's deploy hook installs it and reloads nginx)"


def task_result(run: t.Any, name: str) -> dict[str, t.Any]:
    """The result of the task called `name`, with or without the role prefix the callback adds."""
    return t.cast(dict, next(task["result"] for task in run.tasks if task["name"].split(" : ")[-1] == name))


def served_certificate(port: int) -> x509.Certificate:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, context.wrap_socket(raw, server_hostname=NAME) as tls:
        der = tls.getpeercert(binary_form=True)
    assert der
    return x509.load_der_x509_certificate(der)


@pytest.fixture(scope="module")
def gateway(system_nginx: None, pebble: Pebble, tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[Gateway]:
    https_port = free_port()
    state = tmp_path_factory.mktemp("certbot")
    play_vars = {
        "gateway_server_name": NAME,
        "gateway_listen_addresses": ["127.0.0.1"],
        "gateway_https_port": https_port,
        "gateway_http_port": pebble.http_port,
        "gateway_backends": ["127.0.0.1:9"],
        "gateway_api_keys": [{"name": "acme-test", "key": "k" * 40}],
        "gateway_tls_mode": "acme",
        "acme_terms_agreed": True,
        "acme_directory_url": pebble.directory_url,
        "acme_directory_ca_file": str(pebble.ca_file),
        "acme_certbot_config_dir": str(state / "config"),
        "acme_linux_scheduler": "cron",  # the same everywhere; nothing runs it during the test
    }
    run = run_playbook([], roles=["ollama_remote.proxy.gateway"], play_vars=play_vars)
    assert run.rc == 0, run.output[-6000:]
    try:
        yield Gateway(https_port, play_vars, pebble, run)
    finally:
        CRON_FILE.unlink(missing_ok=True)  # its pebble is gone


def test_nginx_serves_a_certificate_issued_by_pebble(gateway: Gateway) -> None:
    root = x509.load_pem_x509_certificate(gateway.pebble.root())
    served = served_certificate(gateway.https_port)
    assert served.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName) == [NAME]
    assert "Pebble Intermediate CA" in served.issuer.rfc4514_string()
    # The whole chain verifies against pebble's root, for the name.
    context = ssl.create_default_context(cadata=root.public_bytes(serialization.Encoding.PEM).decode())
    with socket.create_connection(("127.0.0.1", gateway.https_port), timeout=10) as raw, context.wrap_socket(raw, server_hostname=NAME) as tls:
        assert tls.version() in ("TLSv1.2", "TLSv1.3")
    assert CERTIFICATE.read_bytes().startswith(served.public_bytes(serialization.Encoding.PEM))
    assert task_result(gateway.first_run, REQUEST_TASK).get("changed") is True


def test_second_converge_requests_nothing(gateway: Gateway) -> None:
    before = served_certificate(gateway.https_port).serial_number
    run = run_playbook([], roles=["ollama_remote.proxy.gateway"], play_vars=gateway.play_vars)
    assert run.rc == 0, run.output[-6000:]
    assert run.stats["changed"] == 0, [task["name"] for task in run.tasks if task["result"].get("changed")]
    assert task_result(run, REQUEST_TASK).get("skipped") is True
    assert served_certificate(gateway.https_port).serial_number == before


def test_renewal_is_scheduled_on_the_host(gateway: Gateway) -> None:
    entry = CRON_FILE.read_text()
    assert f"root {RENEW_COMMAND} --quiet" in entry
    script = RENEW_COMMAND.read_text()
    assert "renew --non-interactive --no-random-sleep-on-renew" in script
    assert gateway.play_vars["acme_certbot_config_dir"] in script


def test_forced_renewal_changes_the_served_certificate_after_the_reload_hook(gateway: Gateway) -> None:
    before = served_certificate(gateway.https_port).serial_number
    # What the schedule runs, forced: certbot renews, then its deploy hook installs the files and reloads nginx.
    renewal = subprocess.run([str(RENEW_COMMAND), "--force-renewal"], capture_output=True, text=True, timeout=120, check=False)
    assert renewal.returncode == 0, renewal.stdout + renewal.stderr

    def serial_changed() -> bool:
        return served_certificate(gateway.https_port).serial_number != before

    wait_for(serial_changed, "nginx serves the renewed certificate")  # a reload lets old workers finish first
    served = served_certificate(gateway.https_port)
    assert "Pebble Intermediate CA" in served.issuer.rfc4514_string()
    assert CERTIFICATE.read_bytes().startswith(served.public_bytes(serialization.Encoding.PEM))


@pytest.mark.parametrize(("fail_days", "passes"), [(30, True), (20000, False)])
def test_expiry_check_fails_when_the_certificate_ends_too_soon(gateway: Gateway, fail_days: int, passes: bool) -> None:
    """pebble's certificates last five years: a 30-day threshold passes, a 20000-day one fails the check."""
    task = {
        "name": "Check expiry",
        "ansible.builtin.include_role": {"name": "ollama_remote.proxy.acme", "tasks_from": "check_expiry"},
        "vars": {
            "acme_expiry_host": "127.0.0.1",
            "acme_expiry_port": gateway.https_port,
            "acme_expiry_server_name": NAME,
            "acme_expiry_fail_days": fail_days,
            "acme_expiry_certificate_path": str(CERTIFICATE),
        },
    }
    run = run_playbook([task])
    assert (run.rc == 0) is passes, run.output[-3000:]
    if not passes:
        assert "its renewal is failing" in run.output
