# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The models the double claims to have installed, and how Ollama lists and shows them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ModelInfo:
    name: str
    family: str = "llama"
    parameter_size: str = "3.2B"
    quantization_level: str = "Q4_K_M"
    size: int = 2_019_393_189
    capabilities: tuple[str, ...] = ("completion", "tools")
    context_length: int = 131_072
    modified_at: str = "2025-01-01T00:00:00Z"

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.name.encode()).hexdigest()

    def details(self) -> dict[str, Any]:
        return {
            "parent_model": "",
            "format": "gguf",
            "family": self.family,
            "families": [self.family],
            "parameter_size": self.parameter_size,
            "quantization_level": self.quantization_level,
        }


# Fixed: a pull reports success without adding anything, and nothing removes a model.
MODELS = (
    ModelInfo("llama3.2:latest"),
    ModelInfo("nomic-embed-text:latest", "nomic-bert", "137M", "F16", 274_302_450, ("embedding",), 2048),
)


def normalize_model_name(name: str) -> str:
    """``llama3.2`` -> ``llama3.2:latest``: a name without a tag means the ``latest`` tag."""
    name = name.strip()
    if name and ":" not in name.rsplit("/", 1)[-1]:
        return name + ":latest"
    return name


def find_model(name: str) -> ModelInfo | None:
    """The installed model a request names (tag optional, case ignored), or None."""
    key = normalize_model_name(name).lower()
    return next((model for model in MODELS if model.name.lower() == key), None) if name else None


def tags_entry(model: ModelInfo) -> dict[str, Any]:
    return {"name": model.name, "model": model.name, "modified_at": model.modified_at, "size": model.size, "digest": model.digest, "details": model.details()}


def show_payload(model: ModelInfo) -> dict[str, Any]:
    """/api/show: what clients read (details, model_info, capabilities)."""
    arch = model.family.replace("-", "_")
    model_info = {"general.architecture": arch, f"{arch}.context_length": model.context_length, f"{arch}.embedding_length": 3072}
    return {"details": model.details(), "model_info": model_info, "capabilities": list(model.capabilities), "modified_at": model.modified_at}


def openai_model(model: ModelInfo) -> dict[str, Any]:
    """A /v1/models entry; ``owned_by`` is the namespace, ``library`` for plain names."""
    parts = model.name.split("/")
    created = int(datetime.fromisoformat(model.modified_at.replace("Z", "+00:00")).timestamp())
    return {"id": model.name, "object": "model", "created": created, "owned_by": parts[-2] if len(parts) > 1 else "library"}
