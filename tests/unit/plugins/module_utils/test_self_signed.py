# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import datetime
import ipaddress

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from ansible_collections.ollama_remote.proxy.plugins.module_utils._self_signed import SelfSignedError, Wanted, issue, renewal_reason

NOW = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.UTC)
GATEWAY = Wanted(("gateway.example.net",), "Ollama gateway", valid_days=365, renew_days=30)


def parsed(pem: bytes) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem)


def test_a_dns_name_is_the_common_name_and_an_alternative_name() -> None:
    key, certificate = issue(None, GATEWAY, NOW)
    cert = parsed(certificate)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "gateway.example.net"
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert list(san.value) == [x509.DNSName("gateway.example.net")] and not san.critical
    assert cert.not_valid_after_utc - NOW == datetime.timedelta(days=365)
    assert cert.issuer == cert.subject, "self-signed"
    assert isinstance(serialization.load_pem_private_key(key, None), ec.EllipticCurvePrivateKey)


def test_an_ip_address_goes_in_the_alternative_names_only() -> None:
    cert = parsed(issue(None, Wanted(("[2001:db8::1]", "203.0.113.10")), NOW)[1])
    assert list(cert.subject) == [], "no IP address and no fallback in the common name"
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert list(san.value) == [x509.IPAddress(ipaddress.ip_address("2001:db8::1")), x509.IPAddress(ipaddress.ip_address("203.0.113.10"))]
    assert san.critical, "RFC 5280: an empty subject makes the alternative names critical"


def test_the_fallback_common_name_goes_with_an_ip_address() -> None:
    cert = parsed(issue(None, Wanted(("203.0.113.10",), "Ollama gateway"), NOW)[1])
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Ollama gateway"


def test_a_certificate_serves_until_renew_days_are_left() -> None:
    key, certificate = issue(None, GATEWAY, NOW)
    assert renewal_reason(certificate, key, GATEWAY, NOW + datetime.timedelta(days=334)) is None
    assert renewal_reason(certificate, key, GATEWAY, NOW + datetime.timedelta(days=336)) == "the certificate ends on 2027-11-30, within 30 days"


@pytest.mark.parametrize(
    ("certificate", "key", "reason"),
    [
        pytest.param(None, True, "there is no certificate yet", id="no-certificate"),
        pytest.param(b"not a certificate", True, "the certificate cannot be read", id="unreadable"),
        pytest.param(True, None, "the key is missing or does not match the certificate", id="no-key"),
        pytest.param(True, "other", "the key is missing or does not match the certificate", id="other-key"),
    ],
)
def test_what_makes_a_new_certificate(certificate: object, key: object, reason: str) -> None:
    own_key, own_certificate = issue(None, GATEWAY, NOW)
    other_key = issue(None, GATEWAY, NOW)[0]
    current = own_certificate if certificate is True else certificate
    current_key = {True: own_key, None: None, "other": other_key}[key]  # type: ignore[index]
    assert renewal_reason(current, current_key, GATEWAY, NOW) == reason  # type: ignore[arg-type]


def test_other_names_make_a_new_certificate() -> None:
    key, certificate = issue(None, GATEWAY, NOW)
    assert renewal_reason(certificate, key, Wanted(("other.example.net",)), NOW) == "the certificate names other hosts"


def test_the_key_stays_across_renewals_while_it_is_p256() -> None:
    key = issue(None, GATEWAY, NOW)[0]
    assert issue(key, GATEWAY, NOW)[0] == key
    rsa_key = rsa.generate_private_key(65537, 2048).private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    assert issue(rsa_key, GATEWAY, NOW)[0] != rsa_key, "another kind of key is replaced"
    assert renewal_reason(issue(rsa_key, GATEWAY, NOW)[1], rsa_key, GATEWAY, NOW) is not None


@pytest.mark.parametrize(
    ("names", "valid_days", "renew_days"),
    [((), 365, 30), (("a.example",), 0, 0), (("a.example",), 30, -1)],
    ids=["no-names", "no-days", "negative-renew"],
)
def test_bad_requests_are_refused(names: tuple[str, ...], valid_days: int, renew_days: int) -> None:
    with pytest.raises(SelfSignedError):
        Wanted(names, valid_days=valid_days, renew_days=renew_days)


@pytest.mark.parametrize(
    ("names", "fallback", "common_name", "alternative"),
    [
        (("gateway.example.net",), "Ollama gateway", "gateway.example.net", ["DNS:gateway.example.net"]),
        (("203.0.113.10",), "Ollama gateway", "Ollama gateway", ["IP:203.0.113.10"]),
        (("[2001:DB8::10]",), "", "", ["IP:2001:db8::10"]),
        (("203.0.113.10", "gw1", "gateway.example.net"), "", "gw1", ["IP:203.0.113.10", "DNS:gw1", "DNS:gateway.example.net"]),
    ],
)
def test_addresses_never_become_the_common_name(names: tuple[str, ...], fallback: str, common_name: str, alternative: list[str]) -> None:
    assert Wanted(names, fallback).subject == {"common_name": common_name, "subject_alt_name": alternative}


def test_renew_days_at_or_above_the_validity_make_a_new_certificate_every_time() -> None:
    always = Wanted(("gateway.example.net",), valid_days=365, renew_days=400)
    key, certificate = issue(None, always, NOW)
    assert renewal_reason(certificate, key, always, NOW) == "the certificate ends on 2027-11-30, within 400 days"
