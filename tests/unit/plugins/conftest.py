# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from pathlib import Path

import pytest
from ansible import constants as C


@pytest.fixture
def local_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The controller's temporary directory, where content to write is staged; tests check it is left empty."""
    path = tmp_path / "local"
    path.mkdir()
    monkeypatch.setattr(C, "DEFAULT_LOCAL_TMP", str(path))
    return path
