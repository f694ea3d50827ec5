# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One double for the package's tests, reset before each; tests that need other settings start their own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.ollama_double import OllamaDouble


@pytest.fixture(scope="package")
def running() -> Iterator[OllamaDouble]:
    with OllamaDouble(hostname="ollama-box") as double:
        yield double


@pytest.fixture
def double(running: OllamaDouble) -> OllamaDouble:
    running.reset()
    return running
