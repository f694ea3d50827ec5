# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
"""The bytes the collection writes for a text file, so a file's checksum can be foretold without reading it."""

from __future__ import annotations

import hashlib


def text_file_bytes(text: str, *, windows: bool) -> bytes:
    """UTF-8 with a final newline (unless empty), CRLF line ends on Windows: what nginx for Windows and Notepad read."""
    if text and not text.endswith("\n"):
        text += "\n"
    if windows:
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    return text.encode("utf-8")


def text_file_sha1(text: str, *, windows: bool) -> str:
    """The SHA-1 that find and win_find report for that file."""
    return hashlib.sha1(text_file_bytes(text, windows=windows), usedforsecurity=False).hexdigest()
