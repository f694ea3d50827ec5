# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Identifiers and the profile choice, which both clients' command lines build on."""

from __future__ import annotations

import pytest

from ansible_collections.ollama_remote.proxy.plugins.module_utils._acme import AcmeError, choose_profile, parse_identifiers

# Option -> (takes a value, certbot version that introduced it), for the options the role may use.
LE = "https://acme-v02.api.letsencrypt.org/directory"
LE_PROFILES = ["classic", "shortlived", "tlsserver"]


def test_identifiers_are_normalised_and_sorted_by_kind() -> None:
    ids = parse_identifiers(["Gateway.Example.NET.", "[2001:DB8::1]", "203.0.113.7"])
    assert ids.dns == ("gateway.example.net",)
    assert ids.ips == ("2001:db8::1", "203.0.113.7")
    assert ids.ordered == ("gateway.example.net", "2001:db8::1", "203.0.113.7")


@pytest.mark.parametrize(
    ("requested", "identifiers", "offered", "supports", "expected", "note"),
    [
        ("auto", ["203.0.113.7"], LE_PROFILES, True, "shortlived", ""),
        ("auto", ["gateway.example.net"], LE_PROFILES, True, "", ""),
        ("auto", ["203.0.113.7"], [], True, "", "announces no profiles"),  # pebble 2.4
        ("auto", ["203.0.113.7"], ["classic"], True, "", "offers no 'shortlived' profile"),
        ("auto", ["203.0.113.7"], None, True, "shortlived", ""),
        ("auto", ["203.0.113.7"], None, False, "", "cannot request ACME profiles"),
        ("auto", ["gateway.example.net"], [], False, "", ""),
        ("", ["203.0.113.7"], LE_PROFILES, True, "", ""),
        ("tlsserver", ["gateway.example.net"], LE_PROFILES, True, "tlsserver", ""),
        ("tlsserver", ["gateway.example.net"], [], True, "", "announces no profiles"),
        ("classic", ["gateway.example.net"], None, True, "classic", ""),
    ],
)
def test_profile_choice(requested: str, identifiers: list[str], offered: list[str] | None, supports: bool, expected: str, note: str) -> None:
    profile, notes = choose_profile(requested, parse_identifiers(identifiers), offered, client_supports_profiles=supports, client="the client")
    assert profile == expected
    assert (note in " ".join(notes)) if note else notes == []


@pytest.mark.parametrize(
    ("requested", "offered", "supports", "message"),
    [
        ("auto", LE_PROFILES, False, "cannot request the ACME profile 'shortlived' that IP-address certificates need"),
        ("tlsserver", ["classic"], True, "offers no profile 'tlsserver'"),
        ("tlsserver", None, False, "cannot request the ACME profile 'tlsserver'"),
    ],
)
def test_profile_requests_that_cannot_work(requested: str, offered: list[str] | None, supports: bool, message: str) -> None:
    with pytest.raises(AcmeError, match=message):
        choose_profile(requested, parse_identifiers(["203.0.113.7"]), offered, client_supports_profiles=supports, client="the client")


# --- certbot --------------------------------------------------------------------------------------------------------
