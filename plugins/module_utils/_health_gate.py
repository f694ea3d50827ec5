# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
"""What the health gate expects of a gateway's answers to its probe (roles/verify/files/gateway_probe.py).

Each check applies only where the gateway has what it tests: a client who is not an admin, an admin, credentials
that were replaced, a model to stream from, Ollama's cloud left off.
"""

from __future__ import annotations

import itertools
import typing as t

CLOUD_OFF = (
    "Ollama's cloud off (ollama.com models and web search would be spent on the owner's account by every client): set"
    " OLLAMA_NO_CLOUD=1 for the Ollama server (the ollama role does), or gateway_allow_cloud: true to allow it"
)


def failures(answer: t.Mapping[str, t.Any], *, client: bool, admin: bool, refused: t.Sequence[str], allow_cloud: bool) -> list[str]:
    """Each check the answer fails, as 'what was expected, but got what'; an empty list when the gateway passes.

    client, admin: whether the gateway has a client who is not an admin, and an admin; refused: the names of the
    replaced credentials the gateway must refuse; allow_cloud: whether Ollama's cloud may be on.
    """
    stream = answer.get("stream") or {}
    cloud = answer.get("cloud") or {}
    refused_answers = list(answer.get("refused") or [])
    checks: list[tuple[str, bool, bool, t.Any]] = [
        ("401 without credentials", True, answer.get("anonymous") == 401, answer.get("anonymous")),
        ("200 with a password or key (Ollama reached)", True, answer.get("authenticated") == 200, answer.get("authenticated")),
        (
            "403 on model management for a client who is not an admin",
            client,
            answer.get("client_model_management") == 403,
            answer.get("client_model_management", "nothing"),
        ),
        (
            "model management passed on to Ollama for an admin (404 for a blob it does not have)",
            admin,
            answer.get("admin_model_management") == 404,
            answer.get("admin_model_management", "nothing"),
        ),
        (
            f"401 for every replaced password or key ({', '.join(refused)})",
            bool(refused),
            sorted(set(refused_answers)) == [401],
            list(itertools.zip_longest(refused, refused_answers)),
        ),
        (CLOUD_OFF, not allow_cloud, cloud.get("disabled") is True, f"cloud on ({cloud.get('source', 'unknown')})"),
        (
            "a streamed reply whose first token arrives before its end (unbuffered)",
            "skipped" not in stream,
            stream.get("status") == 200 and stream.get("end_arrived_with_the_first_token") is False,
            stream,
        ),
    ]
    return [f"{expected}, but got {got}" for expected, applies, ok, got in checks if applies and not ok]
