"""MNIST loading: load_mnist on 60,000 training and 10,000 test images in the original gzipped IDX
format, written to a temporary folder (sparse, MNIST-like pixels so the files compress as the real
ones do, about 5x).

Target (issue): 60,000 images load in under 2 s (median of 5 runs).
Baselines, measured in the same run on the same files: the raw decode (read the bytes, gunzip,
numpy.frombuffer) that any loader must do, and the raw decode plus the same float32 scaling to
[0, 1]. The ratios show what the header, size and label checks and the RawData packaging cost.
Run: .venv/bin/python bench/bench_data.py
"""
import gzip
import statistics
import struct
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from netbuilder.data.standard import load_mnist

REPEATS = 5
FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz")


def write_mnist(folder: Path, n_train=60000, n_test=10000) -> None:
    rng = np.random.default_rng(0)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(1, 256, (n, 28, 28), dtype=np.uint8) * (rng.random((n, 28, 28)) < 0.19)
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        for kind, array, code in (("images-idx3", images.astype(np.uint8), 3), ("labels-idx1", labels, 1)):
            header = struct.pack(">HBB", 0, 8, code) + struct.pack(f">{code}I", *array.shape)
            (folder / f"{prefix}-{kind}-ubyte.gz").write_bytes(gzip.compress(header + array.tobytes(), 6))


def raw_decode(folder: Path) -> list:
    """The least any loader does: read, gunzip, view the bytes after the header as uint8."""
    return [np.frombuffer(gzip.decompress((folder / name).read_bytes()), np.uint8, offset=16 if "images" in name else 8)
            for name in FILES]


def raw_decode_scaled(folder: Path) -> list:
    arrays = raw_decode(folder)
    return [torch.from_numpy(arrays[0].copy()).reshape(-1, 1, 28, 28).to(torch.float32).div_(255.0),
            torch.from_numpy(arrays[1].astype(np.int64)),
            torch.from_numpy(arrays[2].copy()).reshape(-1, 1, 28, 28).to(torch.float32).div_(255.0),
            torch.from_numpy(arrays[3].astype(np.int64))]


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_mnist(folder)
        size = sum((folder / name).stat().st_size for name in FILES) / 1e6
        data = load_mnist(folder)
        assert data.x.shape == (60000, 1, 28, 28) and data.test[0].shape == (10000, 1, 28, 28)
        runs = {"load_mnist": [], "raw decode": [], "raw decode + scaling": []}
        fns = {"load_mnist": lambda: load_mnist(folder), "raw decode": lambda: raw_decode(folder),
               "raw decode + scaling": lambda: raw_decode_scaled(folder)}
        for repeat in range(REPEATS):
            order = list(fns) if repeat % 2 else list(fns)[::-1]  # neither side always runs on a warmer cache
            for name in order:
                runs[name].append(timed(fns[name]))
    median = {name: statistics.median(times) for name, times in runs.items()}
    print(f"MNIST-format files: 60,000 + 10,000 images, {size:.1f} MB gzipped, {torch.get_num_threads()} torch "
          f"threads, median of {REPEATS} interleaved runs")
    for name, times in runs.items():
        print(f"{name:>22}: {median[name]:.3f} s  (runs: {', '.join(f'{t:.3f}' for t in times)})")
    print(f"load_mnist / raw decode: {median['load_mnist'] / median['raw decode']:.2f}x;  "
          f"load_mnist / raw decode + scaling: {median['load_mnist'] / median['raw decode + scaling']:.2f}x")
    ok = median["load_mnist"] < 2.0
    print(f"{'PASS' if ok else 'FAIL'}: load_mnist {median['load_mnist']:.3f} s (target < 2 s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
