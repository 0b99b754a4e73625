"""Parallel-speedup benchmark of AWS live collection: 20 regions behind 50 ms of latency per call.

Starts moto in server mode (a separate process, so its work does not share the collector's GIL)
behind a small forwarding proxy on 127.0.0.1 that sleeps 50 ms before every request, puts one SQS
queue and one DynamoDB table in each of 20 regions, then times a full collection (every service
collector, one account, 20 regions) with ``max_workers=1`` (sequential) and with ``--workers``
(default 32), ``--repeat`` times each. Prints the medians and the ratio; the target is ≥ 8×.

    .venv/bin/python benchmarks/live_parallel.py [--repeat 3] [--workers 32]
"""

from __future__ import annotations

import argparse
import http.client
import http.server
import os
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


def start_latency_proxy(target_port: int, latency: float) -> tuple[http.server.ThreadingHTTPServer, int]:
    """Forward every request to moto after ``latency`` seconds (one upstream connection per thread)."""
    local = threading.local()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            time.sleep(latency)
            conn = getattr(local, "conn", None)
            if conn is None:
                conn = local.conn = http.client.HTTPConnection("127.0.0.1", target_port, timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection",)}
            conn.request(self.command, self.path, body=body or None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            self.send_response(resp.status)
            for key, value in resp.getheaders():
                if key.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _forward

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
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
    from providers.live import LiveOptions, RawRecord, collector
    from scanner.model import Gap

    options = LiveOptions(provider="aws", regions=REGIONS, max_workers=workers, endpoints={"aws": url})
    start = time.perf_counter()
    items = list(collector("aws")(options))
    elapsed = time.perf_counter() - start
    return elapsed, sum(isinstance(i, RawRecord) for i in items), sum(isinstance(i, Gap) for i in items)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=32)
    args = parser.parse_args()
    os.environ.update({"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"})
    moto, moto_port = start_moto()
    proxy, proxy_port = start_latency_proxy(moto_port, LATENCY)
    try:
        populate(f"http://127.0.0.1:{moto_port}")
        url = f"http://127.0.0.1:{proxy_port}"
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
        proxy.shutdown()
        moto.terminate()
        moto.wait(timeout=10)


if __name__ == "__main__":
    main()
