# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Directories the test helpers build once and keep (nginx for Windows with Wine, pebble), outside the checkout.

Stdlib only: the helpers also run as plain scripts.
"""

from __future__ import annotations

import fcntl
import shutil
import typing as t
from pathlib import Path


def build_once(cache: Path, build: t.Callable[[Path], None]) -> Path:
    """cache, made by build() into an empty directory beside it the first time; concurrent callers wait for it. A
    build that fails leaves no cache behind, and the next call builds again."""
    cache.parent.mkdir(parents=True, exist_ok=True)
    with (cache.parent / f"{cache.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (cache / ".complete").exists():
            return cache
        partial = cache.with_name(f"{cache.name}.partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        build(partial)
        (partial / ".complete").touch()
        shutil.rmtree(cache, ignore_errors=True)
        partial.rename(cache)
        return cache
