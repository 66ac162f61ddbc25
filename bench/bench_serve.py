"""The prediction service on 127.0.0.1 under load, with LitServe's batching on and off in the same run: the CNN
template trained on digits, N requests of one test sample each from C concurrent clients (threads keeping their
connection open), then requests per second, p50/p95/p99 latency and the errors; then the drift report before and
after the clients send shifted (washed-out) digits.

    .venv/bin/python bench/bench_serve.py [--requests 2000] [--clients 16] [--epochs 6]

Each service is a child process (`netbuilder serve`), started on a free port and stopped at the end whatever
happens; every request has a 30 s timeout, so the run ends by itself.
"""
from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from netbuilder import load_graph  # noqa: E402
from netbuilder.cli import main as cli  # noqa: E402
from netbuilder.data.dataset import DataSpec, prepare  # noqa: E402
from netbuilder.serve.process import ServiceProcess  # noqa: E402

SETTINGS = [("batching on (--max-batch 32 --batch-wait-ms 5)", ["--max-batch", "32", "--batch-wait-ms", "5"]),
            ("batching off (--max-batch 1)", ["--max-batch", "1"])]


def load(port: int, samples: np.ndarray, requests: int, clients: int) -> tuple[float, list[float], int]:
    """(seconds in all, each request's latency, errors)."""
    bodies = [json.dumps({"inputs": samples[i % len(samples)].tolist()}).encode() for i in range(requests)]
    latencies, errors, lock, next_one = [], [0], threading.Lock(), iter(range(requests))

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                i = next(next_one, None)
            if i is None:
                break
            started = time.perf_counter()
            try:
                connection.request("POST", "/predict", bodies[i], {"Content-Type": "application/json"})
                answer = connection.getresponse()
                answer.read()
                ok = answer.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            with lock:
                latencies.append(time.perf_counter() - started)
                errors[0] += not ok
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, latencies, errors[0]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=6)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        os.environ["NETBUILDER_CONFIG_DIR"] = str(Path(folder) / "config")
        doc = Path(folder) / "cnn.json"
        doc.write_text((ROOT / "templates" / "cnn_digits.json").read_text())
        with contextlib.redirect_stdout(io.StringIO()):
            if cli(["train", str(doc), "--epochs", str(args.epochs), "--out", str(Path(folder) / "run")]) != 0:
                return 1
        prepared = prepare(DataSpec.from_dict(load_graph(doc).meta["data"]))
        samples = prepared.shown(prepared.test[0]).numpy()
        print(f"CNN digits, {args.requests} requests of one sample from {args.clients} clients, on 127.0.0.1"
              f" ({os.cpu_count()} CPU cores)")
        print(f"{'service':<48} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6}")
        for label, options in SETTINGS:
            service = ServiceProcess(str(doc), ["--run", str(Path(folder) / "run")], extra=options,
                                     log=Path(folder) / "serve.log")
            service.start()
            try:
                service.wait_ready(180)
                load(service.port, samples, 100, args.clients)  # warm-up
                seconds, latencies, errors = load(service.port, samples, args.requests, args.clients)
                q = statistics.quantiles(latencies, n=100)
                print(f"{label:<48} {args.requests / seconds:7.0f} {q[49] * 1e3:7.1f} {q[94] * 1e3:7.1f}"
                      f" {q[98] * 1e3:7.1f} {errors:6d}")
                if options[1] == "1":
                    continue
                for name, x in (("test digits", samples), ("washed-out digits", np.clip(samples * 0.5 + 0.4, 0, 1))):
                    for i in range(0, 500, 10):
                        service.request("POST", "/predict", {"inputs": x[np.arange(i, i + 10) % len(x)].tolist()})
                    report = service.request("GET", "/drift")[1]
                    features = ", ".join(f"{f['feature']} {f['distance']:.3f} (threshold {f['threshold']:.3f})"
                                         for f in report["features"])
                    print(f"  drift after 500 inputs from the {len(x)} {name}: {report['message']}; {features}; predicted classes"
                          f" p={report['classes']['p_value']:.3g}")
            finally:
                service.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
