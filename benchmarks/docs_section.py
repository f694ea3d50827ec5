"""Rewrite one marked section of a Markdown file: each benchmark writes its own figures, and nothing else, into docs/."""

from __future__ import annotations

import sys
from pathlib import Path


def replace_section(path: Path, name: str, section: str) -> None:
    """Put `section` between <!-- name:start --> and <!-- name:end --> in `path`; exit when the markers are missing."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = path.read_text()
    if start not in text or end not in text:
        sys.exit(f"{path} has no {start} ... {end} markers")
    before, rest = text.split(start, 1)
    path.write_text(before + start + "\n" + section + "\n" + end + rest.split(end, 1)[1])
