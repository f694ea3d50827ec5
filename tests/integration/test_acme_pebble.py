"""The gateway with gateway_tls_mode acme for a DNS name, against pebble 2.10 (tests/support/pebble.py).

pebble-challtestsrv answers every A query with 127.0.0.1, so pebble validates http-01 by asking the gateway's nginx
on 127.0.0.1 for /.well-known/acme-challenge/<token> on the gateway's HTTP port (pebble's httpPort). The DNS name asks
for the `classic` profile (90 days); test_acme_ip_address.py covers an IP address and the `shortlived` profile.

The role converges this machine's nginx (hence the system_nginx lock), installs certbot from PyPI into its
virtualenv, and keeps certbot's state in a temporary directory. Renewal timing is tested with the clock moved
forward (faketime) for certbot alone: pebble still signs in real time.
"""

from __future__ import annotations

import datetime
import shutil
import socket
import ssl
import subprocess
import time
import typing as t
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests.support import pebble as pebble_server

from .conftest import free_port, run_playbook

NAME = "gateway.pebble.test"
RENEW_COMMAND = Path("/usr/local/sbin/ollama-acme-renew")
CRON_FILE = Path("/etc/cron.d/ollama-acme-renew")
CERTIFICATE = Path("/etc/nginx/ollama-gateway/tls/fullchain.pem")
FAKETIME = shutil.which("faketime")

pytestmark = pytest.mark.skipif(bool(pebble_server.available()), reason=pebble_server.available() or "pebble is prepared")
Pebble = pebble_server.Pebble


def wait_for(check: t.Callable[[], bool], what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} within {timeout} s")


@pytest.fixture(scope="module")
def pebble(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[Pebble]:
    with pebble_server.serve(tmp_path_factory.mktemp("pebble")) as instance:
        yield instance


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
        "acme_profile": "classic",  # pebble picks a profile at random for an order that names none
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


def renew_at(offset: str) -> subprocess.CompletedProcess[str]:
    """What the schedule runs, with certbot's clock moved forward by offset (faketime: "+50d", "+62d")."""
    assert FAKETIME, "faketime (Debian package faketime) moves certbot's clock; scripts/bootstrap --tests installs it"
    return subprocess.run([FAKETIME, "-f", offset, str(RENEW_COMMAND)], capture_output=True, text=True, timeout=120, check=False)


def renewal_conf(gateway: Gateway) -> str:
    return (Path(gateway.play_vars["acme_certbot_config_dir"]) / "renewal" / "ollama-gateway.conf").read_text()


def test_a_90_day_certificate_renews_at_two_thirds_of_its_life(gateway: Gateway) -> None:
    """The `classic` profile lasts 90 days, and pebble's ARI window is around day 60, as certbot's own rule says. A fixed
    "30 days before expiry" would agree here; test_acme_ip_address.py shows where it does not. The profile is kept."""
    served = served_certificate(gateway.https_port)
    assert abs(served.not_valid_after_utc - served.not_valid_before_utc - datetime.timedelta(days=90)) < datetime.timedelta(minutes=1)
    assert "preferred_profile = classic" in renewal_conf(gateway)
    assert "renew_before_expiry" not in "".join(line for line in renewal_conf(gateway).splitlines() if not line.startswith("#"))
    early = renew_at("+50d")
    assert early.returncode == 0, early.stdout + early.stderr
    assert served_certificate(gateway.https_port).serial_number == served.serial_number
    assert "ari_retry_after" in renewal_conf(gateway), "certbot asked the CA's renewal information (ARI)"
    due = renew_at("+62d")  # past the end of pebble's ARI window (day 59 to 61) and certbot's day 60
    assert due.returncode == 0, due.stdout + due.stderr
    wait_for(lambda: served_certificate(gateway.https_port).serial_number != served.serial_number, "nginx serves the renewed certificate")


def check_expiry(gateway: Gateway, offset: str = "") -> t.Any:
    """tasks_from: check_expiry against the served certificate and the file, with the clock moved by offset."""
    task = {
        "name": "Check expiry",
        "ansible.builtin.include_role": {"name": "ollama_remote.proxy.acme", "tasks_from": "check_expiry"},
        "vars": {
            "acme_expiry_host": "127.0.0.1",
            "acme_expiry_port": gateway.https_port,
            "acme_expiry_server_name": NAME,
            "acme_expiry_certificate_path": str(CERTIFICATE),
        },
    }
    return run_playbook([task], faketime=offset)


@pytest.mark.parametrize(("offset", "passes"), [("", True), ("+70d", True), ("+80d", False)])
def test_the_expiry_check_follows_a_90_day_lifetime(gateway: Gateway, offset: str, passes: bool) -> None:
    """Halfway between the renewal point (30 days left) and the end: quiet with 20 days left, failing with 10."""
    run = check_expiry(gateway, offset)
    assert (run.rc == 0) is passes, run.output[-3000:]
    assert ("its renewal is failing" in run.output) is not passes
