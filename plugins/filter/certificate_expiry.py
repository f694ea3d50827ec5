# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleFilterError

from ansible_collections.ollama_remote.proxy.plugins.module_utils._certificate_lifetime import LifetimeError, expiry_verdict

DOCUMENTATION = r"""
name: certificate_expiry
short_description: Whether a certificate's renewal is failing, judged by its own lifetime
version_added: 0.2.0
description:
  - Takes what M(community.crypto.get_certificate) or M(community.crypto.x509_certificate_info) returns and says
    whether the certificate still has enough of its life left.
  - By default the alarm comes halfway between the renewal point and the end. The renewal point is certbot's, with
    one third of the lifetime left, or one half below 10 days. So a 90-day certificate alarms with 15 days left, and a
    160-hour (Let's Encrypt C(shortlived)) one with 40 hours left.
positional: _input
options:
  _input:
    description: A certificate's information, with C(not_before) and C(not_after) as C(20261130152800Z).
    type: dict
    required: true
  fail_days:
    description: Alarm with fewer than this many days left instead, whatever the lifetime.
    type: float
  what:
    description: How the message names the certificate.
    type: str
    default: The certificate
"""

EXAMPLES = r"""
- name: Fail when the served certificate's renewal is failing
  ansible.builtin.assert:
    that: (served | ollama_remote.proxy.certificate_expiry).ok
    fail_msg: "{{ (served | ollama_remote.proxy.certificate_expiry).message }}"
"""

RETURN = r"""
_value:
  description: The verdict.
  type: dict
  contains:
    ok:
      description: Whether more than the alarm margin is left.
      type: bool
    message:
      description: What to tell a person, with the end date and the rule used.
      type: str
    not_after:
      description: The end of the validity period, ISO 8601 in UTC.
      type: str
    lifetime_hours:
      description: The whole validity period.
      type: float
    remaining_hours:
      description: What is left of it now (negative once expired).
      type: float
    alarm_hours:
      description: The alarm sounds when fewer hours than this are left.
      type: float
"""


def certificate_expiry(info: t.Any, fail_days: t.Any = None, what: str = "The certificate") -> dict[str, t.Any]:
    if not isinstance(info, t.Mapping) or "not_before" not in info or "not_after" not in info:
        raise AnsibleFilterError("certificate_expiry takes a certificate's information with not_before and not_after")
    try:
        days = None if fail_days in (None, "") else float(fail_days)
        return expiry_verdict(info["not_before"], info["not_after"], fail_days=days, what=str(what)).as_dict()
    except (LifetimeError, ValueError) as error:
        raise AnsibleFilterError(f"certificate_expiry: {error}") from None


class FilterModule:
    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"certificate_expiry": certificate_expiry}
