# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import hashlib

import pytest

from ansible_collections.ollama_remote.proxy.plugins.module_utils._text_file import text_file_bytes, text_file_sha1


@pytest.mark.parametrize(
    ("text", "posix", "windows"),
    [
        ("a\nb", b"a\nb\n", b"a\r\nb\r\n"),
        ("a\r\nb\n", b"a\r\nb\n", b"a\r\nb\r\n"),
        ("", b"", b""),
        ("é", "é\n".encode(), "é\r\n".encode()),
    ],
)
def test_a_final_newline_and_crlf_on_windows(text: str, posix: bytes, windows: bytes) -> None:
    assert text_file_bytes(text, windows=False) == posix
    assert text_file_bytes(text, windows=True) == windows
    assert text_file_sha1(text, windows=True) == hashlib.sha1(windows).hexdigest()
