# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
"""The configuration generation: a word each reload stamps into a file nginx includes, and serves to the host itself.

`nginx -s reload` exits 0 even when the running nginx rejects the new configuration (a port it cannot bind, say), so
the run asks nginx for the generation after each reload. Until the first reload a stand-in answers 404. Whether nginx
serves what is on disk is told from the file's checksum, which the task that writes the configuration reports, so the
file itself is never read.
"""

from __future__ import annotations

import re

from ansible_collections.ollama_remote.proxy.plugins.module_utils._text_file import text_file_sha1

STAND_IN = "return 404;"
WORD = re.compile(r"[a-z0-9]+")


def directive(generation: str | None) -> str | None:
    """The nginx line of the generation file: a 200 answer with the word, or the stand-in for none. None for a text
    that is no generation (whatever else answered on the generation's address): no file of the gateway holds it."""
    if not generation:
        return STAND_IN
    return f'return 200 "{generation}\\n";' if WORD.fullmatch(generation) else None


def file_checksum(generation: str | None, *, windows: bool) -> str | None:
    """The SHA-1 of the generation file that serves `generation`, as the configuration task writes it."""
    line = directive(generation)
    return None if line is None else text_file_sha1(line, windows=windows)
