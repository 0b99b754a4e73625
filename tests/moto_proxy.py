"""Test harness of AWS live collection: moto in server mode behind a recording, fault-injecting proxy.

moto runs in its own process (``python -m moto.server``), so that its work does not share the
collector's GIL. The proxy (a ``ThreadingHTTPServer`` in the test process, plain HTTP or HTTPS with
a throw-away ``trustme`` CA) forwards every request to it and records what it saw: the SigV4
credential scope (access key, region, signing service) and the operation (``X-Amz-Target``, the
query protocol's ``Action``, or the REST method and path). Tests give it a ``fault`` function that
may answer a request itself (an error, a stub for an API moto does not have), cut the connection,
or delay it; ``delay`` slows every request down (for interrupt tests).

Operations that moto (5.2) does not implement although it serves their service are answered by the
proxy's ``stub`` (after ``fault``): by default an empty listing (:func:`moto_lacks`), which a test
module may replace with answers of its own, shaped as the service's API reference documents them.
"""

from __future__ import annotations

import http.client
import http.server
import re
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_SCOPE = re.compile(r"Credential=([^/]+)/\d+/([^/]+)/([^/]+)/")
#: Signing names of APIs the collector calls that moto has no server for: answered ``{}``.
NOT_IN_MOTO = frozenset({"apprunner", "globalaccelerator"})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_moto() -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=1)
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("moto server did not start")


@dataclass(frozen=True)
class Seen:
    """One request as the proxy saw it."""

    key: str  # access key id
    region: str
    service: str  # signing name
    operation: str
    method: str
    path: str


Answer = tuple[int, dict[str, str], bytes] | str | None  # a response, "drop", or None (forward it)


def json_answer(body: str, content_type: str = "application/x-amz-json-1.1") -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": content_type}, body.encode()


#: (signing name, what the proxy sees as the operation) of calls the collector makes that moto does
#: not implement, and the empty answer they get by default: KMS DescribeCustomKeyStores (moto raises
#: NotImplementedError), AWS Backup ListRecoveryPointsByBackupVault (moto answers 404 "Not yet
#: implemented"; a REST call, seen as its method and path).
MOTO_LACKS_EMPTY = {
    ("kms", "DescribeCustomKeyStores"): '{"CustomKeyStores": [], "Truncated": false}',
    ("backup", "recovery-points"): '{"RecoveryPoints": []}',
}


def lacking(seen: Seen) -> str | None:
    """The key of :data:`MOTO_LACKS_EMPTY` a request matches, if any."""
    if (seen.service, seen.operation) in MOTO_LACKS_EMPTY:
        return seen.operation
    if seen.service == "backup" and seen.method == "GET" and seen.path.split("?")[0].rstrip("/").endswith(
            "/recovery-points"):
        return "recovery-points"
    return None


def moto_lacks(seen: Seen) -> Answer:
    """The default ``stub``: an empty answer for each call moto does not implement."""
    name = lacking(seen)
    return json_answer(MOTO_LACKS_EMPTY[(seen.service, name)]) if name else None


@dataclass
class Proxy:
    """What the proxy forwards to, what it saw, and the faults it injects."""

    target: int
    seen: list[Seen] = field(default_factory=list)
    fault: Callable[[Seen], Answer] | None = None
    #: Answers for calls moto does not implement (see :data:`MOTO_LACKS_EMPTY`).
    stub: Callable[[Seen], Answer] = moto_lacks
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""
    server: Any = None

    def operations(self, service: str | None = None) -> list[str]:
        with self.lock:
            return [s.operation for s in self.seen if service is None or s.service == service]

    def keys(self) -> set[str]:
        with self.lock:
            return {s.key for s in self.seen}

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _operation(headers: Any, method: str, path: str, body: bytes) -> str:
    target = headers.get("X-Amz-Target")
    if target:
        return str(target).rsplit(".", 1)[-1]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    if not query.get("Action") and body and b"Action=" in body:
        query = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
    if query.get("Action"):
        return query["Action"][0]
    return f"{method} {urllib.parse.urlsplit(path).path}"


def start_proxy(target: int, tls: Any = None) -> Proxy:
    """Forward to moto on ``target``; ``tls`` is a ``trustme.CA`` to serve HTTPS with."""
    proxy = Proxy(target)
    local = threading.local()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            match = _SCOPE.search(self.headers.get("Authorization") or "")
            key, region, service = match.groups() if match else ("", "", "")
            seen = Seen(key, region, service, _operation(self.headers, self.command, self.path, body), self.command,
                        self.path)
            with proxy.lock:
                proxy.seen.append(seen)
            if proxy.delay:
                time.sleep(proxy.delay)
            answer = proxy.fault(seen) if proxy.fault else None
            if answer is None:
                answer = proxy.stub(seen)
            if answer is None and service in NOT_IN_MOTO:
                answer = (200, {"Content-Type": "application/x-amz-json-1.1"}, b"{}")
            if answer == "drop":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if isinstance(answer, tuple):
                self._reply(*answer)
                return
            conn = getattr(local, "conn", None)
            if conn is None:
                conn = local.conn = http.client.HTTPConnection("127.0.0.1", proxy.target, timeout=120)
            headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
            try:
                conn.request(self.command, self.path, body=body or None, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
            except (OSError, http.client.HTTPException):
                local.conn = None
                raise
            out = {k: v for k, v in resp.getheaders()
                   if k.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server")}
            self._reply(resp.status, out, data)

        def _reply(self, status: int, headers: dict[str, str], data: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = do_PATCH = _forward

        def log_message(self, *args: Any) -> None:
            pass

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # a client that went away (an interrupted collection) is not the test's failure

    server = Server(("127.0.0.1", 0), Handler)
    scheme = "http"
    if tls is not None:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.issue_cert("127.0.0.1", "localhost").configure_cert(ctx)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    proxy.server = server
    proxy.url = f"{scheme}://127.0.0.1:{server.server_address[1]}"
    return proxy


def aws_error(status: int, code: str, message: str) -> tuple[int, dict[str, str], bytes]:
    """An error answer in the JSON protocols' shape (``__type``), which botocore reads for every JSON API."""
    body = f'{{"__type": "{code}", "message": "{message}"}}'.encode()
    return status, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code}, body
