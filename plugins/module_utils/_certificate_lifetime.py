# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
"""When a certificate should be renewed, and when a monitor should say its renewal is failing, from its own lifetime.

Lifetimes differ by a factor of 15 (Let's Encrypt: 160 hours for `shortlived`, 45 days for `tlsserver`, 90 days for
`classic` until 2027-02-10), so a fixed number of days is wrong for most of them. The renewal point is certbot's
(certbot/_internal/renewal.py, _default_renewal_time): with one third of the lifetime left, or one half when the
lifetime is under 10 days. ARI (RFC 9773) lets the CA move it; the clients ask for it, this module does not.

The alarm comes halfway between the renewal point and the end: a renewal that runs twice a day has failed for a
sixth of the lifetime (a quarter under 10 days) by then, and there is still time to fix it. A 90-day certificate
alarms with 15 days left, a 160-hour one with 40 hours left.
"""

from __future__ import annotations

import datetime
import typing as t
from dataclasses import dataclass

SHORT_LIFETIME = datetime.timedelta(days=10)
# How certificate tools print validity times: community.crypto's not_before / not_after (ASN.1 GeneralizedTime).
ASN1_TIME = "%Y%m%d%H%M%SZ"


class LifetimeError(ValueError):
    """A validity time that cannot be read, or a validity period that is empty."""


def renewal_margin(lifetime: datetime.timedelta) -> datetime.timedelta:
    """How long before the end a certificate is due for renewal."""
    return lifetime / 2 if lifetime < SHORT_LIFETIME else lifetime / 3


def alarm_margin(lifetime: datetime.timedelta) -> datetime.timedelta:
    """How long before the end a certificate that was not renewed means the renewal is failing."""
    return renewal_margin(lifetime) / 2


def parse_time(value: object) -> datetime.datetime:
    """A validity time as community.crypto prints it (20261130152800Z), or an aware datetime."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            raise LifetimeError(f"{value!r} has no time zone")
        return value
    try:
        return datetime.datetime.strptime(str(value), ASN1_TIME).replace(tzinfo=datetime.UTC)
    except ValueError:
        raise LifetimeError(f"{value!r} is not a validity time like 20261130152800Z") from None


def _duration(span: datetime.timedelta) -> str:
    """A duration for people: hours below three days, days above."""
    hours = span.total_seconds() / 3600
    return f"{hours:.0f} hours" if abs(hours) < 72 else f"{hours / 24:.0f} days"


@dataclass(frozen=True)
class ExpiryVerdict:
    ok: bool
    message: str
    not_after: str  # ISO 8601, UTC
    lifetime_hours: float
    remaining_hours: float
    alarm_hours: float  # the alarm sounds when fewer hours than this remain

    def as_dict(self) -> dict[str, t.Any]:
        return dict(self.__dict__)


def expiry_verdict(
    not_before: object, not_after: object, *, now: datetime.datetime | None = None, fail_days: float | None = None, what: str = "The certificate"
) -> ExpiryVerdict:
    """Whether a certificate still has enough of its life left; fail_days, when given, replaces the lifetime rule."""
    start, end = parse_time(not_before), parse_time(not_after)
    lifetime = end - start
    if lifetime <= datetime.timedelta(0):
        raise LifetimeError(f"the validity period {start.isoformat()} to {end.isoformat()} is empty")
    moment = now or datetime.datetime.now(datetime.UTC)
    remaining = end - moment
    if fail_days is not None:
        if fail_days < 0:
            raise LifetimeError(f"fail_days must not be negative, got {fail_days}")
        alarm, rule = datetime.timedelta(days=fail_days), f"the {fail_days:g} days you set"
    else:
        alarm, rule = alarm_margin(lifetime), f"half of its renewal margin, for a lifetime of {_duration(lifetime)}"
    ok = remaining > alarm
    if remaining <= datetime.timedelta(0):
        message = f"{what} expired at {end.isoformat()}: its renewal has failed."
    elif ok:
        message = f"{what} is valid until {end.isoformat()} ({_duration(remaining)} left; renewal is due with {_duration(renewal_margin(lifetime))} left)."
    else:
        message = f"{what} ends at {end.isoformat()}, in {_duration(remaining)}: less than {_duration(alarm)} ({rule}) is left, so its renewal is failing."
    hours = 3600.0
    return ExpiryVerdict(ok, message, end.isoformat(), lifetime.total_seconds() / hours, remaining.total_seconds() / hours, alarm.total_seconds() / hours)
