# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.ollama_remote.proxy.plugins.module_utils._windows import WindowsSettingError, check_prefix, foreign_listeners


@pytest.mark.parametrize(
    ("prefix", "expected"), [("C:/nginx", "C:/nginx"), ("D:/srv/ollama-gateway/", "D:/srv/ollama-gateway"), ("c:/nginx_1.2", "c:/nginx_1.2")]
)
def test_usable_prefixes(prefix: str, expected: str) -> None:
    assert check_prefix(prefix) == expected


@pytest.mark.parametrize(
    "prefix",
    ["C:/Program Files/nginx", "C:\\nginx", "C:/ngi'nx", 'C:/ngi"nx', "C:/nginx;", "nginx", "C:", "C:/", "/nginx", "C:/a b/c", "", None, 7],
)
def test_prefixes_nginx_would_misread_are_refused_with_the_reason(prefix: object) -> None:
    with pytest.raises(WindowsSettingError, match=r"cannot be used: give a drive and folders with forward slashes.*Spaces and quotes"):
        check_prefix(prefix)


LISTENERS = [
    {"address": "0.0.0.0", "port": 443, "pid": 4, "name": "System", "protocol": "tcp"},
    {"address": "0.0.0.0", "port": 80, "pid": 1234, "name": "nginx", "protocol": "tcp"},
    {"address": "::", "port": 80, "pid": 1234, "name": "NGINX.EXE", "protocol": "tcp"},
    {"address": "127.0.0.1", "port": 11434, "pid": 99, "name": "ollama", "protocol": "tcp"},
    {"address": "0.0.0.0", "port": 8443, "pid": 77, "name": "httpd", "protocol": "tcp"},
]


@pytest.mark.parametrize(
    ("ports", "expected"),
    [
        pytest.param([80], [], id="our-nginx-on-80"),
        pytest.param([80, 443], ["port 443 on 0.0.0.0 is held by HTTP.sys (IIS or another http.sys service) (pid 4)"], id="http-sys-on-443"),
        pytest.param(["8443"], ["port 8443 on 0.0.0.0 is held by httpd (pid 77)"], id="another-server"),
        pytest.param([8080], [], id="free"),
    ],
)
def test_foreign_listeners_name_who_holds_the_port(ports: list[int | str], expected: list[str]) -> None:
    assert foreign_listeners(LISTENERS, ports) == expected


def test_no_facts_means_nobody_holds_anything() -> None:
    assert foreign_listeners([], [80, 443]) == []
