# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.ollama_remote.proxy.plugins.filter.nginx_last_error import nginx_last_error


def test_nginx_last_error_filter() -> None:
    assert nginx_last_error("2026/11/30 13:40:01 [emerg] 7#7: b\nc\n") == "[emerg] 7#7: b"
    with pytest.raises(AnsibleFilterError, match="takes the error log as text"):
        nginx_last_error(b"bytes")
