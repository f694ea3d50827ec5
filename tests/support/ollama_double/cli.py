# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The double as a process: ``python tests/support/ollama_double --listen HOST:PORT`` (or ``python -m
tests.support.ollama_double`` from the checkout), for tests that need Ollama in another network namespace or beside a
container host."""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading
from collections.abc import Sequence

from .hooks import DEFAULT_GATE_TIMEOUT
from .server import OllamaDouble

DEFAULT_LISTEN = "127.0.0.1:11434"


def parse_listen(value: str) -> tuple[str, int]:
    """``HOST:PORT`` or ``[IPV6]:PORT``, the OLLAMA_HOST form without a scheme."""
    if value.startswith("["):
        host, _bracket, rest = value[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    else:
        host, _colon, port_text = value.rpartition(":")
    if not host or not port_text.isdigit() or int(port_text) > 65535:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT or [IPV6]:PORT, got {value!r}")
    return host, int(port_text)


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until SIGINT or SIGTERM; prints ``listening on <url>`` once ready, so a wrapper can wait for that line."""
    parser = argparse.ArgumentParser(prog="ollama_double", description="Ollama test double: answers like `ollama serve` does, for proxy tests.")
    parser.add_argument("--listen", type=parse_listen, default=DEFAULT_LISTEN, help="HOST:PORT or [IPV6]:PORT to bind; port 0 picks a free one (%(default)s)")
    parser.add_argument("--no-cloud", action="store_true", help="act as with OLLAMA_NO_CLOUD=1")
    parser.add_argument("--gate-timeout", type=float, default=DEFAULT_GATE_TIMEOUT, help="seconds a gated stream waits for release (%(default)s)")
    args = parser.parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_args: stop.set())
    with OllamaDouble(*args.listen, gate_timeout=args.gate_timeout, cloud_disabled=args.no_cloud) as double:
        print(f"listening on {double.url}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while not stop.wait(0.5):  # a timed wait keeps Ctrl-C working on every platform
                pass
    return 0
