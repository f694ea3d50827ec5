# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The official ``ollama`` client and the ``openai`` SDK parse the double's replies, when they are installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.ollama_double import OllamaDouble
from tests.support.ollama_double.generation import REPLY

from .client import CHAT, TIMEOUT


def test_ollama_python_client_parses_the_replies(double: OllamaDouble, tmp_path: Path) -> None:
    ollama = pytest.importorskip("ollama", reason="the ollama Python client is not installed")
    client = ollama.Client(host=double.url, timeout=TIMEOUT)
    assert [model.model for model in client.list().models] == ["llama3.2:latest", "nomic-embed-text:latest"]
    reply = client.chat(model="llama3.2", messages=CHAT["messages"])
    assert (reply.message.content, reply.done) == (REPLY, True)
    parts = list(client.chat(model="llama3.2", messages=CHAT["messages"], stream=True))
    assert "".join(part.message.content for part in parts) == REPLY and parts[-1].done_reason == "stop"
    assert client.generate(model="llama3.2", prompt="hi").response == REPLY
    assert len(client.embed(model="nomic-embed-text", input=["a", "b"]).embeddings) == 2
    assert client.show("llama3.2").details.family == "llama"
    assert list(client.pull("qwen3:0.6b", stream=True))[-1].status == "success"
    blob = tmp_path / "model.gguf"
    blob.write_bytes(b"GGUF" * 1000)
    assert double.blob_path(client.create_blob(blob)).exists()
    with pytest.raises(ollama.ResponseError) as missing:
        client.chat(model="nope", messages=CHAT["messages"])
    assert missing.value.status_code == 404


def test_openai_sdk_parses_the_replies(double: OllamaDouble) -> None:
    openai = pytest.importorskip("openai", reason="the openai SDK is not installed")
    client = openai.OpenAI(base_url=double.url + "/v1", api_key="ollama", timeout=TIMEOUT, max_retries=0)
    assert [(model.id, model.owned_by) for model in client.models.list()] == [("llama3.2:latest", "library"), ("nomic-embed-text:latest", "library")]
    completion = client.chat.completions.create(model="llama3.2", messages=CHAT["messages"])
    assert completion.choices[0].message.content == REPLY and completion.usage is not None
    chunks = list(client.chat.completions.create(model="llama3.2", messages=CHAT["messages"], stream=True, stream_options={"include_usage": True}))
    assert "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices) == REPLY
    assert chunks[-1].usage is not None
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="nope", messages=CHAT["messages"])
    assert {record.header("Authorization") for record in double.requests} == {"Bearer ollama"}
