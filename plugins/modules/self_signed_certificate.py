# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# The logic lives in plugins/action/self_signed_certificate.py; this file holds the documentation.

from __future__ import annotations

DOCUMENTATION = r"""
module: self_signed_certificate
short_description: A self-signed certificate and its key, made on the controller and renewed before they end
version_added: 0.3.0
description:
  - Keeps the certificate at O(certificate_path) while it serves; otherwise makes a new one, valid for
    O(valid_days), and writes it with its key (ECDSA P-256) through the standard modules, the same way on POSIX and
    Windows targets. A certificate serves while its key is at O(key_path), it names exactly O(names), and more than
    O(renew_days) are left.
  - The key stays across renewals while it is an unencrypted P-256 key. Neither the key nor the certificate appears in
    the task's result or diff.
  - IP addresses go into the subject alternative names only; the first DNS name is the common name, and without one
    O(fallback_common_name) is (with none either, the subject is empty and the alternative names are critical).
  - Nothing runs on the target but find, slurp and copy (or win_copy); only cryptography, which ansible-core itself
    needs, runs on the controller.
options:
  certificate_path:
    description: Where the certificate goes on the target (PEM).
    type: str
    required: true
  key_path:
    description: Where its private key goes on the target (PEM, unencrypted).
    type: str
    required: true
  names:
    description: The DNS names and IP addresses the certificate is for.
    type: list
    elements: str
    required: true
  fallback_common_name:
    description: The common name when O(names) holds no DNS name; empty for none.
    type: str
    default: ""
  valid_days:
    description: How long a new certificate is valid.
    type: int
    default: 365
  renew_days:
    description:
      - A certificate with fewer days than this left is made again. At or above O(valid_days), every run makes a new
        one.
    type: int
    default: 30
  keep_existing:
    description:
      - Keep a certificate that exists, whatever it holds. For a stand-in that lets a server start until another
        program (an ACME client) puts the real certificate in its place.
    type: bool
    default: false
  validate:
    description: Command run on the target after a new key and certificate are written; when it fails, both are put back.
    type: str
extends_documentation_fragment:
  - ollama_remote.proxy._target_file
attributes:
  diff_mode:
    description: No diff; the key is secret.
    support: none
author:
  - Ollama Remote maintainers (@ollama-remote)
"""

EXAMPLES = r"""
- name: The gateway's certificate, renewed a month before it ends
  ollama_remote.proxy.self_signed_certificate:
    certificate_path: /etc/nginx/ollama-gateway/tls/fullchain.pem
    key_path: /etc/nginx/ollama-gateway/tls/privkey.pem
    names: [gateway.example.net]
    validate: nginx -t -q
    mode: "0600"

- name: A stand-in until the ACME client issues the real one
  ollama_remote.proxy.self_signed_certificate:
    certificate_path: /etc/nginx/ollama-gateway/tls/fullchain.pem
    key_path: /etc/nginx/ollama-gateway/tls/privkey.pem
    names: [203.0.113.10]
    valid_days: 7
    renew_days: 0
    keep_existing: true
"""

RETURN = r"""
certificate_path:
  description: Where the certificate is.
  returned: success
  type: str
renewed:
  description: Whether a new certificate was made (or would be, in check mode).
  returned: success
  type: bool
reason:
  description: Why a new certificate was made.
  returned: when RV(renewed) is true
  type: str
  sample: the certificate ends on 2027-01-05, within 30 days
"""
