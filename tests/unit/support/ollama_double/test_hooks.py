# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stream gate's timeout: a reply nobody releases goes on by itself and says so."""

from __future__ import annotations

import contextlib
import json

from tests.support.ollama_double import OllamaDouble

from .client import CHAT, TIMEOUT, new_stream_id, open_stream


def test_unreleased_gate_times_out_and_says_so() -> None:
    with OllamaDouble(gate_timeout=0.2) as double:
        stream_id = new_stream_id()
        connection, response = open_stream(double, "/api/chat", CHAT, stream_id)
        with contextlib.closing(connection):
            lines = response.read().splitlines()
        assert json.loads(lines[-1])["done"] is True
        assert double.gate(stream_id).finished.wait(TIMEOUT)
        assert double.gate(stream_id).timed_out
