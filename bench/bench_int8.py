"""When does int8 pay off on the CPU? The digits networks (the CNN and MLP templates, and wider ones where the
integer matrix products are most of the work: an MLP 64-512-512-10 and a CNN of 64 and 128 channels with a
512-unit layer) trained briefly, exported to ONNX, then quantized every way ONNX Runtime's quantizer offers:
dynamic or static; QDQ or QOperator; only Conv/MatMul/Gemm quantized or every operator it can; per-channel
weights or one scale per tensor; reduce_range; U8S8 (uint8 activations, int8 weights) or S8S8. Each is timed
at batch 64 against the float model in the same ONNX Runtime session options (all graph optimisations, one
thread unless --threads), interleaved, median of repetitions; and scored on the test set.

    .venv/bin/python bench/bench_int8.py [--epochs 10] [--repeats 15] [--threads 1] [--networks mlp_wide,...]
        [--more-threads 2]

Prints one table per network: the setting, accuracy (and points lost), size, ms per batch of 64 and x faster
than the float model in ONNX Runtime. The settings `netbuilder optimize` uses are marked (default).
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from netbuilder.cli import main as cli  # noqa: E402
from netbuilder.optimize.quantize import DEFAULTS, SETTINGS, export_onnx, quantize  # noqa: E402
from netbuilder.optimize.source import load_trained  # noqa: E402


def _wide_mlp(doc: dict) -> dict:
    """mlp_digits with two hidden layers of 512 units."""
    doc = copy.deepcopy(doc)
    nodes = {n["name"]: n for n in doc["nodes"]}
    nodes["hidden"]["params"]["out_features"] = 512
    doc["nodes"] += [
        {"id": "w1", "type": "Linear", "name": "hidden2", "params": {"out_features": 512}, "pos": [0, 260]},
        {"id": "w2", "type": "ReLU", "name": "relu2", "params": {}, "pos": [260, 260]}]
    relu, classes = nodes["relu1"]["id"], nodes["classes"]["id"]
    doc["edges"] = [e for e in doc["edges"] if e["from"][0] != relu] + [
        {"from": [relu, "out"], "to": ["w1", "in"]}, {"from": ["w1", "out"], "to": ["w2", "in"]},
        {"from": ["w2", "out"], "to": [classes, "in"]}]
    doc["meta"]["name"] = "MLP 64-512-512-10"
    return doc


def _wide_cnn(doc: dict) -> dict:
    """cnn_digits with 64 and 128 channels and 512 units."""
    doc = copy.deepcopy(doc)
    nodes = {n["name"]: n for n in doc["nodes"]}
    nodes["conv1"]["params"]["out_channels"] = 64
    nodes["conv2"]["params"]["out_channels"] = 128
    nodes["fc1"]["params"]["out_features"] = 512
    doc["meta"]["name"] = "CNN 64-128 channels, 512 units"
    return doc


METHODS = {"cnn": "static", "mlp": "dynamic", "mlp_wide": "dynamic", "cnn_wide": "static"}  # what auto picks
NETWORKS = {"cnn": ("cnn_digits", None), "mlp": ("mlp_digits", None), "mlp_wide": ("mlp_digits", _wide_mlp),
            "cnn_wide": ("cnn_digits", _wide_cnn)}


def session(path: Path, threads: int, level: str = "all"):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = {"all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
                                        "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC}[level]
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def timed(sessions: dict, batch: np.ndarray, repeats: int, calls: int = 10) -> dict:
    """ms per batch for each session: the median of `repeats` rounds, each running every session in turn."""
    names = list(sessions)
    feeds = {k: {s.get_inputs()[0].name: batch} for k, s in sessions.items()}
    for k in names:
        for _ in range(3):
            sessions[k].run(None, feeds[k])
    times = {k: [] for k in names}
    for r in range(repeats):
        for k in names[r % len(names):] + names[:r % len(names)]:
            start = time.perf_counter()
            for _ in range(calls):
                sessions[k].run(None, feeds[k])
            times[k].append((time.perf_counter() - start) / calls * 1e3)
    return {k: statistics.median(v) for k, v in times.items()}


def accuracy(s, x: np.ndarray, y: np.ndarray) -> float:
    name = s.get_inputs()[0].name
    out = np.concatenate([s.run(None, {name: x[i:i + 256]})[0] for i in range(0, len(x), 256)])
    return float((out.argmax(1) == y).mean())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--networks", default="cnn,mlp,mlp_wide,cnn_wide")
    parser.add_argument("--more-threads", type=int, default=0, metavar="N", help="also time the float model and the"
                        " default int8 setting on N threads (ONNX Runtime's intra_op_num_threads), interleaved")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as folder:
        os.environ["NETBUILDER_CONFIG_DIR"] = str(Path(folder) / "config")
        for key in args.networks.split(","):
            template, change = NETWORKS[key]
            doc = json.loads((ROOT / "templates" / f"{template}.json").read_text())
            doc = change(doc) if change else doc
            path = Path(folder) / f"{key}.json"
            path.write_text(json.dumps(doc))
            with contextlib.redirect_stdout(io.StringIO()):
                if cli(["train", str(path), "--epochs", str(args.epochs), "--out", str(Path(folder) / key)]) != 0:
                    return 1
            trained = load_trained(str(path), str(Path(folder) / key))
            x, y = (t.numpy() for t in trained.test)
            x = x.astype(np.float32)
            batch = np.ascontiguousarray(np.resize(x, (64, *x.shape[1:])))
            source = export_onnx(trained.graph, trained.weights, Path(folder) / f"{key}.onnx")
            models = {"float": source}
            for name, setting in SETTINGS.items():
                out = Path(folder) / f"{key}-{len(models)}.onnx"
                try:
                    models[name] = quantize(source, out, setting, trained.calibration(), trained.input_name)
                except Exception as e:  # noqa: BLE001 - a setting the quantizer refuses for this network
                    print(f"  {name}: {str(e).splitlines()[0][:100]}")
            sessions = {k: session(p, args.threads) for k, p in models.items()}
            sessions["float, basic graph optimisations"] = session(source, args.threads, "basic")
            default = next(k for k in models if k.endswith("(default)") and SETTINGS[k] == DEFAULTS[METHODS[key]])
            if args.more_threads:
                for name in ("float", default):
                    sessions[f"{name}, {args.more_threads} threads"] = session(models[name], args.more_threads)
                    models[f"{name}, {args.more_threads} threads"] = models[name]
            ms = timed(sessions, batch, args.repeats)
            base = accuracy(sessions["float"], x, y)
            params = sum(p.numel() for p in trained.model.parameters())
            print(f"\n== {doc['meta']['name']} ({params:,} parameters; {len(y)} test samples; ms per batch of 64,"
                  f" {args.threads} thread(s), median of {args.repeats} interleaved rounds of 10)")
            print(f"{'setting':44} {'accuracy':>8} {'points':>7} {'size kB':>8} {'ms/64':>8} {'x faster':>8}")
            for k, s in sessions.items():
                acc = accuracy(s, x, y)
                size = models.get(k, source).stat().st_size / 1e3
                print(f"{k:44} {acc:8.1%} {(base - acc) * 100:7.1f} {size:8.1f} {ms[k]:8.3f}"
                      f" {ms['float'] / ms[k]:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
