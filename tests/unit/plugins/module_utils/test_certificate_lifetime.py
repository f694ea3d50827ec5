# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import datetime

import pytest

from ansible_collections.ollama_remote.proxy.plugins.module_utils._certificate_lifetime import (
    LifetimeError,
    alarm_margin,
    expiry_verdict,
    renewal_margin,
)

START = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.UTC)
HOUR, DAY = datetime.timedelta(hours=1), datetime.timedelta(days=1)


def asn1(moment: datetime.datetime) -> str:
    return moment.strftime("%Y%m%d%H%M%SZ")


@pytest.mark.parametrize(
    ("lifetime", "renewal", "alarm"),
    [
        pytest.param(160 * HOUR, 80 * HOUR, 40 * HOUR, id="shortlived-160h"),
        pytest.param(6 * DAY, 3 * DAY, 36 * HOUR, id="6-days"),
        pytest.param(45 * DAY, 15 * DAY, 7.5 * DAY, id="tlsserver-45d"),
        pytest.param(64 * DAY, 64 * DAY / 3, 64 * DAY / 6, id="classic-2027-64d"),
        pytest.param(90 * DAY, 30 * DAY, 15 * DAY, id="classic-90d"),
        pytest.param(10 * DAY, 10 * DAY / 3, 10 * DAY / 6, id="10-days-is-not-short"),
    ],
)
def test_margins_follow_the_lifetime(lifetime: datetime.timedelta, renewal: datetime.timedelta, alarm: datetime.timedelta) -> None:
    assert renewal_margin(lifetime) == renewal
    assert alarm_margin(lifetime) == alarm


@pytest.mark.parametrize(
    ("lifetime", "elapsed", "ok"),
    [
        pytest.param(6 * DAY, 1 * HOUR, True, id="fresh-6-day-certificate-with-less-than-14-days-left"),
        pytest.param(6 * DAY, 4 * DAY, True, id="6-days-after-the-renewal-point"),
        pytest.param(6 * DAY, 4.6 * DAY, False, id="6-days-with-a-day-left"),
        pytest.param(90 * DAY, 60 * DAY, True, id="90-days-at-the-renewal-point"),
        pytest.param(90 * DAY, 80 * DAY, False, id="90-days-with-10-days-left"),
        pytest.param(160 * HOUR, 110 * HOUR, True, id="160h-with-50h-left"),
        pytest.param(160 * HOUR, 130 * HOUR, False, id="160h-with-30h-left"),
    ],
)
def test_the_alarm_follows_the_lifetime(lifetime: datetime.timedelta, elapsed: datetime.timedelta, ok: bool) -> None:
    verdict = expiry_verdict(asn1(START), asn1(START + lifetime), now=START + elapsed)
    assert verdict.ok is ok
    assert ("renewal is failing" in verdict.message) is not ok
    assert verdict.lifetime_hours == lifetime / HOUR


def test_a_fixed_number_of_days_replaces_the_rule() -> None:
    verdict = expiry_verdict(asn1(START), asn1(START + 6 * DAY), now=START + HOUR, fail_days=14)
    assert not verdict.ok and "the 14 days you set" in verdict.message
    assert expiry_verdict(asn1(START), asn1(START + 90 * DAY), now=START, fail_days=14).ok


def test_an_expired_certificate_says_so() -> None:
    verdict = expiry_verdict(asn1(START), asn1(START + 90 * DAY), now=START + 91 * DAY, what="The served certificate")
    assert not verdict.ok and verdict.message.startswith("The served certificate expired at 2027-02-28T12:00:00+00:00")
    assert verdict.remaining_hours == -24


@pytest.mark.parametrize(
    ("not_before", "not_after", "fail_days", "message"),
    [
        ("2026-11-30", asn1(START), None, "is not a validity time"),
        (asn1(START), asn1(START), None, "is empty"),
        (asn1(START), asn1(START + DAY), -1, "must not be negative"),
        (datetime.datetime(2026, 11, 30), asn1(START), None, "no time zone"),
    ],
)
def test_unreadable_validity_is_an_error(not_before: object, not_after: object, fail_days: float | None, message: str) -> None:
    with pytest.raises(LifetimeError, match=message):
        expiry_verdict(not_before, not_after, now=START, fail_days=fail_days)
