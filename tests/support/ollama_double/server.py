# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The double itself: a threaded HTTP server on a background thread, with the test hooks' state."""

from __future__ import annotations

import contextlib
import socket
import socketserver
import sys
import tempfile
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .checks import is_loopback, parse_ip
from .handler import Handler
from .hooks import DEFAULT_GATE_TIMEOUT, RecordedRequest, StreamGate

DEFAULT_VERSION = "0.33.0-rc2"
# Go half-closes and lingers this long before closing, so unread input cannot reset the connection under the reply.
LINGER_SECONDS = 0.5


def _linger_close(sock: socket.socket) -> None:
    """Half-close, read what the client still sends for a moment, then close, so unread input cannot reset the reply."""
    try:
        sock.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + LINGER_SECONDS
        while (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            if not sock.recv(1 << 16):
                break
    except OSError:
        pass
    finally:
        sock.close()


class DoubleHTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that knows its double, binds IPv6 literals too, and can cut every open connection."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], double: OllamaDouble) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.double = double
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the FQDN of the address, a DNS round trip nothing here needs.
        socketserver.TCPServer.server_bind(self)
        host, port = self.socket.getsockname()[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up (wrk at the end of a run, a proxy cutting a stream) is normal, not an error to print.
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        _linger_close(request)

    def cut_connections(self) -> None:
        """Shut every open connection, so idle keep-alive and stalled handler threads end and can be joined."""
        with self._open_lock:
            connections = list(self._open)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class OllamaDouble:
    """An Ollama test double serving HTTP on a background thread; use it as a context manager or call start()/close().

    host, port: where to listen; port 0 takes a free port (read it back from ``port`` or ``url``). ``"::1"`` binds IPv6.
        The Host check is on, as in Ollama, only when that address is loopback.
    hostname: the name the Host check accepts as this machine's (default: socket.gethostname()).
    gate_timeout: how long a gated stream waits for release() before it goes on by itself and records ``timed_out``.
    cloud_disabled: act as with OLLAMA_NO_CLOUD=1 (an attribute a test may change). version: what /api/version reports.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        hostname: str | None = None,
        gate_timeout: float = DEFAULT_GATE_TIMEOUT,
        cloud_disabled: bool = False,
        version: str = DEFAULT_VERSION,
    ) -> None:
        self.bind_host, self.bind_port = host, port
        self.hostname = socket.gethostname() if hostname is None else hostname
        self.gate_timeout, self.cloud_disabled, self.version = gate_timeout, cloud_disabled, version
        self._records: list[RecordedRequest] = []
        self._records_lock = threading.Lock()
        self._gates: dict[str, StreamGate] = {}
        self._gates_lock = threading.Lock()
        self._blob_dir: Path | None = None
        self._server: DoubleHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # Lifecycle.

    def start(self) -> OllamaDouble:
        """Bind and serve on a daemon thread; returns self."""
        if self._server is not None:
            raise RuntimeError("the double is already running")
        self._blob_dir = Path(tempfile.mkdtemp(prefix="ollama-double-blobs-"))
        try:
            self._server = DoubleHTTPServer((self.bind_host, self.bind_port), self)
        except BaseException:
            self._remove_blob_dir()
            raise
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"ollama-double-{self.port}", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving: release held replies, cut open connections, join the handler threads, delete stored blobs."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        self._release_all()
        server.cut_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=DEFAULT_GATE_TIMEOUT)
        self._remove_blob_dir()

    def __enter__(self) -> OllamaDouble:
        # Starts it unless start() was already called, so ``with OllamaDouble(...).start() as double`` works too.
        return self if self._server is not None else self.start()

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # Where it listens.

    @property
    def host(self) -> str:
        """The address bound, e.g. ``127.0.0.1`` or ``::1``."""
        return str(self._running().socket.getsockname()[0])

    @property
    def port(self) -> int:
        return int(self._running().socket.getsockname()[1])

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. ``http://127.0.0.1:40123`` or ``http://[::1]:40123``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def host_check_enabled(self) -> bool:
        """Whether Host values are checked: as in Ollama, only on a loopback listener."""
        addr = parse_ip(self.host)
        return addr is not None and is_loopback(addr)

    # Recorded requests.

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of the requests recorded so far, oldest first."""
        with self._records_lock:
            return list(self._records)

    def reset(self) -> None:
        """Forget requests and gates (releasing held replies), delete uploaded blobs."""
        with self._records_lock:
            self._records.clear()
        self._release_all(forget=True)
        if self._blob_dir is not None:
            for path in self._blob_dir.iterdir():
                path.unlink(missing_ok=True)

    def _append_record(self, record: RecordedRequest) -> None:
        with self._records_lock:
            self._records.append(record)

    # Stream gates.

    def gate(self, stream_id: str) -> StreamGate:
        """The gate for a stream id, created on first use (by the test or by the request, whichever comes first)."""
        with self._gates_lock:
            return self._gates.setdefault(stream_id, StreamGate(stream_id))

    def release(self, stream_id: str) -> None:
        """Let that request's reply go on; may be called before the request arrives."""
        self.gate(stream_id).released.set()

    def _release_all(self, *, forget: bool = False) -> None:
        with self._gates_lock:
            gates = list(self._gates.values())
            if forget:
                self._gates.clear()
        for gate in gates:
            gate.released.set()

    # Blobs.

    @property
    def blob_dir(self) -> Path:
        """Where uploaded blobs are stored while the double runs."""
        if self._blob_dir is None:
            raise RuntimeError("the double is not running")
        return self._blob_dir

    def blob_path(self, digest: str) -> Path:
        """File of a blob (``sha256:<hex>`` and ``sha256-<hex>`` name the same one, as in Ollama's store)."""
        return self.blob_dir / digest.replace(":", "-")

    def _running(self) -> DoubleHTTPServer:
        if self._server is None:
            raise RuntimeError("the double is not running")
        return self._server

    def _remove_blob_dir(self) -> None:
        if self._blob_dir is not None:
            for path in self._blob_dir.iterdir():
                path.unlink(missing_ok=True)
            self._blob_dir.rmdir()
            self._blob_dir = None
