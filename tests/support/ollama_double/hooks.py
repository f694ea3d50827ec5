# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test hooks Ollama does not have: the stream gate and the record of every request that arrived."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

STREAM_ID_HEADER = "X-Test-Stream-Id"
DEFAULT_GATE_TIMEOUT = 10.0


@dataclass
class StreamGate:
    """Synchronisation points of the request tagged ``X-Test-Stream-Id: <stream_id>``.

    ``first_chunk_sent``: the first chunk of a streamed reply was written to the socket; it is set just after the write,
    so a client may read the chunk a moment earlier: wait on it, do not poll it. ``released``: the test let the reply go
    on. ``finished``: the double is done with the request. ``timed_out``: nobody released it within the gate timeout,
    so it went on by itself.
    """

    stream_id: str
    first_chunk_sent: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    timed_out: bool = False

    def hold(self, timeout: float) -> None:
        """Wait for release; past the timeout carry on but remember it, so the test can fail on it."""
        if not self.released.wait(timeout):
            self.timed_out = True


@dataclass(frozen=True)
class RecordedRequest:
    """One request as it reached the double: what a proxy forwarded, and the status the double answered."""

    method: str
    path: str  # percent-decoded path, what routing matched
    headers: tuple[tuple[str, str], ...]  # in arrival order, repeats kept
    client_address: tuple[str, int]
    body_size: int  # body bytes the double read before answering (unread bodies of refused requests count 0)
    status: int

    def header(self, name: str) -> str | None:
        """First value of a header, matched case-insensitively; None when absent."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)
