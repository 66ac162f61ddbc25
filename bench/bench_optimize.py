"""The CNN and MLP templates trained on digits, then quantized (int8 through ONNX Runtime: static QDQ for the
CNN, dynamic for the MLP) and pruned 50% (Torch-Pruning, fine-tuned 3 epochs), each version against the original
on the run's test set: the table `netbuilder optimize` prints.

    .venv/bin/python bench/bench_optimize.py [--epochs 10] [--finetune 3] [--repeats 30] [--threads 1]
        [--networks cnn,mlp,mlp_wide,cnn_wide]

mlp_wide (64-512-512-10) and cnn_wide (64 and 128 channels, 512 units) are the templates made wide enough for
int8 to pay off (bench/bench_int8.py compares every quantizer setting on them).

Latency is the median of repetitions taken in turn (every version, then again), in one process, on the stated
number of threads for both PyTorch and ONNX Runtime; "x faster" is against the original in the same runtime (the
int8 versions against the float ONNX file in ONNX Runtime). The issue's targets: an int8 version at least 1.5x
faster at batch 64 with under 1 point of accuracy lost; 50% structured pruning with fine-tuning under 2 points
lost and measurably faster.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import torch  # noqa: E402

from netbuilder.cli import main as cli  # noqa: E402
from netbuilder.optimize.report import Plan, optimize_run  # noqa: E402
from bench_int8 import METHODS, NETWORKS  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--finetune", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--networks", default="cnn,mlp")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as folder:
        os.environ["NETBUILDER_CONFIG_DIR"] = str(Path(folder) / "config")
        for template in args.networks.split(","):
            source, change = NETWORKS[template]
            method = METHODS[template]
            found = json.loads((ROOT / "templates" / f"{source}.json").read_text())
            doc = Path(folder) / f"{template}.json"
            doc.write_text(json.dumps(change(found) if change else found))
            started = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):  # the progress bars
                code = cli(["train", str(doc), "--epochs", str(args.epochs), "--out", str(Path(folder) / template)])
            if code != 0:
                return 1
            report = optimize_run(str(doc), str(Path(folder) / template),
                                  Plan(method, 0.5, args.finetune, threads=args.threads, repeats=args.repeats,
                                       set_torch_threads=True),
                                  Path(folder) / f"{template}-out")
            print(f"\n== {template}: trained {args.epochs} epochs, {method} int8, 50% pruned + {args.finetune} epochs"
                  f" ({time.perf_counter() - started:.0f} s in all)")
            print("\n".join(report.notes))
            print(report.text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
