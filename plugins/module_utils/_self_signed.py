# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
"""Self-signed certificates for the gateway, decided and made on the controller.

One job, two uses: the gateway's own certificate in self_signed mode (renewed as its end nears), and the short
stand-in that lets nginx start in ACME mode before the first certificate is issued (kept whatever it holds, since
the ACME client replaces it). The key is ECDSA P-256, kept across renewals while it is one.
"""

from __future__ import annotations

import datetime
import ipaddress
import typing as t
from dataclasses import dataclass

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
except ImportError:  # pragma: no cover - reported by the action plugin
    HAS_CRYPTOGRAPHY = False
else:
    HAS_CRYPTOGRAPHY = True

from ansible_collections.ollama_remote.proxy.plugins.module_utils._acme import certificate_subject


class SelfSignedError(ValueError):
    pass


@dataclass(frozen=True)
class Wanted:
    """The certificate asked for: its names (DNS names and IP addresses), how long it lasts, when it is renewed."""

    names: tuple[str, ...]
    fallback_common_name: str = ""
    valid_days: int = 365
    renew_days: int = 30

    def __post_init__(self) -> None:
        if not self.names:
            raise SelfSignedError("names must list at least one DNS name or IP address")
        # renew_days at or above valid_days is allowed: a new certificate every run.
        if self.valid_days < 1 or self.renew_days < 0:
            raise SelfSignedError(f"valid_days ({self.valid_days}) must be at least 1 and renew_days ({self.renew_days}) 0 or more")

    @property
    def subject(self) -> dict[str, t.Any]:
        return certificate_subject(list(self.names), self.fallback_common_name)

    @property
    def alternative_names(self) -> list[x509.GeneralName]:
        entries: list[x509.GeneralName] = []
        for entry in self.subject["subject_alt_name"]:
            kind, value = entry.split(":", 1)
            entries.append(x509.IPAddress(ipaddress.ip_address(value)) if kind == "IP" else x509.DNSName(value))
        return entries


def _key(pem: bytes | None) -> ec.EllipticCurvePrivateKey | None:
    """The key in `pem` if it is an unencrypted P-256 key, else None (so a new one is made)."""
    if not pem:
        return None
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        return None
    return key if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1) else None


def _public(key: t.Any) -> bytes:
    return bytes(key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))


def renewal_reason(certificate: bytes | None, key: bytes | None, wanted: Wanted, now: datetime.datetime) -> str | None:
    """Why the certificate must be made again, or None while it serves: missing or unreadable, another key, other
    names, or fewer than renew_days left."""
    if not certificate:
        return "there is no certificate yet"
    try:
        current = x509.load_pem_x509_certificate(certificate)
    except ValueError:
        return "the certificate cannot be read"
    private = _key(key)
    if private is None or _public(current.public_key()) != _public(private.public_key()):
        return "the key is missing or does not match the certificate"
    try:
        names = set(current.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)
    except x509.ExtensionNotFound:
        names = set()
    if names != set(wanted.alternative_names):
        return "the certificate names other hosts"
    if current.not_valid_after_utc - now < datetime.timedelta(days=wanted.renew_days):
        return f"the certificate ends on {current.not_valid_after_utc:%Y-%m-%d}, within {wanted.renew_days} days"
    return None


def issue(key: bytes | None, wanted: Wanted, now: datetime.datetime) -> tuple[bytes, bytes]:
    """A key (the given one while it is P-256) and a certificate for it, valid from now for valid_days."""
    private = _key(key) or ec.generate_private_key(ec.SECP256R1())
    subject = wanted.subject
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject["common_name"])] if subject["common_name"] else [])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))  # tolerates a host clock a little behind
        .not_valid_after(now + datetime.timedelta(days=wanted.valid_days))
        # RFC 5280: with an empty subject (an IP address only) the alternative names are critical.
        .add_extension(x509.SubjectAlternativeName(wanted.alternative_names), critical=not subject["common_name"])
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(private.public_key()), critical=False)
        .sign(private, hashes.SHA256())
    )
    key_pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM)
