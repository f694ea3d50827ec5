# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.ollama_remote.proxy.plugins.filter.found_files import found_files

# As win_find answers: backslashes, the file system's letter case, a checksum only when asked for one.
FOUND = [
    {"path": "C:\\Nginx\\dist\\nginx-1.27.5\\nginx.exe", "checksum": None, "isdir": False},
    {"path": "C:\\ProgramData\\simple-acme\\acme-v02.api.letsencrypt.org\\ollama-gateway.renewal.json", "checksum": "ab" * 32},
]


def test_paths_compare_without_regard_to_slashes_or_case() -> None:
    wanted = {
        "nginx": "C:/nginx/dist/nginx-1.27.5/nginx.exe",
        "renewal": "C:/ProgramData/simple-acme/acme-v02.api.letsencrypt.org/ollama-gateway.renewal.json",
        "shawl": "C:/nginx/dist/shawl-1.9.0/shawl.exe",
    }
    assert found_files(FOUND, wanted) == {"nginx": "", "renewal": "ab" * 32, "shawl": None}


def test_nothing_found_is_none_for_every_name() -> None:
    assert found_files([], {"marker": "C:/x/y.request"}) == {"marker": None}


@pytest.mark.parametrize(("found", "wanted"), [(None, {}), ({"files": []}, {}), ([], ["C:/x"])])
def test_what_is_not_a_win_find_answer_is_refused(found: object, wanted: object) -> None:
    with pytest.raises(AnsibleFilterError, match="takes the files of a win_find result"):
        found_files(found, wanted)


def test_an_entry_without_a_path_is_named() -> None:
    with pytest.raises(AnsibleFilterError, match="an entry without 'path'"):
        found_files([{"checksum": "x"}], {"a": "C:/a"})
