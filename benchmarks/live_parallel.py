"""Parallel-speedup benchmark of AWS live collection: 20 regions behind 50 ms of latency per call.

Starts moto in server mode behind a small forwarding proxy on 127.0.0.1 that sleeps 50 ms before
every request (each in its own process, so their work does not share the collector's GIL). One moto
process spends about 7 ms of CPU per request under its own GIL, which would cap any client's
speed-up near 8x whatever it does; AWS endpoints are regional and scaled out, so the proxy shards
requests by the region of their SigV4 credential scope over ``--shards`` moto processes (4), each
region's state living in one of them. It then puts one SQS
queue and one DynamoDB table in each of 20 regions, then times a full collection (every service
collector, one account, 20 regions) with ``max_workers=1`` (sequential) and with ``--workers``
(default 32), ``--repeat`` times each. Prints the medians and the ratio; the target is ≥ 8×.

    .venv/bin/python benchmarks/live_parallel.py [--repeat 3] [--workers 32]
    .venv/bin/python benchmarks/live_parallel.py --proxy PROXY_PORT MOTO_PORT...   (the proxy alone)
"""

from __future__ import annotations

import argparse
import http.client
import http.server
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REGIONS = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-central-1", "eu-west-1",
    "eu-west-2", "eu-west-3", "eu-north-1", "eu-south-1", "ap-south-1", "ap-northeast-1", "ap-northeast-2",
    "ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "sa-east-1", "me-south-1", "af-south-1",
)
LATENCY = 0.050


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_moto() -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=1)
            return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("moto server did not start")


def start_proxy_process(moto_ports: list[int]) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, __file__, "--proxy", str(port), *map(str, moto_ports)])
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("latency proxy did not start")


_SCOPE = re.compile(r"Credential=[^/]+/\d+/([^/]+)/([^/]+)/")
#: APIs the collector calls that moto has no server for: answered with an empty result.
_NOT_IN_MOTO = ("apprunner", "globalaccelerator")


def start_latency_proxy(targets: list[int], latency: float,
                        port: int = 0) -> tuple[http.server.ThreadingHTTPServer, int]:
    """Forward every request to the moto shard of its region after ``latency`` seconds."""
    local = threading.local()
    cache: dict[tuple[Any, ...], tuple[int, list[tuple[str, str]], bytes]] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            time.sleep(latency)
            match = _SCOPE.search(self.headers.get("Authorization") or "")
            region = match.group(1) if match else "us-east-1"
            if match and match.group(2) in _NOT_IN_MOTO:
                self._reply(200, [("Content-Type", "application/x-amz-json-1.1")], b"{}")
                return
            # The estate does not change while it is timed: a request seen before (same region,
            # operation and parameters) is answered from the cache, so the endpoint costs the 50 ms
            # and little CPU, and the collector's own work is what the benchmark measures.
            cache_key = (region, self.command, self.path, self.headers.get("X-Amz-Target"), body)
            cached = cache.get(cache_key)
            if cached is not None:
                self._reply(*cached)
                return
            target = targets[sum(region.encode()) % len(targets)]
            conns = local.__dict__.setdefault("conns", {})
            conn = conns.get(target)
            if conn is None:
                conn = conns[target] = http.client.HTTPConnection("127.0.0.1", target, timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection",)}
            conn.request(self.command, self.path, body=body or None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            headers_out = [(k, v) for k, v in resp.getheaders()
                           if k.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server")]
            if resp.status < 400:
                cache[cache_key] = (resp.status, headers_out, data)
            self._reply(resp.status, headers_out, data)

        def _reply(self, status: int, headers_out: list[tuple[str, str]], data: bytes) -> None:
            self.send_response(status)
            for key, value in headers_out:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _forward

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, int(server.server_address[1])


def populate(url: str) -> None:
    import boto3

    for region in REGIONS:
        boto3.client("sqs", region_name=region, endpoint_url=url).create_queue(QueueName=f"q-{region}")
        boto3.client("dynamodb", region_name=region, endpoint_url=url).create_table(
            TableName=f"t-{region}", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])


def run_once(url: str, workers: int) -> tuple[float, int, int]:
    from providers.aws.options import AwsSettings
    from providers.live import LiveOptions, RawRecord
    from providers.registry import collector
    from scanner.model import Gap

    options = LiveOptions(provider="aws", settings=AwsSettings(regions=REGIONS), max_workers=workers,
                          endpoints={"aws": url})
    start = time.perf_counter()
    items = list(collector("aws")(options))
    elapsed = time.perf_counter() - start
    return elapsed, sum(isinstance(i, RawRecord) for i in items), sum(isinstance(i, Gap) for i in items)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--proxy", type=int, nargs="+", metavar="PORT")
    args = parser.parse_args()
    if args.proxy:
        start_latency_proxy(args.proxy[1:], LATENCY, args.proxy[0])
        threading.Event().wait()
    os.environ.update({"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"})
    motos = [start_moto() for _ in range(args.shards)]
    proxy, proxy_port = start_proxy_process([port for _, port in motos])
    try:
        url = f"http://127.0.0.1:{proxy_port}"
        populate(url)
        run_once(url, args.workers)  # warm-up: service models loaded, connections opened
        results: dict[int, list[float]] = {1: [], args.workers: []}
        for _ in range(args.repeat):
            for workers in results:
                elapsed, records, gaps = run_once(url, workers)
                results[workers].append(elapsed)
                print(f"workers={workers:3d}  {elapsed:7.2f} s  records={records} gaps={gaps}", flush=True)
        sequential = statistics.median(results[1])
        parallel = statistics.median(results[args.workers])
        print(f"median sequential {sequential:.2f} s, parallel ({args.workers} workers) {parallel:.2f} s, "
              f"speed-up {sequential / parallel:.1f}x (target >= 8x)")
    finally:
        for proc in (proxy, *(m for m, _ in motos)):
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
