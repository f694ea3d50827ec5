# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What each served route answers, after Ollama's handlers in ``server/routes.go`` and ``middleware/openai.go``.

Only routes some test, benchmark or playbook reaches are here; ``handler`` answers the rest of ``routes.ROUTES`` 501.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .generation import Generation, count_tokens, embedding_of
from .models import MODELS, normalize_model_name, openai_model, show_payload, tags_entry
from .wire import JSON_PLAIN, NDJSON, SSE, TEXT_UTF8, ndjson_line

if TYPE_CHECKING:
    from .body import Body
    from .handler import Handler

Params = dict[str, str]
DIGEST = re.compile(r"sha256[:-][0-9a-fA-F]{64}")


# Health and model information.


def root(handler: Handler, _params: Params) -> None:
    handler.reply(200, b"Ollama is running", TEXT_UTF8)


def version(handler: Handler, _params: Params) -> None:
    handler.reply_json(200, {"version": handler.double.version})


def status(handler: Handler, _params: Params) -> None:
    """Whether ollama.com's cloud is off (OLLAMA_NO_CLOUD); the verify role's health gate asks."""
    disabled = handler.double.cloud_disabled
    handler.reply_json(200, {"cloud": {"disabled": disabled, "source": "env" if disabled else "none"}})


def tags(handler: Handler, _params: Params) -> None:
    handler.reply_json(200, {"models": [tags_entry(model) for model in MODELS]})


def show(handler: Handler, _params: Params) -> None:
    body = handler.read_json()
    if body is not None and (model := handler.find_model(body.get("model") or body.get("name"), required=True)):
        handler.reply_json(200, show_payload(model))


# Native inference.


def generate(handler: Handler, _params: Params) -> None:
    body = handler.read_json()
    if body is None or not handler.find_model(body.get("model"), required=False):
        return
    generation = Generation(str(body["model"]), count_tokens(body.get("prompt")))
    if body.get("stream") is False:
        handler.reply_json(200, generation.generate_done(generation.text))
    else:
        handler.reply_stream(NDJSON, (ndjson_line(part) for part in generation.generate_parts()))


def chat(handler: Handler, _params: Params) -> None:
    body = handler.read_json()
    if body is None or not handler.find_model(body.get("model"), required=True):
        return
    generation = Generation(str(body["model"]), count_tokens(body.get("messages")))
    if body.get("stream") is False:
        handler.reply_json(200, generation.chat_done(generation.text))
    else:
        handler.reply_stream(NDJSON, (ndjson_line(part) for part in generation.chat_parts()))


def embed(handler: Handler, _params: Params) -> None:
    body = handler.read_json()
    if body is None or not handler.find_model(body.get("model"), required=False):
        return
    inputs = _embed_inputs(body.get("input"))
    if inputs is None:
        handler.reply_error(400, "invalid input type")
        return
    reply: dict[str, Any] = {"model": body["model"], "embeddings": [embedding_of(text) for text in inputs]}
    if inputs:
        reply |= {"total_duration": 1_000_000, "load_duration": 100_000, "prompt_eval_count": count_tokens(inputs)}
    handler.reply_json(200, reply)


def _embed_inputs(value: Any) -> list[str] | None:
    """/api/embed's ``input``: one string or a list of strings; None when it is neither (Ollama answers 400)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    return None


# Model management.


def pull(handler: Handler, _params: Params) -> None:
    """Progress as NDJSON, or only the last status with ``stream: false``; the installed models stay as they are."""
    body = handler.read_json()
    if body is None:
        return
    if not normalize_model_name(str(body.get("model") or body.get("name") or "")):
        handler.reply_error(400, "invalid model name")
        return
    steps = [{"status": "pulling manifest"}, {"status": "verifying sha256 digest"}, {"status": "writing manifest"}, {"status": "success"}]
    if body.get("stream") is False:
        handler.reply_json(200, steps[-1], JSON_PLAIN)
    else:
        handler.reply_stream(NDJSON, (ndjson_line(step) for step in steps))


def blob_head(handler: Handler, params: Params) -> None:
    digest = params["digest"]
    if not DIGEST.fullmatch(digest):
        handler.reply_error(400, "invalid digest format")
    elif handler.double.blob_path(digest).exists():
        handler.reply(200)
    else:
        handler.reply_error(404, f"blob {json.dumps(digest)} not found")


def blob_upload(handler: Handler, params: Params) -> None:
    """Stream the body to a file while hashing it; 201 when it matches the digest, 200 if the blob was already there."""
    digest = params["digest"]
    if not DIGEST.fullmatch(digest):
        handler.reply_error(400, "invalid digest format")
        return
    final = handler.double.blob_path(digest)
    if final.exists():
        handler.reply(200)  # Ollama answers without reading the body
        return
    received, hex_digest = _store(handler.body, final.parent)
    actual = f"sha256:{hex_digest}"
    if actual != digest:  # Ollama compares with the "sha256:" form, so a "sha256-" digest never matches
        received.unlink(missing_ok=True)
        handler.reply_error(400, f"digest mismatch, expected {json.dumps(digest)}, got {json.dumps(actual)}")
        return
    os.replace(received, final)
    handler.reply(201)


def _store(body: Body, directory: Path) -> tuple[Path, str]:
    """Copy the body chunk by chunk into a new file in ``directory``; returns the file and the body's sha256 (hex)."""
    digest = hashlib.sha256()
    handle, name = tempfile.mkstemp(dir=directory, prefix="upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in body.chunks():
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name), digest.hexdigest()


# OpenAI-compatible API.


def v1_chat(handler: Handler, _params: Params) -> None:
    body = handler.read_json(openai=True)
    if body is None:
        return
    if not body.get("messages"):
        handler.reply_error(400, "[] is too short - 'messages'", openai=True)
        return
    if not handler.find_model(body.get("model"), required=True, openai=True):
        return
    generation = Generation(str(body["model"]), count_tokens(body.get("messages")))
    chat_id = f"chatcmpl-{random.randrange(999)}"
    if body.get("stream") is True:
        options = body.get("stream_options")
        include_usage = isinstance(options, dict) and options.get("include_usage") is True
        handler.reply_stream(SSE, generation.openai_chat_stream(chat_id, include_usage))
    else:
        handler.reply_json(200, generation.openai_chat_completion(chat_id), JSON_PLAIN, trailing_newline=True)


def v1_models(handler: Handler, _params: Params) -> None:
    handler.reply_json(200, {"object": "list", "data": [openai_model(model) for model in MODELS]}, JSON_PLAIN, trailing_newline=True)


ENDPOINTS: dict[tuple[str, str], Callable[[Handler, Params], None]] = {
    ("HEAD", "/"): root,
    ("GET", "/"): root,
    ("HEAD", "/api/version"): version,
    ("GET", "/api/version"): version,
    ("GET", "/api/status"): status,
    ("HEAD", "/api/tags"): tags,
    ("GET", "/api/tags"): tags,
    ("POST", "/api/show"): show,
    ("POST", "/api/generate"): generate,
    ("POST", "/api/chat"): chat,
    ("POST", "/api/embed"): embed,
    ("POST", "/api/pull"): pull,
    ("HEAD", "/api/blobs/:digest"): blob_head,
    ("POST", "/api/blobs/:digest"): blob_upload,
    ("POST", "/v1/chat/completions"): v1_chat,
    ("GET", "/v1/models"): v1_models,
}
