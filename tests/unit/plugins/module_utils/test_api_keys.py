# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import datetime
import http.client
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from ansible_collections.ollama_remote.proxy.plugins.module_utils import _api_keys as core

NGINX = shutil.which("nginx")
# Every character a key may hold, including the two with a meaning in a regular expression.
KEYS = {"dotted": "a.b+c/d=e~f-g_h" + "x" * 20, "plain": "Secret" + "Z" * 30}
# Header values that must not be taken for the key `dotted` or `plain`.
NEAR_MISSES = [
    "Bearer aXb+c/d=e~f-g_h" + "x" * 20,  # '.' is not a wildcard
    "Bearer a.bbc/d=e~f-g_h" + "x" * 20,  # '+' is not a repetition
    "Bearer " + KEYS["plain"].swapcase(),  # keys are case-sensitive
    "Bearer " + KEYS["plain"] + "x",
    "Bearer " + KEYS["plain"][1:],
    "Bearer  " + KEYS["plain"],
    "Basic " + KEYS["plain"],
    KEYS["plain"],
]


def entries(text: str) -> list[tuple[str, str]]:
    """(regex, name) of each map line, as nginx reads a quoted string: backslashes kept, quotes removed."""
    return re.findall(r'^"~(.*)" (\S+);$', text, re.MULTILINE)


def match(text: str, header: str) -> str:
    """The name nginx's map gives the header: the first regex that matches, else the default ''."""
    return next((name for pattern, name in entries(text) if re.search(pattern, header)), "")


def test_render_and_parse_round_trip() -> None:
    text = core.render(KEYS, "\n")
    assert core.parse_file(text) == KEYS
    assert len(entries(text)) == len(KEYS)


def test_parse_reads_the_former_plain_format() -> None:
    assert core.parse_file('"Bearer old.key+1" legacy;\n') == {"legacy": "old.key+1"}


@pytest.mark.parametrize("name", list(KEYS))
def test_a_key_matches_exactly_with_either_scheme_case(name: str) -> None:
    text = core.render(KEYS, "\n")
    assert match(text, f"Bearer {KEYS[name]}") == name
    assert match(text, f"bearer {KEYS[name]}") == name


@pytest.mark.parametrize("header", NEAR_MISSES)
def test_near_misses_match_no_key(header: str) -> None:
    assert match(core.render(KEYS, "\n"), header) == ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed")
def test_nginx_reads_the_file_the_same_way(tmp_path: Path) -> None:
    (tmp_path / "keys.map").write_text(core.render(KEYS, "\n"))
    port = free_port()
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log; events {{}}\n"
        f"http {{ access_log off; client_body_temp_path {tmp_path}/body;\n"
        f'  map $http_authorization $key_name {{ default ""; include {tmp_path}/keys.map; }}\n'
        f'  server {{ listen 127.0.0.1:{port}; location / {{ return 200 "[$key_name]"; }} }} }}\n'
    )
    process = subprocess.Popen([str(NGINX), "-p", str(tmp_path), "-c", str(conf), "-g", "daemon off;"])
    try:
        wanted = {f"Bearer {key}": f"[{name}]" for name, key in KEYS.items()} | {header: "[]" for header in NEAR_MISSES}
        assert {header: ask(port, header) for header in wanted} == wanted
    finally:
        process.terminate()
        process.wait(timeout=10)


def ask(port: int, authorization: str) -> str:
    deadline = time.monotonic() + 10
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/", headers={"Authorization": authorization})
            return conn.getresponse().read().decode()
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


# --- expiry ----------------------------------------------------------------------------------------------------------


def test_expiry_dates_are_read_and_judged_by_day() -> None:
    today = datetime.date(2026, 11, 30)
    items = [
        {"name": "old", "key": "k" * 40, "expires": "2026-11-29"},
        {"name": "last-day", "key": "l" * 40, "expires": datetime.date(2026, 11, 30)},
        {"name": "soon", "key": "s" * 40, "expires": "2026-12-10"},
        {"name": "later", "key": "m" * 40, "expires": datetime.datetime(2027, 6, 1, 12, 0)},
        {"name": "forever", "key": "f" * 40},
    ]
    expiries = core.parse_expiry(items)
    assert [entry.name for entry in expiries] == ["old", "last-day", "soon", "later"]
    assert [entry.name for entry in core.expired(expiries, today)] == ["old"]
    assert [(entry.name, entry.days_left(today)) for entry in core.expiring(expiries, today, 14)] == [("last-day", 0), ("soon", 10)]


@pytest.mark.parametrize("value", ["2026-13-01", "next week", "30.11.2026", 20261130])
def test_an_unreadable_expiry_is_an_error(value: object) -> None:
    with pytest.raises(core.ApiKeysError, match="key 'k': expires must be a date as YYYY-MM-DD"):
        core.parse_expiry([{"name": "k", "key": "k" * 40, "expires": value}])
