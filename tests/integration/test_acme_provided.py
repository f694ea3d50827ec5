"""gateway_tls_mode provided: the acme role's checks, run on the controller before anything reaches a host.

A throw-away root, intermediate and server certificate are made per test; each case runs the role's
`tasks_from: provided` entry point through ansible-playbook, which the gateway includes before installing the files.
"""

from __future__ import annotations

import datetime
import typing as t
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .conftest import run_playbook

NOW = datetime.datetime.now(datetime.UTC)


Issuer = tuple[x509.Name, ec.EllipticCurvePrivateKey]


def issue(subject: str, issuer: Issuer | None, *, ca: bool, days: tuple[int, int] = (-1, 30)) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    issuer_name, issuer_key = issuer or (name, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW + datetime.timedelta(days=days[0]))
        .not_valid_after(NOW + datetime.timedelta(days=days[1]))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256()), key


def pem(*certificates: x509.Certificate) -> bytes:
    return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in certificates)


def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, t.Any]:
    root, root_key = issue("Test Root", None, ca=True, days=(-1, 3650))
    intermediate, intermediate_key = issue("Test Intermediate", (root.subject, root_key), ca=True, days=(-1, 365))
    leaf, leaf_key = issue("gateway.example.net", (intermediate.subject, intermediate_key), ca=False)
    (tmp_path / "roots.pem").write_bytes(pem(root))
    return {"dir": tmp_path, "root": root, "intermediate": intermediate, "intermediate_key": intermediate_key, "leaf": leaf, "leaf_key": leaf_key}


def check(pki: dict[str, t.Any], chain: bytes, key: bytes) -> t.Any:
    (pki["dir"] / "fullchain.pem").write_bytes(chain)
    (pki["dir"] / "privkey.pem").write_bytes(key)
    task = {
        "name": "Check the provided certificate",
        "ansible.builtin.include_role": {"name": "ollama_remote.proxy.acme", "tasks_from": "provided"},
        "vars": {
            "acme_provided_certificate": str(pki["dir"] / "fullchain.pem"),
            "acme_provided_key": str(pki["dir"] / "privkey.pem"),
            "acme_provided_root_certificates": [str(pki["dir"] / "roots.pem")],
        },
    }
    return run_playbook([task])


def test_a_complete_chain_with_its_key_passes(pki: dict[str, t.Any]) -> None:
    run = check(pki, pem(pki["leaf"], pki["intermediate"]), key_pem(pki["leaf_key"]))
    assert run.rc == 0, run.output[-3000:]


def test_a_key_of_another_certificate_fails(pki: dict[str, t.Any]) -> None:
    run = check(pki, pem(pki["leaf"], pki["intermediate"]), key_pem(ec.generate_private_key(ec.SECP256R1())))
    assert run.rc != 0
    assert "does not belong to the certificate" in run.output


def test_a_chain_without_its_intermediate_fails(pki: dict[str, t.Any]) -> None:
    run = check(pki, pem(pki["leaf"]), key_pem(pki["leaf_key"]))
    assert run.rc != 0
    assert "the chain is incomplete" in run.output


def test_an_expired_certificate_fails(pki: dict[str, t.Any]) -> None:
    expired, expired_key = issue("gateway.example.net", (pki["intermediate"].subject, pki["intermediate_key"]), ca=False, days=(-30, -1))
    run = check(pki, pem(expired, pki["intermediate"]), key_pem(expired_key))
    assert run.rc != 0
    assert "is not valid now" in run.output
