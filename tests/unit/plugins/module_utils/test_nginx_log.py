# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.ollama_remote.proxy.plugins.module_utils._nginx_log import last_error

BIND = "2026/11/30 13:40:01 [emerg] 812#812: bind() to 127.0.0.1:8443 failed (98: Address already in use)"
BIND_LATER = "2026/11/30 13:40:03 [emerg] 812#812: bind() to 127.0.0.1:8443 failed (98: Address already in use)"
STILL = "2026/11/30 13:40:03 [emerg] 812#812: still could not bind()"
WIN_BIND = "2026/11/30 13:40:01 [emerg] 4711#812: bind() to 0.0.0.0:443 failed (10013: An attempt was made to access a socket ...)"
NOTICE = "2026/11/30 13:40:02 [notice] 812#812: signal process started"
REQUEST = '2026/11/30 13:40:03 [error] 813#813: *1 open() "/x" failed (2: No such file or directory), client: 127.0.0.1'


@pytest.mark.parametrize(
    ("log", "expected"),
    [
        pytest.param(f"{NOTICE}\n{BIND}\n{REQUEST}\n{NOTICE}\n", BIND[20:], id="emerg-wins-over-later-lines"),
        pytest.param(f"{BIND}\r\n{WIN_BIND}\r\n", WIN_BIND[20:], id="the-last-process-crlf"),
        pytest.param(
            f"{BIND}\n{BIND_LATER}\n{STILL}\n{NOTICE}\n",
            "[emerg] 812#812: bind() to 127.0.0.1:8443 failed (98: Address already in use) | [emerg] 812#812: still could not bind()",
            id="a-rejected-reload-once-each",
        ),
        pytest.param(f"{NOTICE}\n{REQUEST}\n", REQUEST, id="no-severe-line-last-line"),
        pytest.param("", "(the error log is empty)", id="empty"),
    ],
)
def test_last_error(log: str, expected: str) -> None:
    assert last_error(log) == expected


def test_only_the_tail_is_read() -> None:
    log = BIND + "\n" + "\n".join([NOTICE] * 3000)
    assert last_error(log) == NOTICE
