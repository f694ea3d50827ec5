# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ollama test double: a stdlib-only HTTP server that answers like ``ollama serve`` wherever a reverse proxy can tell.

The rules follow ollama/ollama v0.33.0-rc2 (``server/routes.go`` GenerateRoutes and allowedHostsMiddleware,
``envconfig/config.go`` AllowedOrigins, ``middleware/openai.go``, ``openai/``) on gin v1.10 and gin-contrib/cors v1.7.2:

* Order: CORS, then the allowed-hosts check, then the route. Both checks also run before a 404 or 405 answer; a
  trailing-slash redirect (301 for GET, 307 otherwise) is answered before either, as gin does (``handler``).
* CORS: a request whose ``Origin`` is neither one Ollama allows by default (no OLLAMA_ORIGINS) nor ``http(s)://<Host>``
  gets 403. An allowed preflight (OPTIONS with Origin) gets 204 at once, without the Host check (``checks``).
* Host check, only when the listen address is loopback: an IP literal that is loopback, private, unspecified or held by
  a local interface passes, and so do the names "", ``localhost``, this machine's hostname and ``*.localhost``,
  ``*.local``, ``*.internal`` (OPTIONS for such a name is answered 204 there). Anything else gets 403 (``checks``).
* Routes: all of routes.go is routed, so 404, 405 (with Allow) and redirects are Ollama's (``routes``). Served are
  the routes the tests reach: ``/``, ``/api/version``, ``/api/status``, ``/api/tags``, ``/api/show``, ``/api/pull``,
  ``/api/blobs/:digest``, ``/api/generate``, ``/api/chat``, ``/api/embed``, ``/v1/chat/completions`` and
  ``/v1/models`` (``endpoints``); any other route answers 501, so a test that starts to reach one fails plainly.
* Streams: NDJSON (``application/x-ndjson``) on native endpoints, SSE (``text/event-stream``) on ``/v1``; chunked on
  HTTP/1.1, delimited by closing the connection on HTTP/1.0 (``handler``, ``generation``).

Test hooks Ollama does not have (``hooks``):

* Stream gate: for a request with ``X-Test-Stream-Id: <id>``, a streamed reply sends and flushes its first chunk, then
  waits until ``double.release(id)``, or until ``gate_timeout`` passes, which ``double.gate(id).timed_out`` records.
  A test can thus prove that the first chunk crossed a proxy before the rest existed, with no sleeps or timing
  thresholds.
* Every request that reached the server is in ``double.requests`` before its reply's first byte is sent.

Library use::

    with OllamaDouble() as double:  # 127.0.0.1, a free port
        urllib.request.urlopen(double.url + "/api/tags")
        assert double.requests[-1].header("Host") == f"127.0.0.1:{double.port}"

Script use (``cli``): ``python tests/support/ollama_double --listen 127.0.0.1:11434`` (``--help`` lists the flags).
"""

from .hooks import STREAM_ID_HEADER, RecordedRequest, StreamGate
from .routes import ROUTES
from .server import OllamaDouble

__all__ = ["ROUTES", "STREAM_ID_HEADER", "OllamaDouble", "RecordedRequest", "StreamGate"]
