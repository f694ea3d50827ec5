# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the double's models produce: one fixed reply, split into tokens and rendered as Ollama's native and OpenAI
payloads (``openai/``, ``middleware/openai.go``), and deterministic embeddings."""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .wire import SSE_DONE, now_rfc3339, sse_data

REPLY = "Hello from the Ollama test double."
EMBEDDING_SIZE = 8


def split_tokens(text: str) -> list[str]:
    """Word-sized pieces with their leading space, like an LLM's tokens."""
    return re.findall(r"\s*\S+", text) or [text]


def count_tokens(value: Any) -> int:
    """A stand-in token count: the words of every string inside ``value``, at least 1 (Ollama omits zero counts)."""
    return max(1, _count_words(value))


def _count_words(value: Any) -> int:
    if isinstance(value, str):
        return len(value.split())
    if isinstance(value, dict):
        return sum(_count_words(item) for item in value.values())
    if isinstance(value, list):
        return sum(_count_words(item) for item in value)
    return 0


def embedding_of(text: str) -> list[float]:
    """A deterministic unit vector derived from the text: equal inputs embed equally."""
    raw = [(byte - 127.5) / 127.5 for byte in hashlib.sha256(text.encode()).digest()[:EMBEDDING_SIZE]]
    norm = math.sqrt(sum(value * value for value in raw)) or 1.0
    return [round(value / norm, 6) for value in raw]


@dataclass
class Generation:
    """One simulated generation of the reply for ``model`` (the name as the request gave it)."""

    model: str
    prompt_tokens: int
    tokens: list[str] = field(default_factory=lambda: split_tokens(REPLY))
    started_ns: int = field(default_factory=time.perf_counter_ns)

    @property
    def text(self) -> str:
        return "".join(self.tokens)

    def metrics(self) -> dict[str, int]:
        total = max(time.perf_counter_ns() - self.started_ns, 1)
        return {
            "total_duration": total,
            "load_duration": max(total // 10, 1),
            "prompt_eval_count": self.prompt_tokens,
            "prompt_eval_duration": max(total // 5, 1),
            "eval_count": len(self.tokens),
            "eval_duration": max(total // 2, 1),
        }

    def usage(self) -> dict[str, int]:
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": len(self.tokens), "total_tokens": self.prompt_tokens + len(self.tokens)}

    # Native API: /api/chat and /api/generate.

    def chat_parts(self) -> Iterator[dict[str, Any]]:
        for token in self.tokens:
            yield {"model": self.model, "created_at": now_rfc3339(), "message": {"role": "assistant", "content": token}, "done": False}
        yield self.chat_done("")

    def chat_done(self, content: str) -> dict[str, Any]:
        message = {"role": "assistant", "content": content}
        return {"model": self.model, "created_at": now_rfc3339(), "message": message, "done": True, "done_reason": "stop", **self.metrics()}

    def generate_parts(self) -> Iterator[dict[str, Any]]:
        for token in self.tokens:
            yield {"model": self.model, "created_at": now_rfc3339(), "response": token, "done": False}
        yield self.generate_done("")

    def generate_done(self, response: str) -> dict[str, Any]:
        return {"model": self.model, "created_at": now_rfc3339(), "response": response, "done": True, "done_reason": "stop", **self.metrics()}

    # OpenAI API: /v1/chat/completions.

    def openai_chat_stream(self, chat_id: str, include_usage: bool) -> Iterator[bytes]:
        created = int(time.time())
        for index, token in enumerate(self.tokens):
            delta = {"role": "assistant", "content": token} if index == 0 else {"content": token}
            yield sse_data(self._chat_chunk(chat_id, created, {"index": 0, "delta": delta, "finish_reason": None}))
        finish = self._chat_chunk(chat_id, created, {"index": 0, "delta": {}, "finish_reason": "stop"})
        tail = sse_data(finish)
        if include_usage:
            tail += sse_data({**finish, "choices": [], "usage": self.usage()})
        yield tail + SSE_DONE  # Ollama writes the finish chunk, usage and [DONE] in one flush

    def _chat_chunk(self, chat_id: str, created: int, choice: dict[str, Any]) -> dict[str, Any]:
        head = {"id": chat_id, "object": "chat.completion.chunk", "created": created, "model": self.model}
        return {**head, "system_fingerprint": "fp_ollama", "choices": [choice]}

    def openai_chat_completion(self, chat_id: str) -> dict[str, Any]:
        choice = {"index": 0, "message": {"role": "assistant", "content": self.text}, "finish_reason": "stop"}
        return {
            "id": chat_id,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model,
            "system_fingerprint": "fp_ollama",
            "choices": [choice],
            "usage": self.usage(),
        }
