# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Replies as Go writes them: content types, compact JSON, NDJSON lines and SSE events."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

JSON_UTF8 = "application/json; charset=utf-8"  # gin's c.JSON
JSON_PLAIN = "application/json"  # the /v1 writers
NDJSON = "application/x-ndjson"  # native streams
SSE = "text/event-stream"  # /v1 streams
TEXT_UTF8 = "text/plain; charset=utf-8"
TEXT_PLAIN = "text/plain"  # gin's own 404 and 405

SSE_DONE = b"data: [DONE]\n\n"


def dumps(value: Any) -> bytes:
    """Compact JSON as Go's encoder writes it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def ndjson_line(value: Any) -> bytes:
    return dumps(value) + b"\n"


def sse_data(value: Any) -> bytes:
    return b"data: " + dumps(value) + b"\n\n"


def now_rfc3339() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
