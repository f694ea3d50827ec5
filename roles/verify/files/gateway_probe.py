# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Probe an Ollama gateway as its clients do, from the controller, and print what it answered as JSON.

Usage: python gateway_probe.py URL [--insecure] [--model NAME] [--timeout SECONDS] [--credentials-on-stdin]

Credentials never come from the command line: with --credentials-on-stdin, a JSON object {"client": ..., "admin": ...,
"refused": [...]} on stdin, else the environment variables VERIFY_CLIENT_AUTHORIZATION and VERIFY_ADMIN_AUTHORIZATION.
"client" and "admin" are complete Authorization header values (either may be empty); "refused" lists {name, password}
or {name, key} entries the gateway must answer with 401. Every request is read-only: GET /api/tags, a POST /api/pull
the gateway must refuse, a HEAD for a blob nobody has, GET /api/status (whether Ollama's cloud is off), and one short
streamed generation. It also reports when the certificate the gateway serves was issued and when it ends.

A reply counts as unbuffered when its end arrives after its first token, in a later read from the socket: a
buffering proxy holds a short reply until it is complete and hands it over in one piece. The request carries
X-Test-Stream-Id, which real Ollama ignores and the collection's Ollama test double answers by holding everything
after the first chunk for a moment.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import secrets
import socket
import ssl
import sys
import typing as t
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from cryptography import x509  # on every controller: ansible-core requires it

ADMIN_ROUTE = "/api/blobs/sha256:" + "0" * 64


class Gateway:
    def __init__(self, url: str, *, insecure: bool, timeout: float) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or ""
        self.port = parts.port or 443
        self.timeout = timeout
        self.context = ssl.create_default_context()
        if insecure:
            self.context.check_hostname = False
            self.context.verify_mode = ssl.CERT_NONE

    def connect(self) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout, context=self.context)

    def certificate(self) -> dict[str, str]:
        """The validity of the certificate the gateway serves, as community.crypto.get_certificate reports it."""
        with socket.create_connection((self.host, self.port), timeout=self.timeout) as raw, self.context.wrap_socket(raw, server_hostname=self.host) as tls:
            der = tls.getpeercert(binary_form=True)
        served = x509.load_der_x509_certificate(der or b"")
        return {"not_before": f"{served.not_valid_before_utc:%Y%m%d%H%M%SZ}", "not_after": f"{served.not_valid_after_utc:%Y%m%d%H%M%SZ}"}

    def status(self, method: str, path: str, authorization: str = "", body: dict[str, t.Any] | None = None) -> tuple[int, bytes]:
        conn = self.connect()
        headers = {"Authorization": authorization} if authorization else {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def stream(self, authorization: str, model: str) -> dict[str, t.Any]:
        """One short streamed generation, read straight from the TLS socket so each piece is what arrived together."""
        body = json.dumps({"model": model, "prompt": "Count from one to twenty.", "stream": True, "options": {"num_predict": 16}})
        request = (
            f"POST /api/generate HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: {authorization}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nX-Test-Stream-Id: {secrets.token_hex(8)}\r\nConnection: close\r\n\r\n{body}"
        )
        pieces = []
        with (
            socket.create_connection((self.host, self.port), timeout=self.timeout) as raw,
            self.context.wrap_socket(raw, server_hostname=self.host) as conn,
        ):
            conn.sendall(request.encode())
            while data := conn.recv(65536):  # one TLS record at most: bytes the gateway sent together
                pieces.append(data)
        reply = b"".join(pieces)
        head, content = reply.split(b"\r\n\r\n", 1) if b"\r\n\r\n" in reply else (reply, b"")
        status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
        first, end = content.find(b'"response"'), content.find(b'"done":true')
        if status != 200 or first < 0 or end < 0:
            return {"model": model, "status": status, "error": content.decode("utf-8", "replace")[:500]}
        offset = len(head) + 4
        arrived_with = [piece_of(pieces, offset + first), piece_of(pieces, offset + end)]
        return {"model": model, "status": status, "pieces": len(pieces), "end_arrived_with_the_first_token": arrived_with[0] == arrived_with[1]}


def piece_of(pieces: list[bytes], offset: int) -> int:
    """Index of the piece holding byte `offset` of the pieces joined."""
    for index, piece in enumerate(pieces):
        if offset < len(piece):
            return index
        offset -= len(piece)
    return len(pieces)


def authorization(credential: dict[str, str]) -> str:
    """The Authorization header value of a {name, password} or {name, key} entry."""
    if "key" in credential:
        return f"Bearer {credential['key']}"
    return "Basic " + base64.b64encode(f"{credential['name']}:{credential['password']}".encode()).decode()


def cloud(gateway: Gateway, authorization: str) -> dict[str, t.Any]:
    """Whether Ollama serves ollama.com's cloud models and web search, as its GET /api/status says. An Ollama without
    that route predates the cloud: `disabled` is then true."""
    status, body = gateway.status("GET", "/api/status", authorization)
    if status == 404:
        return {"disabled": True, "source": "no /api/status: an Ollama from before the cloud"}
    try:
        answer = json.loads(body).get("cloud", {}) if status == 200 else {}
    except ValueError:
        answer = {}
    return {"disabled": answer.get("disabled") is True, "source": answer.get("source", f"GET /api/status answered {status}")}


def probe(gateway: Gateway, client: str, admin: str, model: str, refused: list[dict[str, str]]) -> dict[str, t.Any]:
    """Every check at once, on connections of their own: the gate takes as long as its slowest check (the stream),
    not their sum. Only the stream waits, for the model list when no model is named."""
    anyone = client or admin
    with ThreadPoolExecutor(max_workers=8) as pool:
        anonymous = pool.submit(gateway.status, "GET", "/api/tags")
        refusals = [pool.submit(gateway.status, "GET", "/api/tags", authorization(credential)) for credential in refused]
        tags = pool.submit(gateway.status, "GET", "/api/tags", anyone)
        client_management = pool.submit(gateway.status, "POST", "/api/pull", client, {"model": ""}) if client else None
        admin_management = pool.submit(gateway.status, "HEAD", ADMIN_ROUTE, admin) if admin else None
        cloud_state = pool.submit(cloud, gateway, anyone)
        certificate = pool.submit(gateway.certificate)
        status, body = tags.result()
        models = [entry.get("name", "") for entry in json.loads(body).get("models", [])] if status == 200 else []
        model = model or (models[0] if models else "")
        result: dict[str, t.Any] = {
            "anonymous": anonymous.result()[0],
            "refused": [refusal.result()[0] for refusal in refusals],
            "authenticated": status,
            "stream": gateway.stream(anyone, model) if model else {"skipped": "Ollama lists no models and verify_stream_model is empty"},
            "cloud": cloud_state.result(),
            "certificate": certificate.result(),
        }
        if client_management:
            result["client_model_management"] = client_management.result()[0]
        if admin_management:
            result["admin_model_management"] = admin_management.result()[0]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("url")
    parser.add_argument("--insecure", action="store_true", help="do not check the certificate (self-signed gateways)")
    parser.add_argument("--model", default="", help="model for the streamed reply (default: the first one Ollama lists)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for each reply (a cold model load is slow)")
    parser.add_argument("--credentials-on-stdin", action="store_true", help='read {"client": ..., "admin": ...} from stdin')
    args = parser.parse_args(argv)
    given = json.loads(sys.stdin.read()) if args.credentials_on_stdin else {}
    client = given.get("client") or os.environ.get("VERIFY_CLIENT_AUTHORIZATION", "")
    admin = given.get("admin") or os.environ.get("VERIFY_ADMIN_AUTHORIZATION", "")
    if not client and not admin:
        parser.error("set VERIFY_CLIENT_AUTHORIZATION or VERIFY_ADMIN_AUTHORIZATION")
    gateway = Gateway(args.url, insecure=args.insecure, timeout=args.timeout)
    print(json.dumps(probe(gateway, client, admin, args.model, given.get("refused", []))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
