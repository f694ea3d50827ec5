# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import datetime

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.ollama_remote.proxy.plugins.filter.certificate_expiry import certificate_expiry


def window(start: datetime.datetime, days: float) -> dict[str, str]:
    return {"not_before": start.strftime("%Y%m%d%H%M%SZ"), "not_after": (start + datetime.timedelta(days=days)).strftime("%Y%m%d%H%M%SZ")}


def test_the_filter_judges_by_lifetime_or_by_days() -> None:
    now = datetime.datetime.now(datetime.UTC)
    shortlived = window(now - datetime.timedelta(hours=1), 160 / 24)
    assert certificate_expiry(shortlived)["ok"] is True
    assert certificate_expiry(shortlived, fail_days="14", what="The served one")["message"].startswith("The served one ends")
    assert certificate_expiry(shortlived, fail_days="")["ok"] is True  # unset, as Ansible passes an empty default


@pytest.mark.parametrize(
    ("info", "message"),
    [({"not_after": "20261130120000Z"}, "with not_before and not_after"), ({"not_before": "x", "not_after": "y"}, "is not a validity time")],
)
def test_the_filter_explains_bad_input(info: dict[str, str], message: str) -> None:
    with pytest.raises(AnsibleFilterError, match=message):
        certificate_expiry(info)
