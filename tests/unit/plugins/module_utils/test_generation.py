# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import hashlib

import pytest

from ansible_collections.ollama_remote.proxy.plugins.module_utils import _generation


def test_a_generation_is_served_with_a_200_and_none_by_the_stand_in() -> None:
    assert _generation.directive("ab12") == 'return 200 "ab12\\n";'
    assert _generation.directive("") == _generation.directive(None) == "return 404;"


@pytest.mark.parametrize("text", ["<html>", 'x";', "AB", "a b"])
def test_a_text_that_is_no_generation_matches_no_file(text: str) -> None:
    assert _generation.directive(text) is None
    assert _generation.file_checksum(text, windows=False) is None


def test_the_checksum_is_that_of_the_file_config_files_writes() -> None:
    assert _generation.file_checksum("ab12", windows=False) == hashlib.sha1(b'return 200 "ab12\\n";\n').hexdigest()
    assert _generation.file_checksum("ab12", windows=True) == hashlib.sha1(b'return 200 "ab12\\n";\r\n').hexdigest()
    assert _generation.file_checksum("", windows=True) == hashlib.sha1(b"return 404;\r\n").hexdigest()
