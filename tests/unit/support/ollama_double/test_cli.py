# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The double as a process, started the ways the integration and container tests start it."""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import selectors
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.ollama_double.cli import parse_listen

from .client import TIMEOUT

REPO = Path(__file__).resolve().parents[4]
PACKAGE = REPO / "tests" / "support" / "ollama_double"


def test_parse_listen() -> None:
    assert parse_listen("127.0.0.1:11434") == ("127.0.0.1", 11434)
    assert parse_listen("[::1]:0") == ("::1", 0)
    with pytest.raises(argparse.ArgumentTypeError, match="HOST:PORT"):
        parse_listen("localhost")


@pytest.mark.parametrize(
    ("command", "in_checkout"),
    [([str(PACKAGE)], False), (["-m", "tests.support.ollama_double"], True)],
    ids=["the package directory, from anywhere", "-m, from the checkout"],
)
def test_runs_as_a_script(command: list[str], in_checkout: bool, tmp_path: Path) -> None:
    cwd = REPO if in_checkout else tmp_path
    with subprocess.Popen([sys.executable, *command, "--listen", "127.0.0.1:0"], cwd=cwd, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            with selectors.DefaultSelector() as selector:
                selector.register(process.stdout, selectors.EVENT_READ)
                assert selector.select(TIMEOUT), "the double printed nothing"
            line = process.stdout.readline()
            assert line.startswith("listening on http://127.0.0.1:")
            address = urlsplit(line.split()[-1])
            connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=TIMEOUT)
            with contextlib.closing(connection):
                connection.request("GET", "/api/version")
                assert json.loads(connection.getresponse().read())["version"]
        finally:
            process.terminate()
            assert process.wait(TIMEOUT) == 0
