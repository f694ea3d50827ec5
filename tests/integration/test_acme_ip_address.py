"""A certificate for a bare public IP address, as the user with no domain gets one: gateway_server_name is an IP
address, the role asks for Let's Encrypt's `shortlived` profile, and pebble 2.10 (tests/support/pebble.py) issues
it after an http-01 validation of that address.

The address is 203.0.113.10 (TEST-NET-3: public-looking, routed nowhere), on a veth inside a network namespace this
module makes. Everything that must reach it runs inside that namespace: pebble and its DNS, the Ollama test double,
ansible-playbook, and therefore nginx, which the role starts from there (this machine has no systemd as PID 1, so
`service nginx start` starts it in the caller's namespace). pebble validates by connecting to the address itself, as
Let's Encrypt does.

Renewal timing is tested with certbot's clock moved forward (faketime): a 160-hour certificate must not renew on
every run, as a fixed "30 days before expiry" rule would make it do, and must renew once its time has come.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import os
import subprocess
import sys
import time
import typing as t
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests.support import pebble as pebble_server

from .conftest import REPO, network_namespace, run_playbook

ADDRESS = "203.0.113.10"
HTTPS_PORT = 443  # inside the namespace, nothing else holds the real ports
OLLAMA = "127.0.0.1:11434"
RENEW_COMMAND = Path("/usr/local/sbin/ollama-acme-renew")
CRON_FILE = Path("/etc/cron.d/ollama-acme-renew")
CERTIFICATE = Path("/etc/nginx/ollama-gateway/tls/fullchain.pem")
KEY = "k" * 40
SHORTLIVED = datetime.timedelta(hours=160)
REQUEST_TASK = "Request the certificate (certbot's deploy hook installs it and reloads nginx)"

pytestmark = [
    pytest.mark.skipif(bool(pebble_server.available()), reason=pebble_server.available() or "pebble is prepared"),
    pytest.mark.skipif(Path("/run/systemd/system").is_dir(), reason="systemd would start nginx outside the test's network namespace"),
]


def inside(namespace: str, *command: str, timeout: float = 120, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", "netns", "exec", namespace, *command], capture_output=True, text=True, timeout=timeout, env=env, check=False)


@dataclass
class Gateway:
    namespace: str
    play_vars: dict[str, t.Any]
    pebble: pebble_server.Pebble
    root_file: Path
    first_run: t.Any

    def served(self) -> x509.Certificate:
        """The certificate nginx serves on the address, fetched from inside the namespace."""
        probe = (
            "import base64, socket, ssl, sys\n"
            "context = ssl.create_default_context(); context.check_hostname = False; context.verify_mode = ssl.CERT_NONE\n"
            f"with socket.create_connection(({ADDRESS!r}, {HTTPS_PORT}), timeout=10) as raw, context.wrap_socket(raw) as tls:\n"
            "    sys.stdout.write(base64.b64encode(tls.getpeercert(binary_form=True)).decode())\n"
        )
        fetched = inside(self.namespace, sys.executable, "-c", probe)
        assert fetched.returncode == 0, fetched.stderr
        return x509.load_der_x509_certificate(base64.b64decode(fetched.stdout))

    def served_after(self, serial: int) -> x509.Certificate:
        """The certificate served once it is no longer the one with this serial: a reload lets old workers finish."""
        deadline = time.monotonic() + 15
        while (served := self.served()).serial_number == serial and time.monotonic() < deadline:
            time.sleep(0.2)
        return served

    def renewal_conf(self) -> str:
        return (Path(self.play_vars["acme_certbot_config_dir"]) / "renewal" / "ollama-gateway.conf").read_text()

    def renew(self, *args: str, offset: str = "") -> subprocess.CompletedProcess[str]:
        """What the schedule runs, from inside the namespace, with certbot's clock moved by offset ("+60h")."""
        faketime = ["faketime", "-f", offset] if offset else []
        return inside(self.namespace, *faketime, str(RENEW_COMMAND), *args)


@pytest.fixture(scope="module")
def namespace() -> t.Iterator[str]:
    with network_namespace(f"ogw-acme-ip-{os.getpid()}", ADDRESS) as name:
        yield name


def stop_nginx(namespace: str = "") -> None:
    """Stop this machine's nginx (the init script finds it by its pid file, in any namespace)."""
    command = ["service", "nginx", "stop"]
    subprocess.run(["ip", "netns", "exec", namespace, *command] if namespace else command, capture_output=True, timeout=60, check=False)


@pytest.fixture(scope="module")
def gateway(system_nginx: None, namespace: str, tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[Gateway]:
    double = subprocess.Popen(
        ["ip", "netns", "exec", namespace, sys.executable, str(REPO / "tests/support/ollama_double"), "--listen", OLLAMA, "--no-cloud"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert double.stdout is not None and double.stdout.readline().startswith("listening on")
    stop_nginx()  # the role starts it again, inside the namespace
    try:
        with pebble_server.serve(tmp_path_factory.mktemp("pebble"), netns=namespace) as pebble:
            root_file = tmp_path_factory.mktemp("roots") / "pebble-root.pem"
            root_file.write_bytes(
                inside(namespace, "curl", "-sf", "--cacert", str(pebble.ca_file), f"https://127.0.0.1:{pebble.management_port}/roots/0").stdout.encode()
            )
            play_vars = {
                "gateway_server_name": ADDRESS,
                "gateway_listen_addresses": [ADDRESS],
                "gateway_https_port": HTTPS_PORT,
                "gateway_http_port": pebble.http_port,  # where pebble validates http-01
                "gateway_backends": [OLLAMA],
                "gateway_api_keys": [{"name": "ip-test", "key": KEY}],
                "gateway_tls_mode": "acme",
                "acme_terms_agreed": True,
                "acme_directory_url": pebble.directory_url,
                "acme_directory_ca_file": str(pebble.ca_file),
                "acme_certbot_config_dir": str(tmp_path_factory.mktemp("certbot") / "config"),
                "acme_linux_scheduler": "cron",
            }
            run = run_playbook([], roles=["ollama_remote.proxy.gateway"], play_vars=play_vars, netns=namespace)
            assert run.rc == 0, run.output[-6000:]
            yield Gateway(namespace, play_vars, pebble, root_file, run)
    finally:
        stop_nginx(namespace)
        CRON_FILE.unlink(missing_ok=True)  # its pebble is gone
        double.terminate()
        double.wait(timeout=30)


def test_the_ip_address_gets_a_shortlived_certificate_with_no_common_name(gateway: Gateway) -> None:
    served = gateway.served()
    names = served.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address(ADDRESS)]
    assert names.get_values_for_type(x509.DNSName) == []
    assert served.subject.rfc4514_string() == "", "Let's Encrypt puts no IP address in the common name"
    assert abs(served.not_valid_after_utc - served.not_valid_before_utc - SHORTLIVED) < datetime.timedelta(minutes=1)
    assert "Pebble Intermediate CA" in served.issuer.rfc4514_string()
    assert CERTIFICATE.read_bytes().startswith(served.public_bytes(serialization.Encoding.PEM))
    request = next(task["result"] for task in gateway.first_run.tasks if task["name"].endswith(REQUEST_TASK))
    assert {"--preferred-profile=shortlived", f"--ip-address={ADDRESS}"} <= set(request["cmd"])


def test_the_verify_playbook_passes_against_it(gateway: Gateway, tmp_path: Path) -> None:
    """playbooks/verify.yml from inside the namespace, checking the chain against pebble's root, for the address."""
    inventory = tmp_path / "inventory.yml"
    host = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, **gateway.play_vars}
    inventory.write_text(yaml.safe_dump({"all": {"children": {"ollama_gateways": {"hosts": {"ip-gateway": host}}}}}))
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1", SSL_CERT_FILE=str(gateway.root_file))
    run = inside(gateway.namespace, str(REPO / ".venv/bin/ansible-playbook"), "-i", str(inventory), str(REPO / "playbooks/verify.yml"), timeout=300, env=env)
    assert run.returncode == 0, (run.stdout + run.stderr)[-5000:]
    assert "failed=0" in run.stdout and "streaming not checked" not in run.stdout.lower()


def test_the_profile_is_kept_across_a_renewal(gateway: Gateway) -> None:
    assert "preferred_profile = shortlived" in gateway.renewal_conf()
    before = gateway.served().serial_number
    forced = gateway.renew("--force-renewal")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    renewed = gateway.served_after(before)
    assert renewed.serial_number != before
    assert abs(renewed.not_valid_after_utc - renewed.not_valid_before_utc - SHORTLIVED) < datetime.timedelta(minutes=1)


def test_a_160_hour_certificate_renews_at_its_own_time_not_every_run(gateway: Gateway) -> None:
    """At 60 hours a fixed 30-day rule would renew (and would on every run); certbot with ARI waits. pebble's ARI
    window is two thirds of the lifetime plus or minus a day (83 to 131 hours); at 135 hours it is due."""
    served = gateway.served()
    early = gateway.renew(offset="+60h")
    assert early.returncode == 0, early.stdout + early.stderr
    assert gateway.served().serial_number == served.serial_number
    assert "ari_retry_after" in gateway.renewal_conf(), "certbot asked the CA's renewal information (ARI)"
    due = gateway.renew(offset="+135h")
    assert due.returncode == 0, due.stdout + due.stderr
    assert gateway.served_after(served.serial_number).serial_number != served.serial_number


@pytest.mark.parametrize(("offset", "passes"), [("", True), ("+110h", True), ("+130h", False)])
def test_the_expiry_check_follows_a_160_hour_lifetime(gateway: Gateway, offset: str, passes: bool) -> None:
    """Fresh, with 6 days left, it passes (a 14-day rule would fail it); 50 hours left passes, 30 hours fails (the
    alarm is at 40 hours: halfway between the renewal point and the end)."""
    task = {
        "name": "Check expiry",
        "ansible.builtin.include_role": {"name": "ollama_remote.proxy.acme", "tasks_from": "check_expiry"},
        "vars": {
            "acme_expiry_host": ADDRESS,
            "acme_expiry_port": HTTPS_PORT,
            "acme_expiry_server_name": ADDRESS,
            "acme_expiry_certificate_path": str(CERTIFICATE),
        },
    }
    run = run_playbook([task], faketime=offset, netns=gateway.namespace)
    assert (run.rc == 0) is passes, run.output[-3000:]
    assert ("its renewal is failing" in run.output) is not passes
