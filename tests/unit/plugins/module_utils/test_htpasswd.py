# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import base64
import functools
import hashlib
import shutil
import subprocess
import typing as t
from pathlib import Path

import pytest

from ansible_collections.ollama_remote.proxy.plugins.module_utils import _htpasswd as core
from ansible_collections.ollama_remote.proxy.plugins.module_utils._htpasswd import Entry, HtpasswdError, Scheme, User

PASSWORD = "correct horse battery staple"
OTHER_PASSWORD = "another long passphrase"
SECRET = "S3cret-Passw0rd-Never-Shown"
HTPASSWD = shutil.which("htpasswd")


@functools.cache
def hashed(scheme: str, password: str = PASSWORD) -> str:
    """One hash per (scheme, password) for the whole run: bcrypt costs ~60 ms a hash."""
    return t.cast(str, core.SCHEMES[scheme].handler().hash(password))


def users(*items: dict[str, t.Any], scheme: str = "apr1", required: bool = True, min_length: int = 12) -> list[User]:
    return core.parse_users(items, min_password_length=min_length, scheme=core.SCHEMES[scheme], password_required=required)


def run_plan(
    content: str, wanted: list[User], *, scheme: str = "apr1", exclusive: bool = False, update_password: str = "always", windows: bool = False
) -> core.Plan:
    return core.plan(core.parse(content), wanted, scheme=core.SCHEMES[scheme], exclusive=exclusive, update_password=update_password, windows=windows)


def lines_of(plan: core.Plan) -> list[str]:
    return [entry.text for entry in plan.entries]


# --- parse and render ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "newline"),
    [
        pytest.param("", "\n", id="empty"),
        pytest.param("alice:$apr1$abc$def\n", "\n", id="one-user"),
        pytest.param("# users of the gateway\n\nalice:$apr1$abc$def\n   \nbob:{SSHA}xyz\n", "\n", id="comments-and-blanks"),
        pytest.param("# windows\r\nalice:$apr1$abc$def\r\n\r\nbob:$6$salt$hash\r\n", "\r\n", id="crlf"),
        pytest.param("alice:$apr1$abc$def:Alice Liddell\n", "\n", id="name-hash-comment"),
        pytest.param("alice:$apr1$abc$def\nbroken line\n", "\n", id="malformed-kept-verbatim"),
    ],
)
def test_parse_render_round_trip(content: str, newline: str) -> None:
    assert core.render(core.parse(content), newline) == content


def test_file_without_final_newline_gets_one() -> None:
    entries = core.parse("# c\nalice:$apr1$abc$def")
    assert [e.name for e in entries] == [None, "alice"]
    assert core.render(entries, "\n") == "# c\nalice:$apr1$abc$def\n"


def test_crlf_input_is_read_without_carriage_returns() -> None:
    entries = core.parse("alice:$apr1$abc$def\r\n# note\r\n")
    assert entries == [Entry("alice:$apr1$abc$def", "alice", "$apr1$abc$def"), Entry("# note")]
    assert core.render(entries, "\n") == "alice:$apr1$abc$def\n# note\n"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        pytest.param("alice:$apr1$abc$def", Entry("alice:$apr1$abc$def", "alice", "$apr1$abc$def"), id="user"),
        pytest.param("alice:$apr1$abc$def:Alice", Entry("alice:$apr1$abc$def:Alice", "alice", "$apr1$abc$def"), id="comment-field"),
        pytest.param("# alice:$apr1$abc$def", Entry("# alice:$apr1$abc$def"), id="comment"),
        pytest.param("", Entry(""), id="blank"),
        pytest.param(" \t ", Entry(" \t "), id="whitespace-only"),
        pytest.param("alice", Entry("alice", malformed=True), id="no-colon"),
        pytest.param(":$apr1$abc$def", Entry(":$apr1$abc$def", malformed=True), id="no-name"),
        pytest.param("alice:", Entry("alice:", malformed=True), id="no-hash"),
        pytest.param("alice::comment", Entry("alice::comment", malformed=True), id="empty-hash"),
    ],
)
def test_parse_line(line: str, expected: Entry) -> None:
    assert core.parse(line + "\n") == [expected]


def test_malformed_lines_are_reported_with_line_numbers_and_file_is_kept() -> None:
    content = "# header\nalice:$apr1$abc$def\nnot an entry\n\nbob:\ncarol:{SSHA}xyz\n"
    assert core.malformed_lines(core.parse(content)) == [3, 5]
    with pytest.raises(HtpasswdError, match=r"line\(s\) 3, 5 of the file") as exc:
        run_plan(content, [])
    assert "exclusive: true" in str(exc.value)


def test_malformed_lines_are_dropped_when_exclusive() -> None:
    content = f"# header\nalice:{hashed('apr1')}\nnot an entry\nbob:\n"
    result = run_plan(content, users({"name": "alice", "password": PASSWORD}), exclusive=True)
    assert lines_of(result) == ["# header", f"alice:{hashed('apr1')}"]
    assert result.dropped == [3, 4]
    assert result.changed, "dropping a line is a change, even when every user is right"


def test_render_uses_the_given_newline() -> None:
    entries = [Entry("# c"), Entry("alice:h", "alice", "h")]
    assert core.render(entries, "\r\n") == "# c\r\nalice:h\r\n"
    assert core.render([], "\r\n") == ""


# --- schemes -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", list(core.SCHEMES))
def test_every_scheme_hashes_and_verifies(scheme: str) -> None:
    value = hashed(scheme)
    assert core.identify(value) == scheme
    assert PASSWORD not in value
    assert core.verifies(core.SCHEMES[scheme], PASSWORD, value)
    assert not core.verifies(core.SCHEMES[scheme], PASSWORD + "!", value)
    for other in core.SCHEMES.values():
        if other.name != scheme:
            assert not core.verifies(other, PASSWORD, value), f"a {scheme} hash must not count as {other.name}"


@pytest.mark.parametrize(
    ("scheme", "prefix"),
    [
        pytest.param("apr1", "$apr1$", id="apr1"),
        pytest.param("ssha", "{SSHA}", id="ssha"),
        pytest.param("sha256_crypt", "$5$", id="sha256_crypt"),
        pytest.param("sha512_crypt", "$6$", id="sha512_crypt"),
        pytest.param("bcrypt", "$2y$10$", id="bcrypt-cost-10-2y"),
    ],
)
def test_hash_format_is_what_nginx_expects(scheme: str, prefix: str) -> None:
    value = hashed(scheme)
    assert value.startswith(prefix)
    assert "rounds=" not in value, "crypt(3) default of 5000 rounds is implicit"
    assert ":" not in value and "\n" not in value


def _htpasswd_verifies(tmp_path: Path, value: str, password: str) -> bool:
    assert HTPASSWD is not None
    path = tmp_path / "htpasswd"
    path.write_text(f"alice:{value}\n")
    return subprocess.run([HTPASSWD, "-vb", str(path), "alice", password], capture_output=True, check=False).returncode == 0


@pytest.mark.skipif(HTPASSWD is None, reason="htpasswd (apache2-utils) is not installed")
@pytest.mark.parametrize(
    "scheme",
    [
        "apr1",
        pytest.param("ssha", marks=pytest.mark.skip(reason="htpasswd -v knows {SHA} but not {SSHA}; see test_ssha_is_salted_sha1_as_nginx_reads_it")),
        "sha256_crypt",
        "sha512_crypt",
        "bcrypt",
    ],
)
def test_apache_htpasswd_accepts_the_hash(tmp_path: Path, scheme: str) -> None:
    assert _htpasswd_verifies(tmp_path, hashed(scheme), PASSWORD)
    assert not _htpasswd_verifies(tmp_path, hashed(scheme), OTHER_PASSWORD)


def test_ssha_is_salted_sha1_as_nginx_reads_it() -> None:
    raw = base64.b64decode(hashed("ssha").removeprefix("{SSHA}"))
    digest, salt = raw[:20], raw[20:]
    assert salt
    assert hashlib.sha1(PASSWORD.encode() + salt).digest() == digest


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("$apr1$abc$def", "apr1", id="apr1"),
        pytest.param("{SSHA}abc", "ssha", id="ssha"),
        pytest.param("$5$abc$def", "sha256_crypt", id="sha256"),
        pytest.param("$6$abc$def", "sha512_crypt", id="sha512"),
        pytest.param("$2y$10$abc", "bcrypt", id="bcrypt-2y"),
        pytest.param("$2b$10$abc", "bcrypt", id="bcrypt-2b"),
        pytest.param("$2a$10$abc", "bcrypt", id="bcrypt-2a"),
        pytest.param("{SHA}abc", None, id="sha1-unsalted"),
        pytest.param("{PLAIN}secret", None, id="plain-scheme"),
        pytest.param("$1$abc$def", None, id="md5-crypt"),
        pytest.param("secret", None, id="plain-text"),
    ],
)
def test_identify(value: str, expected: str | None) -> None:
    assert core.identify(value) == expected


@pytest.mark.parametrize(
    ("scheme", "damaged"),
    [
        pytest.param("apr1", "$apr1$xx", id="apr1"),
        pytest.param("ssha", "{SSHA}@@", id="ssha"),
        pytest.param("sha256_crypt", "$5$rounds=1$ab$cd", id="sha256"),
        pytest.param("sha512_crypt", "$6$!!!$abc", id="sha512"),
        pytest.param("bcrypt", "$2y$10$short", id="bcrypt"),
    ],
)
def test_a_damaged_hash_does_not_verify_and_is_replaced(scheme: str, damaged: str) -> None:
    assert not core.verifies(core.SCHEMES[scheme], PASSWORD, damaged)
    if scheme == "bcrypt":
        return  # replacing it would only hash once more; the other schemes show the plan side
    result = run_plan(f"alice:{damaged}\n", users({"name": "alice", "password": PASSWORD}, scheme=scheme), scheme=scheme)
    assert result.updated == ["alice"]
    assert core.verifies(core.SCHEMES[scheme], PASSWORD, t.cast(str, result.entries[0].hashed))


# --- choose_scheme -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "windows", "expected"),
    [
        pytest.param("auto", True, "apr1", id="auto-windows"),
        pytest.param("auto", False, "sha512_crypt", id="auto-posix"),
        pytest.param("apr1", True, "apr1", id="apr1-windows"),
        pytest.param("ssha", True, "ssha", id="ssha-windows"),
        *(pytest.param(name, False, name, id=f"{name}-posix") for name in core.SCHEMES),
    ],
)
def test_choose_scheme(requested: str, windows: bool, expected: str) -> None:
    assert core.choose_scheme(requested, windows=windows).name == expected


@pytest.mark.parametrize("requested", ["sha256_crypt", "sha512_crypt", "bcrypt"])
def test_crypt3_schemes_are_refused_on_windows_with_the_reason(requested: str) -> None:
    with pytest.raises(HtpasswdError) as exc:
        core.choose_scheme(requested, windows=True)
    message = str(exc.value)
    assert requested in message
    assert "Windows" in message
    assert "crypt(3)" in message and "plain text" in message
    assert "apr1" in message


@pytest.mark.parametrize("requested", ["md5", "", "APR1", "sha512"])
def test_unknown_scheme(requested: str) -> None:
    with pytest.raises(HtpasswdError, match="unknown hash_scheme") as exc:
        core.choose_scheme(requested, windows=False)
    assert all(name in str(exc.value) for name in ("auto", *core.SCHEMES))


# --- parse_users: bad input --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "scheme", "fragment"),
    [
        pytest.param([{"name": "", "password": SECRET}], "apr1", "non-empty string", id="empty-name"),
        pytest.param([{"name": None, "password": SECRET}], "apr1", "non-empty string", id="missing-name"),
        pytest.param([{"name": "ali:ce", "password": SECRET}], "apr1", "contains ':'", id="colon-in-name"),
        pytest.param([{"name": "ali\nce", "password": SECRET}], "apr1", "control character", id="newline-in-name"),
        pytest.param([{"name": "ali\rce", "password": SECRET}], "apr1", "control character", id="cr-in-name"),
        pytest.param([{"name": "ali\tce", "password": SECRET}], "apr1", "control character", id="tab-in-name"),
        pytest.param([{"name": "ali\x7fce", "password": SECRET}], "apr1", "control character", id="del-in-name"),
        pytest.param([{"name": "#alice", "password": SECRET}], "apr1", "starts with '#'", id="comment-name"),
        pytest.param([{"name": "alice", "password": SECRET}, {"name": "alice", "password": SECRET}], "apr1", "listed more than once", id="duplicate-user"),
        pytest.param(
            [{"name": "alice", "password": SECRET}, {"name": "alice", "state": "absent"}], "apr1", "listed more than once", id="duplicate-with-other-state"
        ),
        pytest.param([{"name": "alice"}], "apr1", "needs a password", id="missing-password"),
        pytest.param([{"name": "alice", "password": None}], "apr1", "needs a password", id="null-password"),
        pytest.param([{"name": "alice", "password": ""}], "apr1", "is empty", id="empty-password"),
        pytest.param([{"name": "alice", "password": SECRET[:11]}], "apr1", "shorter than min_password_length (12 characters)", id="too-short"),
        pytest.param([{"name": "alice", "password": SECRET * 3}], "bcrypt", "72 bytes", id="bcrypt-too-long"),
        pytest.param([{"name": "alice", "password": "é" * 37}], "bcrypt", "72 bytes", id="bcrypt-counts-bytes-not-characters"),
    ],
)
def test_bad_users_are_refused_without_showing_the_password(items: list[dict[str, t.Any]], scheme: str, fragment: str) -> None:
    with pytest.raises(HtpasswdError) as exc:
        users(*items, scheme=scheme)
    message = str(exc.value)
    assert fragment in message
    for item in items:
        password = item.get("password")
        if password:
            assert password not in message
            assert password[:11] not in message


def test_error_names_the_user() -> None:
    with pytest.raises(HtpasswdError, match="'bob'"):
        users({"name": "alice", "password": SECRET}, {"name": "bob", "password": "short"})


@pytest.mark.parametrize(
    ("items", "kwargs", "expected"),
    [
        pytest.param([{"name": "alice", "password": SECRET}], {}, [User("alice", SECRET, True)], id="present-is-default"),
        pytest.param([{"name": "alice", "state": "absent"}], {}, [User("alice", None, False)], id="absent-needs-no-password"),
        pytest.param([{"name": "alice", "password": SECRET, "state": "absent"}], {}, [User("alice", None, False)], id="absent-forgets-password"),
        pytest.param([{"name": "alice"}], {"required": False}, [User("alice", None, True)], id="on-create-existing-user-without-password"),
        pytest.param([{"name": "alice", "password": "x" * 72}], {"scheme": "bcrypt"}, [User("alice", "x" * 72, True)], id="bcrypt-72-bytes-is-fine"),
        pytest.param([{"name": "alice", "password": "abcd"}], {"min_length": 4}, [User("alice", "abcd", True)], id="min-length-is-inclusive"),
        pytest.param([{"name": "Ålice-ü.b_2@example", "password": SECRET}], {}, [User("Ålice-ü.b_2@example", SECRET, True)], id="unicode-name"),
        pytest.param([], {}, [], id="no-users"),
    ],
)
def test_good_users(items: list[dict[str, t.Any]], kwargs: dict[str, t.Any], expected: list[User]) -> None:
    assert users(*items, **kwargs) == expected


# --- plan --------------------------------------------------------------------------------------------------------


def test_new_file_gets_every_user_in_order() -> None:
    result = run_plan("", users({"name": "alice", "password": PASSWORD}, {"name": "bob", "password": OTHER_PASSWORD}))
    assert result.added == ["alice", "bob"] and result.changed
    assert [e.name for e in result.entries] == ["alice", "bob"]
    assert core.verifies(core.SCHEMES["apr1"], PASSWORD, t.cast(str, result.entries[0].hashed))
    assert core.verifies(core.SCHEMES["apr1"], OTHER_PASSWORD, t.cast(str, result.entries[1].hashed))
    assert result.entries[0].text == f"alice:{result.entries[0].hashed}"


@pytest.mark.parametrize("scheme", ["apr1", "ssha", "sha256_crypt", "sha512_crypt"])
def test_same_password_and_scheme_is_unchanged(scheme: str) -> None:
    content = f"# gateway\nalice:{hashed(scheme)}\n"
    result = run_plan(content, users({"name": "alice", "password": PASSWORD}, scheme=scheme), scheme=scheme)
    assert not result.changed
    assert core.render(result.entries, "\n") == content, "no new hash for a password that still verifies"


def test_same_password_and_scheme_is_unchanged_for_bcrypt() -> None:
    content = f"alice:{hashed('bcrypt')}\n"
    result = run_plan(content, users({"name": "alice", "password": PASSWORD}, scheme="bcrypt"), scheme="bcrypt")
    assert not result.changed and core.render(result.entries, "\n") == content


@pytest.mark.parametrize(("old", "new"), [("apr1", "sha512_crypt"), ("sha512_crypt", "apr1"), ("ssha", "sha256_crypt"), ("sha256_crypt", "ssha")])
def test_scheme_change_rehashes(old: str, new: str) -> None:
    result = run_plan(f"alice:{hashed(old)}\n", users({"name": "alice", "password": PASSWORD}, scheme=new), scheme=new)
    assert result.updated == ["alice"] and result.added == [] and result.removed == []
    (entry,) = result.entries
    assert core.identify(t.cast(str, entry.hashed)) == new
    assert core.verifies(core.SCHEMES[new], PASSWORD, t.cast(str, entry.hashed))


def test_password_change_rehashes_in_place() -> None:
    content = f"# top\nalice:{hashed('apr1')}\nbob:{hashed('apr1', OTHER_PASSWORD)}\n# bottom\n"
    result = run_plan(content, users({"name": "alice", "password": OTHER_PASSWORD}))
    assert result.updated == ["alice"]
    assert [e.name for e in result.entries] == [None, "alice", "bob", None]
    assert core.verifies(core.SCHEMES["apr1"], OTHER_PASSWORD, t.cast(str, result.entries[1].hashed))
    assert result.entries[2].text == f"bob:{hashed('apr1', OTHER_PASSWORD)}"


@pytest.mark.parametrize(
    ("stored", "password", "scheme"),
    [
        pytest.param("apr1", OTHER_PASSWORD, "apr1", id="other-password"),
        pytest.param("apr1", PASSWORD, "sha512_crypt", id="other-scheme"),
        pytest.param("apr1", None, "apr1", id="no-password-given"),
    ],
)
def test_update_password_on_create_never_rehashes(stored: str, password: str | None, scheme: str) -> None:
    content = f"alice:{hashed(stored)}\n"
    item: dict[str, t.Any] = {"name": "alice"} if password is None else {"name": "alice", "password": password}
    wanted = users(item, scheme=scheme, required=False)
    result = run_plan(content, wanted, scheme=scheme, update_password="on_create")
    assert not result.changed
    assert core.render(result.entries, "\n") == content


def test_update_password_on_create_still_adds_new_users() -> None:
    wanted = users({"name": "alice"}, {"name": "bob", "password": PASSWORD}, required=False)
    result = run_plan(f"alice:{hashed('apr1')}\n", wanted, update_password="on_create")
    assert result.added == ["bob"]
    assert [e.name for e in result.entries] == ["alice", "bob"]


def test_new_user_without_password_is_an_error() -> None:
    with pytest.raises(HtpasswdError, match="'bob' is new and needs a password"):
        run_plan(f"alice:{hashed('apr1')}\n", users({"name": "bob"}, required=False), update_password="on_create")


def test_exclusive_removes_unlisted_users_and_keeps_comments() -> None:
    content = f"# keep\nzoe:{hashed('apr1')}\nalice:{hashed('apr1')}\n\nbob:{hashed('apr1')}\n"
    result = run_plan(content, users({"name": "alice", "password": PASSWORD}), exclusive=True)
    assert result.removed == ["bob", "zoe"]
    assert lines_of(result) == ["# keep", f"alice:{hashed('apr1')}", ""]


def test_without_exclusive_unlisted_users_stay() -> None:
    content = f"zoe:{hashed('apr1')}\nalice:{hashed('apr1')}\n"
    result = run_plan(content, users({"name": "alice", "password": PASSWORD}))
    assert not result.changed
    assert core.render(result.entries, "\n") == content


@pytest.mark.parametrize("exclusive", [False, True])
def test_absent_removes(exclusive: bool) -> None:
    content = f"alice:{hashed('apr1')}\nbob:{hashed('apr1')}\n"
    result = run_plan(content, users({"name": "alice", "password": PASSWORD}, {"name": "bob", "state": "absent"}), exclusive=exclusive)
    assert result.removed == ["bob"] and result.changed
    assert lines_of(result) == [f"alice:{hashed('apr1')}"]


def test_absent_user_not_in_file_is_no_change() -> None:
    content = f"alice:{hashed('apr1')}\n"
    result = run_plan(content, users({"name": "bob", "state": "absent"}))
    assert not result.changed
    assert lines_of(result) == [f"alice:{hashed('apr1')}"]


def test_duplicate_lines_of_a_managed_user_collapse_to_the_first() -> None:
    first, second = hashed("apr1"), hashed("apr1", OTHER_PASSWORD)
    content = f"alice:{first}\nbob:{second}\nalice:{second}\nalice:{first}\n"
    result = run_plan(content, users({"name": "alice", "password": PASSWORD}))
    assert result.updated == ["alice"] and result.changed
    assert lines_of(result) == [f"alice:{first}", f"bob:{second}"]


def test_duplicate_lines_of_an_unmanaged_user_stay() -> None:
    content = f"bob:{hashed('apr1')}\nbob:{hashed('apr1', OTHER_PASSWORD)}\n"
    result = run_plan(content, users({"name": "alice", "password": PASSWORD}))
    assert result.added == ["alice"] and result.updated == []
    assert [e.name for e in result.entries] == ["bob", "bob", "alice"]


def test_unknown_hash_of_a_managed_user_is_replaced() -> None:
    result = run_plan("alice:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n", users({"name": "alice", "password": PASSWORD}))
    assert result.updated == ["alice"]
    assert core.identify(t.cast(str, result.entries[0].hashed)) == "apr1"


def test_crlf_file_keeps_its_comments_and_line_endings() -> None:
    content = f"# gateway\r\nalice:{hashed('apr1')}\r\n"
    result = run_plan(content, users({"name": "alice", "password": PASSWORD}, {"name": "bob", "password": OTHER_PASSWORD}))
    rendered = core.render(result.entries, "\r\n")
    assert rendered.startswith(f"# gateway\r\nalice:{hashed('apr1')}\r\nbob:")
    assert rendered.count("\r\n") == rendered.count("\n") == 3


# --- describe ----------------------------------------------------------------------------------------------------


def test_describe_shows_names_and_schemes_never_hashes() -> None:
    values = {name: hashed(name) for name in ("apr1", "ssha", "sha512_crypt")}
    content = "# comment\n" + "".join(f"user_{name}:{value}\n" for name, value in values.items()) + "legacy:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n"
    entries = core.parse(content)
    text = core.describe(entries, updated=["user_ssha"])
    assert text == "user_apr1 (apr1)\nuser_ssha (ssha, new hash)\nuser_sha512_crypt (sha512_crypt)\nlegacy (other)\n"
    for value in [*values.values(), "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g="]:
        assert value not in text
    assert "comment" not in text


def test_describe_of_a_plan_never_shows_a_hash_or_password() -> None:
    result = run_plan(f"alice:{hashed('apr1')}\n", users({"name": "alice", "password": OTHER_PASSWORD}, {"name": "bob", "password": PASSWORD}))
    text = core.describe(result.entries, result.updated)
    assert text == "alice (apr1, new hash)\nbob (apr1)\n"
    for entry in result.entries:
        assert t.cast(str, entry.hashed) not in text
    assert PASSWORD not in text and OTHER_PASSWORD not in text


def test_scheme_table_is_consistent() -> None:
    assert set(core.AUTO_SCHEME.values()) <= set(core.SCHEMES)
    assert all(isinstance(s, Scheme) and s.note for s in core.SCHEMES.values())
    assert [s.name for s in core.SCHEMES.values() if s.windows] == ["apr1", "ssha"]


# --- Entries nginx for Windows reads as plain text -----------------------------------------------------------------
# Its crypt(3) is a stub: a $6$, $5$, $2y$ (or unknown) line refuses the real password and accepts the stored string.
PLAIN_ON_WINDOWS = ["sha512_crypt", "sha256_crypt", "bcrypt"]


@pytest.mark.parametrize("stored", PLAIN_ON_WINDOWS)
@pytest.mark.parametrize("update_password", ["always", "on_create"])
def test_windows_rehashes_a_managed_entry_it_cannot_verify_in_every_mode(stored: str, update_password: str) -> None:
    content = f"alice:{hashed(stored)}\nbob:{hashed('apr1')}\n"
    result = run_plan(content, users({"name": "alice", "password": PASSWORD}), update_password=update_password, windows=True)
    assert result.updated == ["alice"]
    assert core.identify(t.cast(str, result.entries[0].hashed)) == "apr1"
    assert core.verifies(core.SCHEMES["apr1"], PASSWORD, t.cast(str, result.entries[0].hashed))
    assert result.entries[1].text == f"bob:{hashed('apr1')}"


@pytest.mark.parametrize("stored", [*PLAIN_ON_WINDOWS, "other"])
@pytest.mark.parametrize(
    ("wanted", "kwargs"),
    [
        pytest.param([{"name": "alice", "password": PASSWORD}], {}, id="unmanaged-line-kept"),
        pytest.param([{"name": "bob"}], {"update_password": "on_create"}, id="managed-without-password"),
    ],
)
def test_windows_refuses_an_entry_it_cannot_verify_and_cannot_replace(stored: str, wanted: list[dict[str, t.Any]], kwargs: dict[str, t.Any]) -> None:
    stored_hash = "$1$salt$legacy-md5-crypt" if stored == "other" else hashed(stored)
    content = f"alice:{hashed('apr1')}\nbob:{stored_hash}\n"
    with pytest.raises(HtpasswdError, match=r"'bob' use a scheme nginx for Windows cannot verify .*compares them as plain text") as error:
        run_plan(content, users(*wanted, required=False), windows=True, **kwargs)
    assert stored_hash not in str(error.value)


@pytest.mark.parametrize(
    ("wanted", "kwargs", "removed"),
    [
        pytest.param([{"name": "alice", "password": PASSWORD}], {"exclusive": True}, ["bob"], id="exclusive-drops-it"),
        pytest.param([{"name": "alice", "password": PASSWORD}, {"name": "bob", "state": "absent"}], {}, ["bob"], id="absent-removes-it"),
    ],
)
def test_windows_accepts_a_run_that_removes_the_entry(wanted: list[dict[str, t.Any]], kwargs: dict[str, t.Any], removed: list[str]) -> None:
    result = run_plan(f"alice:{hashed('apr1')}\nbob:{hashed('sha512_crypt')}\n", users(*wanted), windows=True, **kwargs)
    assert result.removed == removed
    assert [entry.name for entry in result.entries] == ["alice"]


@pytest.mark.parametrize("stored", ["{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=", "{PLAIN}plain-text-by-choice", "apr1"])
def test_windows_keeps_entries_nginx_for_windows_verifies(stored: str) -> None:
    entry = hashed("apr1") if stored == "apr1" else stored
    content = f"alice:{hashed('apr1')}\nbob:{entry}\n"
    result = run_plan(content, users({"name": "alice", "password": PASSWORD}), windows=True)
    assert not result.changed


def test_linux_keeps_crypt3_entries() -> None:
    content = f"alice:{hashed('apr1')}\nbob:{hashed('sha512_crypt')}\n"
    assert not run_plan(content, users({"name": "alice", "password": PASSWORD})).changed
