# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import hashlib

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.ollama_remote.proxy.plugins.filter.generation_file import generation_file


def test_generation_file_filter() -> None:
    assert generation_file("ab12", True) == {"content": 'return 200 "ab12\\n";', "checksum": hashlib.sha1(b'return 200 "ab12\\n";\r\n').hexdigest()}
    assert generation_file(None, False)["content"] == "return 404;"
    assert generation_file("<html>", False) == {"content": None, "checksum": None}
    with pytest.raises(AnsibleFilterError, match="whether the target is Windows"):
        generation_file("ab12", "no")
