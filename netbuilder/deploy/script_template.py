"""@TITLE@: a standalone training script exported by netbuilder.

It needs only torch and numpy. On one machine, one process:

    python train.py [--epochs N] [--data PATH] [--out DIR] [--device auto|cpu|cuda|mps]

On several processes (CPU cores or GPUs) or machines, with PyTorch's own launcher and
DistributedDataParallel (gloo on CPU, NCCL on CUDA), unchanged:

    torchrun --nproc-per-node N train.py
    torchrun --nnodes M --nproc-per-node N --rdzv-endpoint HOST:PORT train.py

The global batch stays SETTINGS["training"]["batch_size"]: each of the W processes takes batch_size / W
samples a step, and DDP averages their gradients, so a step sees the same samples as one process would.
Process 0 prints the progress and writes metrics.csv, last.pt and best.pt into --out. BatchNorm layers
normalise over each process's part of the batch, as DDP does.

The settings below are the document's, as it was exported; edit them here or in netbuilder.
(This file is also netbuilder's template for such scripts: write_script fills in the settings and the
network between the marked lines.)
"""
from __future__ import annotations

import argparse
import csv
import gc
import gzip
import math
import os
import pickle
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DistributedSampler

# <settings>
SETTINGS: dict = {"training": {}, "data": {}, "augment": {}, "input": {"name": "x", "shape": [1]}, "lr_scale": {}}
# </settings>


# <network>
Network = nn.Identity
# </network>


class Problem(Exception):
    """What is wrong with the data, the settings or the command line, in words (no traceback)."""


# ---- the data ------------------------------------------------------------------------------------
HERE = Path(__file__).resolve().parent
STANDARD = ("mnist", "fashion_mnist", "cifar10")
MISSING = ("", "na", "n/a", "nan", "null", "none", "?", "-")


FILES = (".csv", ".tsv", ".txt", ".npz", ".npy")


def load_data(source: str, options: dict, seed: int, path: str | None) -> dict:
    """All samples as numpy arrays: {"x", "y", "task", "kind", "test" (the source's own test set or None)}.
    --data gives the document's data file, a standard set's folder or the digits' .npz; a data file given
    for a built-in set is trained on instead of it."""
    given = Path(path).expanduser() if path else None
    if given is not None and given.suffix.lower() in FILES and not is_digits(given):
        return read_file(given, options if source not in GENERATORS and source not in STANDARD + ("digits",) else {})
    if source == "digits":  # scikit-learn's 8x8 digits, saved beside this script when it was exported
        images, labels = read_digits(given)
        return dict(x=images.reshape(-1, 1, 8, 8).astype(np.float32) / np.float32(16.0), y=labels,
                    task="classification", kind="image", test=None)
    if source in GENERATORS:
        if source in ("digits_rows", "scattered_digits"):
            options = {**options, "images": read_digits(given)}
        return GENERATORS[source](**{"seed": seed, **options})
    if source in STANDARD:
        folder = given or options.get("folder")
        if not folder:
            raise Problem(f"{source}: give the folder that holds its files with --data FOLDER")
        if not Path(folder).is_dir():
            raise Problem(f"{folder} is not a folder (give the folder of the {source} files with --data FOLDER)")
        return read_cifar10(Path(folder)) if source == "cifar10" else read_mnist(Path(folder))
    return read_file(given or Path(source).expanduser(), options)


def read_file(file: Path, options: dict) -> dict:
    if not file.is_file():
        raise Problem(f"{file} does not exist (give the data file with --data PATH)")
    if file.suffix.lower() not in FILES:
        raise Problem(f"{file.name}: this script reads CSV, .npz and .npy files, not '{file.suffix or file.name}'")
    try:
        return read_csv(file, **options) if file.suffix.lower() in FILES[:3] else read_numpy(file)
    except (ValueError, EOFError, OSError, KeyError, zipfile.BadZipFile, pickle.UnpicklingError) as e:
        raise Problem(f"could not read {file.name}: {e}") from None


def is_digits(file: Path) -> bool:
    """An .npz of the digits (images and labels), as export writes beside the script."""
    if file.suffix.lower() != ".npz" or not file.is_file():
        return False
    try:
        with np.load(file) as arrays:
            return {"images", "labels"} <= set(arrays.files)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        return False


def read_digits(path: str | None):
    file = Path(path) if path else HERE / "digits.npz"
    if not file.is_file():
        what = "is not a file" if file.exists() else "does not exist"
        raise Problem(f"{file} {what}: the digits are read from the digits.npz written beside this script"
                      " when it was exported (or give its path with --data)")
    if not is_digits(file):
        raise Problem(f"{file} is not the digits' .npz (arrays images and labels)")
    with np.load(file) as arrays:
        return arrays["images"].astype(np.float64), arrays["labels"].astype(np.int64)


def classes_of(labels: np.ndarray) -> np.ndarray:
    """Class indices 0..K-1 from any labels (in sorted order of the labels)."""
    return np.unique(labels, return_inverse=True)[1].reshape(-1).astype(np.int64)


def read_csv(file: Path, target=None, task=None, header=None, missing="error") -> dict:
    """A numeric CSV, one sample a row; `target` (a column name or index, default the last) is what to predict."""
    text = file.read_text(encoding="utf-8-sig", errors="replace")
    try:
        dialect = csv.Sniffer().sniff(text[:65536], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = [row for row in csv.reader(text.splitlines(), dialect) if any(cell.strip() for cell in row)]
    if not rows:
        raise Problem(f"{file.name} is empty")
    if header is None:
        header = not all(_number(c) or c.strip().lower() in MISSING for c in rows[0])
    names = [c.strip() for c in rows[0]] if header else [f"column {i + 1}" for i in range(len(rows[0]))]
    body = rows[1:] if header else rows
    width = len(names)
    if width < 2 or not body:
        raise Problem(f"{file.name} needs at least two columns (features and a target) and one row of data")
    values = np.empty((len(body), width))
    for line, row in enumerate(body, start=2 if header else 1):
        if len(row) != width:
            raise Problem(f"{file.name}, line {line}: {len(row)} cells where the first row has {width}")
        for col, cell in enumerate(row):
            if cell.strip().lower() in MISSING:
                if missing == "error":
                    raise Problem(f"{file.name}, line {line}, column '{names[col]}': a missing value")
                values[line - (2 if header else 1), col] = np.nan
            elif _number(cell):
                values[line - (2 if header else 1), col] = float(cell)
            else:
                raise Problem(f"{file.name}, line {line}, column '{names[col]}': '{cell}' is not a number (this"
                              " script reads numeric CSV files; encode text columns as numbers)")
    t = names.index(target) if isinstance(target, str) and target in names else \
        target if isinstance(target, int) and 0 <= target < width else width - 1 if target is None else None
    if t is None:
        raise Problem(f"{file.name} has no column {target!r} (its columns: {', '.join(names)})")
    gaps = np.isnan(values)
    if gaps.any():
        if missing == "drop":
            values = values[~gaps.any(axis=1)]
        else:  # "mean": fill a gap with its column's mean
            values = np.where(gaps, np.nanmean(values, axis=0), values)
    y, x = values[:, t], np.delete(values, t, axis=1).astype(np.float32)
    whole = np.all(y == np.round(y)) and len(np.unique(y)) <= 20
    task = task or ("classification" if whole else "regression")
    y = classes_of(y) if task == "classification" else y.astype(np.float32)[:, None]
    return dict(x=x, y=y, task=task, kind="table", test=None, columns=width)


def _number(cell: str) -> bool:
    try:
        return math.isfinite(float(cell))
    except ValueError:
        return False


def read_numpy(file: Path) -> dict:
    """x and y from an .npz (x and y, data and labels, or images and labels), or x.npy beside y.npy."""
    if file.suffix.lower() == ".npz":
        with np.load(file, allow_pickle=False) as arrays:
            keys = {k.lower(): k for k in arrays.files}
            pair = next(((keys[a], keys[b]) for a, b in (("x", "y"), ("data", "labels"), ("images", "labels"))
                         if a in keys and b in keys), None)
            if pair is None:
                raise Problem(f"{file.name} has no x and y arrays (it has {', '.join(arrays.files) or 'none'})")
            x, y = arrays[pair[0]], arrays[pair[1]]
    else:
        names = (file.stem[:-1] + "y.npy", f"{file.stem}_y.npy", "y.npy", "labels.npy")
        labels = next((file.with_name(n) for n in names if n != file.name and file.with_name(n).is_file()), None)
        if labels is None:
            raise Problem(f"found no labels for {file.name}: put y.npy (or {file.stem}_y.npy) beside it")
        x, y = np.load(file, allow_pickle=False), np.load(labels, allow_pickle=False)
    if len(x) != len(y):
        raise Problem(f"{file.name}: {len(x)} samples but {len(y)} targets")
    kind = {1: "table", 2: "table", 3: "sequence", 4: "image"}.get(x.ndim)
    if kind is None:
        raise Problem(f"{file.name}: x has shape {x.shape}; tables [N, F], sequences [N, T, F], images [N, C, H, W]")
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim == 4 and x.shape[1] not in (1, 3) and x.shape[3] in (1, 3):
        x = x.transpose(0, 3, 1, 2)  # channels last -> [N, C, H, W]
    x = x.astype(np.float32) / (np.float32(255.0) if x.dtype == np.uint8 and kind == "image" else np.float32(1.0))
    if y.dtype.kind == "f":
        return dict(x=x, y=y.astype(np.float32), task="regression", kind=kind, test=None)
    if y.ndim == 2 and y.shape[1] > 1:
        y = y.argmax(axis=1)  # one-hot
    return dict(x=x, y=classes_of(y), task="classification", kind=kind, test=None)


def read_mnist(folder: Path) -> dict:
    """MNIST or Fashion-MNIST from its four IDX files (gzipped or not)."""
    def idx(base: str) -> np.ndarray:
        file = next((folder / n for n in (base + ".gz", base) if (folder / n).is_file()), None)
        if file is None:
            raise Problem(f"no {base}[.gz] in {folder}")
        data = file.read_bytes()
        data = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
        dims = data[3]
        shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
        return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)

    parts = []
    for split in ("train", "t10k"):
        images, labels = idx(f"{split}-images-idx3-ubyte"), idx(f"{split}-labels-idx1-ubyte")
        parts.append((images[:, None].astype(np.float32) / np.float32(255.0), labels.astype(np.int64)))
    (x, y), test = parts
    return dict(x=x, y=y, task="classification", kind="image", test=test)


class _ArraysOnly(pickle.Unpickler):
    """CIFAR's batches are pickles: build numpy arrays and nothing else (a pickle can run code)."""

    def find_class(self, module, name):
        if module.split(".")[0] == "numpy" or (module, name) == ("_codecs", "encode"):
            return super().find_class(module, name)
        raise Problem(f"a CIFAR-10 batch holds {module}.{name}, not only arrays: refusing to load it")


def read_cifar10(folder: Path) -> dict:
    """CIFAR-10 from its python batches (data_batch_1..5, test_batch) in `folder` or its cifar-10-batches-py."""
    where = folder / "cifar-10-batches-py" if (folder / "cifar-10-batches-py").is_dir() else folder
    parts = []
    for names in ([f"data_batch_{i}" for i in range(1, 6)], ["test_batch"]):
        xs, ys = [], []
        for name in names:
            if not (where / name).is_file():
                raise Problem(f"no {name} in {where} (unpack cifar-10-python.tar.gz there)")
            with open(where / name, "rb") as file:
                batch = _ArraysOnly(file, encoding="bytes").load()
            xs.append(batch[b"data"].reshape(-1, 3, 32, 32))
            ys.append(np.asarray(batch[b"labels"], dtype=np.int64))
        parts.append((np.concatenate(xs).astype(np.float32) / np.float32(255.0), np.concatenate(ys)))
    (x, y), test = parts
    return dict(x=x, y=y, task="classification", kind="image", test=test)


# ---- the synthetic datasets, regenerated (the same numbers as netbuilder's for the same options) -----
def _labels(n, classes, rng):
    return rng.permutation(np.arange(n) % classes)


def _circle(angle):
    return np.stack([np.cos(angle), np.sin(angle)], axis=1)


def _table(x, labels):
    return dict(x=x.astype(np.float32), y=labels.astype(np.int64), task="classification", kind="table", test=None)


def moons(n=1000, noise=0.1, seed=0):
    rng = np.random.default_rng(seed)
    labels = _labels(n, 2, rng)
    upper = _circle(rng.uniform(0, math.pi, n))
    x = np.where(labels[:, None] == 0, upper, np.array([1.0, 0.5]) - upper) + rng.normal(0, noise, (n, 2))
    return _table(x, labels)


def spirals(n=1000, noise=0.1, seed=0, classes=2, turns=1.5):
    rng = np.random.default_rng(seed)
    labels = _labels(n, classes, rng)
    radius = rng.uniform(0, 1, n)
    angle = 2 * math.pi * (turns * radius + labels / classes)
    return _table(radius[:, None] * _circle(angle) + rng.normal(0, noise, (n, 2)), labels)


def circles(n=1000, noise=0.05, seed=0, factor=0.5):
    rng = np.random.default_rng(seed)
    labels = _labels(n, 2, rng)
    radius = np.where(labels == 0, 1.0, factor)
    return _table(radius[:, None] * _circle(rng.uniform(0, 2 * math.pi, n)) + rng.normal(0, noise, (n, 2)), labels)


def blobs(n=1000, noise=1.0, seed=0, classes=3, features=2):
    rng = np.random.default_rng(seed)
    labels = _labels(n, classes, rng)
    centres = rng.uniform(-10, 10, (classes, features))
    return _table(centres[labels] + rng.normal(0, noise, (n, features)), labels)


def ring(n=1000, noise=0.05, seed=0, classes=8, radius=2.0):
    rng = np.random.default_rng(seed)
    labels = _labels(n, classes, rng)
    centres = (radius * _circle(2 * math.pi * np.arange(classes) / classes)).astype(np.float32).astype(np.float64)
    return _table(centres[labels] + rng.normal(0, noise, (n, 2)), labels)


def regression_1d(n=1000, noise=0.1, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, (n, 1))
    y = np.sin(2 * x) + 0.3 * x + rng.normal(0, noise, (n, 1))
    return dict(x=x.astype(np.float32), y=y.astype(np.float32), task="regression", kind="table", test=None)


def sine_forecast(n=1000, noise=0.05, seed=0, steps=30):
    rng = np.random.default_rng(seed)
    frequency, phase = rng.uniform(0.2, 0.8, (n, 1)), rng.uniform(0, 2 * math.pi, (n, 1))
    series = np.sin(frequency * np.arange(steps + 1) + phase) + rng.normal(0, noise, (n, steps + 1))
    return dict(x=series[:, :steps, None].astype(np.float32), y=series[:, steps:].astype(np.float32),
                task="regression", kind="sequence", test=None)


def adding_problem(n=1000, seed=0, steps=50, noise=0.0):
    rng = np.random.default_rng(seed)
    values = rng.uniform(0, 1, (n, steps))
    first = rng.integers(0, steps, n)
    marked = np.stack([first, (first + rng.integers(1, steps, n)) % steps], axis=1)
    markers = np.zeros((n, steps))
    np.put_along_axis(markers, marked, 1.0, axis=1)
    y = np.take_along_axis(values, marked, axis=1).sum(axis=1, keepdims=True) + rng.normal(0, noise, (n, 1))
    return dict(x=np.stack([values, markers], axis=2).astype(np.float32), y=y.astype(np.float32),
                task="regression", kind="sequence", test=None)


def digits_rows(images, n=1797, noise=0.0, seed=0):
    images, labels = images
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(labels))  # then the k-th of each class before the (k+1)-th of any
    by_class = np.argsort(labels[order], kind="stable")
    rank = np.empty(len(labels), dtype=np.int64)
    rank[by_class] = np.arange(len(labels)) - np.searchsorted(labels[order][by_class], labels[order][by_class])
    chosen = rng.permutation(order[np.argsort(rank, kind="stable")[:n]])
    x = images[chosen].reshape(-1, 8, 8) / 16.0 + rng.normal(0, noise, (n, 8, 8))
    return dict(x=x.astype(np.float32), y=labels[chosen].astype(np.int64), task="classification",
                kind="sequence", test=None)


def scattered_digits(images, n=8000, noise=0.1, seed=0, size=28, clutter=2):
    """The digits enlarged, turned and placed anywhere on a size x size canvas among stray strokes and noise."""
    images, labels = images
    rng = np.random.default_rng(seed)
    y = _labels(n, 10, rng)
    base = np.empty(n, dtype=np.int64)
    for digit in range(10):
        where = np.flatnonzero(y == digit)
        base[where] = rng.choice(np.flatnonzero(labels == digit), len(where))
    digits = (images.reshape(-1, 1, 8, 8) / 16.0).astype(np.float32)
    side = rng.uniform(0.43, 0.64, n) * size
    cx, cy = rng.uniform(side / 2, size - side / 2), rng.uniform(side / 2, size - side / 2)
    x = _place(digits[base], side, np.radians(rng.uniform(-20.0, 20.0, n)), cx, cy, size)
    rows = np.arange(8)
    for _ in range(clutter):  # stray strokes: quarters of other digits, turned any way, away from the digit
        other = digits[rng.integers(0, len(labels), n)]
        top, left = rng.integers(0, 5, (2, n))
        keep = ((rows[None, :, None] >= top[:, None, None]) & (rows[None, :, None] < top[:, None, None] + 4)
                & (rows[None, None, :] >= left[:, None, None]) & (rows[None, None, :] < left[:, None, None] + 4))
        stroke_side = rng.uniform(0.43, 0.64, n) * size
        turn = np.radians(rng.uniform(-180, 180, n))
        fx, fy = rng.uniform(0, size, (2, n))
        for _ in range(20):
            near = np.hypot(fx - cx, fy - cy) < 0.6 * side
            if not near.any():
                break
            fx[near], fy[near] = rng.uniform(0, size, (2, int(near.sum())))
        x = np.maximum(x, _place(other * keep[:, None].astype(np.float32), stroke_side, turn, fx, fy, size))
    x = np.clip(x + rng.normal(0, noise, x.shape), 0, 1) if noise else x
    return dict(x=x.astype(np.float32), y=y.astype(np.int64), task="classification", kind="image", test=None)


def _place(small, side, angle, cx, cy, size):
    scale, cos, sin = size / side, np.cos(angle), np.sin(angle)
    shift_x, shift_y = (cx - size / 2) / (size / 2), (cy - size / 2) / (size / 2)
    theta = np.zeros((len(small), 2, 3))
    theta[:, 0, 0], theta[:, 0, 1] = scale * cos, scale * sin
    theta[:, 1, 0], theta[:, 1, 1] = -scale * sin, scale * cos
    theta[:, 0, 2] = -(theta[:, 0, 0] * shift_x + theta[:, 0, 1] * shift_y)
    theta[:, 1, 2] = -(theta[:, 1, 0] * shift_x + theta[:, 1, 1] * shift_y)
    theta = torch.from_numpy(theta.astype(np.float32))
    grid = F.affine_grid(theta, [len(small), 1, size, size], align_corners=False)
    return F.grid_sample(torch.from_numpy(small), grid, align_corners=False).numpy()


GENERATORS = {f.__name__: f for f in (moons, spirals, circles, blobs, ring, regression_1d, sine_forecast,
                                      adding_problem, digits_rows, scattered_digits)}


# ---- preparation: split, normalisation from the training part, augmentation ---------------------
def stratified_split(y: torch.Tensor, fractions, seed: int):
    """Indices of each part: one per fraction, then the rest; every class is split alike."""
    gen = torch.Generator().manual_seed(seed)
    parts = [[] for _ in range(len(fractions) + 1)]
    for label in y.unique():
        members = (y == label).nonzero().flatten()
        members = members[torch.randperm(len(members), generator=gen)]
        start = 0
        for i, fraction in enumerate(fractions):
            size = int(round(len(members) * fraction))
            parts[i].append(members[start:start + size])
            start += size
        parts[-1].append(members[start:])
    return [torch.cat(p) for p in parts]


def normalization(x: torch.Tensor, how: str):
    """(shift, scale) from the training samples: per channel for images, per feature otherwise."""
    if how == "none":
        return None
    dims = [0, *range(2, x.dim())] if x.dim() == 4 else list(range(x.dim() - 1))
    if how == "standardize":
        shift, scale = x.mean(dim=dims, keepdim=True), x.std(dim=dims, keepdim=True)
    else:  # minmax
        shift = x.amin(dim=dims, keepdim=True)
        scale = x.amax(dim=dims, keepdim=True) - shift
    scale = torch.where(scale > 1e-12, scale, torch.ones_like(scale))
    return shift[0], scale[0]


def prepare(data: dict, spec: dict):
    """(train, val, test) pairs of tensors, split by class and normalised with training statistics only."""
    x, y = torch.from_numpy(data["x"]), torch.from_numpy(data["y"])
    if len(x) < 3:
        raise Problem(f"{len(x)} samples: at least 3 are needed to train, validate and test")
    groups = y if data["task"] == "classification" else torch.zeros(len(y), dtype=torch.long)
    if data["test"] is not None:  # the source's own test set
        val, train = stratified_split(groups, (spec["val_fraction"],), spec["seed"])
        test = tuple(torch.from_numpy(a) for a in data["test"])
    else:
        val, test_idx, train = stratified_split(groups, (spec["val_fraction"], spec["test_fraction"]), spec["seed"])
        test = (x[test_idx], y[test_idx])
    stats = normalization(x[train], spec["normalize"])

    def part(xs, ys):
        return ((xs - stats[0]) / stats[1] if stats else xs), ys

    return part(x[train], y[train]), part(x[val], y[val]), part(*test)


def augment(x: torch.Tensor, gen: torch.Generator, a: dict) -> torch.Tensor:
    """Flips, small rotations, shifts, brightness and noise on a batch of images [N, C, H, W]."""
    n, device = len(x), x.device

    def uniform(low, high):
        return (torch.rand(n, generator=gen) * (high - low) + low).to(device)

    if a.get("flip"):
        x = torch.where((uniform(0, 1) < 0.5)[:, None, None, None], x.flip(-1), x)
    if a.get("rotate") or a.get("crop"):
        angle = uniform(-a.get("rotate", 0), a.get("rotate", 0)) * math.pi / 180
        h, w = x.shape[-2:]
        crop = a.get("crop", 0)
        shift_x, shift_y = uniform(-crop, crop).round() * 2 / w, uniform(-crop, crop).round() * 2 / h
        cos, sin = torch.cos(angle), torch.sin(angle)
        theta = torch.stack([torch.stack([cos, -sin, shift_x], 1), torch.stack([sin, cos, shift_y], 1)], 1)
        grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    if a.get("brightness"):
        x = x + uniform(-a["brightness"], a["brightness"])[:, None, None, None]
    if a.get("noise"):
        x = x + torch.randn(x.shape, generator=gen).to(device) * a["noise"]
    return x


# ---- training ----------------------------------------------------------------------------------
CLASSIFICATION = ("cross_entropy", "nll", "bce_with_logits")
LOSSES = {"cross_entropy": nn.CrossEntropyLoss, "bce_with_logits": nn.BCEWithLogitsLoss, "mse": nn.MSELoss,
          "l1": nn.L1Loss, "nll": nn.NLLLoss}


def pick_device(name: str, local_rank: int) -> torch.device:
    mps = getattr(torch.backends, "mps", None)
    if name in ("auto", "cuda") and torch.cuda.is_available():
        return torch.device("cuda", local_rank)
    if name == "cuda":
        raise Problem("device 'cuda' was chosen but no CUDA GPU is available (use --device cpu)")
    if name in ("auto", "mps") and mps and mps.is_available():
        return torch.device("mps")
    if name == "mps":
        raise Problem("device 'mps' was chosen but Apple's MPS is not available (use --device cpu)")
    return torch.device("cpu")


def make_optimizer(model: nn.Module, c: dict) -> torch.optim.Optimizer:
    """One parameter group per learning-rate scale of a layer; frozen layers left out."""
    scales: dict = {}
    for name, module in model.named_children():
        scales.setdefault(SETTINGS["lr_scale"].get(name, 1.0), []).extend(
            p for p in module.parameters() if p.requires_grad)
    groups = [{"params": params, "lr": c["lr"] * scale} for scale, params in scales.items() if params]
    if not groups:
        raise Problem("no layer has weights to train")
    # torch's fused step (one kernel over every weight) on the CPU, as netbuilder trains: float weights, none sparse
    fused = all(p.device.type == "cpu" and p.is_floating_point() for p in model.parameters()) and not any(
        getattr(m, "sparse", False) is True for m in model.modules()) or None
    if c["optimizer"] == "sgd":
        return torch.optim.SGD(groups, lr=c["lr"], momentum=c["momentum"], nesterov=c["nesterov"] and c["momentum"] > 0,
                               weight_decay=c["weight_decay"], fused=fused)
    if c["optimizer"] in ("adam", "adamw"):
        kind = torch.optim.Adam if c["optimizer"] == "adam" else torch.optim.AdamW
        return kind(groups, lr=c["lr"], weight_decay=c["weight_decay"], fused=fused)
    return torch.optim.RMSprop(groups, lr=c["lr"], momentum=c["momentum"], weight_decay=c["weight_decay"])


def lr_factor(c: dict, epoch: int) -> float:
    """The learning-rate multiplier of an epoch: linear warmup, then the schedule."""
    if epoch < c["warmup_epochs"]:
        return (epoch + 1) / c["warmup_epochs"]
    e = epoch - c["warmup_epochs"]
    if c["schedule"] == "step":
        return c["gamma"] ** (e // c["step_size"])
    if c["schedule"] == "exponential":
        return c["gamma"] ** e
    if c["schedule"] == "cosine":
        span = max(1, c["epochs"] - c["warmup_epochs"])
        return 0.5 * (1 + math.cos(math.pi * min(e, span) / span))
    return 1.0


def batch_bounds(n: int, size: int):
    """(start, end) of each batch; a last batch of one sample joins the one before it (for BatchNorm)."""
    if n <= size:
        return [(0, n)]
    bounds = [(i, min(n, i + size)) for i in range(0, n, size)]
    if bounds[-1][1] - bounds[-1][0] == 1:
        bounds[-2:] = [(bounds[-2][0], n)]
    return bounds


def target(y: torch.Tensor, out: torch.Tensor, loss: str) -> torch.Tensor:
    if loss in ("bce_with_logits", "mse", "l1"):
        return y.to(out.dtype).reshape(out.shape) if y.numel() == out.numel() else y.to(out.dtype)
    return y.long()


def correct(out: torch.Tensor, y: torch.Tensor, loss: str) -> torch.Tensor:
    predicted = (out > 0).flatten() if loss == "bce_with_logits" else out.argmax(dim=1)
    return (predicted.to(y.dtype) == y.reshape(predicted.shape)).sum()


def load_matching(model: nn.Module, path: str) -> list:
    """Start the layers of the same name and shape from a checkpoint (transfer learning)."""
    if not Path(path).is_file():
        raise Problem(f"init_from: the checkpoint '{path}' does not exist")
    state = torch.load(path, map_location="cpu", weights_only=True)
    state = state.get("model", state) if isinstance(state, dict) else {}
    own, loaded = model.state_dict(), []
    for layer, module in model.named_children():
        keys = [f"{layer}.{k}" for k in module.state_dict()]
        if keys and all(k in state and state[k].shape == own[k].shape for k in keys):
            with torch.no_grad():
                for k in keys:
                    own[k].copy_(state[k])
            loaded.append(layer)
    if not loaded:
        raise Problem(f"init_from: no layer here matches the checkpoint '{path}' by name and shape")
    return loaded


def world() -> tuple[int, int, int]:
    """(rank, local rank, world size) as torchrun sets them; (0, 0, 1) for one plain process."""
    return int(os.environ.get("RANK", 0)), int(os.environ.get("LOCAL_RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))


def summed(values: list, device) -> list:
    """Sum values over every process (a no-op for one)."""
    total = torch.tensor([float(v) for v in values], dtype=torch.float64, device=device)
    if dist.is_initialized():
        dist.all_reduce(total)
    return total.tolist()


def evaluate(model, x, y, c, rank, size, device):
    """(loss, accuracy or None) over (x, y): each process takes every size-th sample, the sums are shared."""
    loss_fn, loss_name = LOSSES[c["loss"]](), c["loss"]
    x, y = x[rank::size], y[rank::size]
    model.eval()
    total, right = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(x), 1024):
            out = model(x[start:start + 1024])
            yb = y[start:start + 1024]
            total += float(loss_fn(out, target(yb, out, loss_name))) * len(yb)
            right += int(correct(out, yb, loss_name)) if loss_name in CLASSIFICATION else 0
    total, right, n = summed([total, right, len(x)], device)
    return total / n, (right / n if loss_name in CLASSIFICATION else None)


def check_fit(model: nn.Module, data: dict, train, c: dict) -> None:
    """The data must fit the network's Input, and its Output the targets, before anything trains."""
    name, shape = SETTINGS["input"]["name"], SETTINGS["input"]["shape"]
    sample = tuple(train[0].shape[1:])
    if math.prod(sample) != math.prod(shape):
        if "columns" in data:
            raise Problem(f"the CSV has {data['columns']} columns ({data['columns'] - 1} features and the target)"
                          f" but the Input '{name}' takes {math.prod(shape)} values per sample: a CSV for this"
                          f" network has {math.prod(shape) + 1} columns")
        raise Problem(f"the samples are [N, {', '.join(map(str, sample))}] but the Input '{name}' takes"
                      f" [N, {', '.join(map(str, shape))}]")
    classifies = c["loss"] in CLASSIFICATION
    if classifies != (data["task"] == "classification"):
        raise Problem(f"the data is a {data['task']} task but the loss is {c['loss']}")
    with torch.no_grad():
        out = model.eval()(train[0][:2].reshape(-1, *shape))
    if c["loss"] in ("cross_entropy", "nll"):
        classes = int(train[1].max()) + 1
        if out.dim() != 2 or out.shape[1] < classes:
            raise Problem(f"the network gives {list(out.shape[1:])} per sample but the data has {classes} classes")
    elif not classifies and out[0].numel() != train[1][0].numel():
        raise Problem(f"the network gives {out[0].numel()} values per sample but each target has"
                      f" {train[1][0].numel()}")


def train(args) -> None:
    c = {**SETTINGS["training"], **({"epochs": args.epochs} if args.epochs else {})}
    spec = SETTINGS["data"]
    rank, local_rank, size = world()
    shape = SETTINGS["input"]["shape"]
    if c["batch_size"] % size:
        raise Problem(f"the batch of {c['batch_size']} does not split evenly over {size} processes:"
                      " choose a number of processes that divides it")
    data = load_data(spec["source"], spec.get("options") or {}, spec["seed"], args.data)
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = prepare(data, spec)
    sample = tuple(x_train.shape[1:])
    torch.manual_seed(c["seed"])
    model = Network()
    check_fit(model, data, (x_train, y_train), c)
    if c["init_from"]:
        print(f"started {', '.join(load_matching(model, c['init_from']))} from {c['init_from']}")
    device = pick_device(args.device or c["device"], local_rank)
    if size > 1:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        if device.type == "cuda":
            torch.cuda.set_device(device)
    try:
        fit(model, c, device, rank, size, shape, sample, args,
            [tuple(t.reshape(-1, *shape).to(device) if i == 0 else t.to(device) for i, t in enumerate(part))
             for part in ((x_train, y_train), (x_val, y_val), (x_test, y_test))])
        if dist.is_initialized():
            gc.collect()  # DDP's reducer goes before its process group (else gloo may abort at exit)
            dist.barrier()  # and every process is done before the group goes
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def fit(model, c, device, rank, size, shape, sample, args, parts) -> None:
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = parts
    log = print if rank == 0 else (lambda *a, **k: None)
    out_dir = Path(args.out)
    model.to(device)
    net = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None) \
        if size > 1 else model
    optimizer = make_optimizer(model, c)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda e: lr_factor(c, e))
    amp = c["mixed_precision"] and device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=amp)
    loss_fn, params = LOSSES[c["loss"]](), [p for p in model.parameters() if p.requires_grad]
    gen = torch.Generator().manual_seed(c["seed"])  # the shuffle (the same in every process)
    noise = gen if size == 1 else torch.Generator().manual_seed(c["seed"] + 1 + rank)  # augmentation
    shards = DistributedSampler(range(len(x_train)), num_replicas=size, rank=rank, shuffle=False)
    mine = torch.tensor(list(shards))  # this process's places in every epoch's shuffled order
    bounds = batch_bounds(len(mine), c["batch_size"] // size)
    best, waited = math.inf, 0
    if rank == 0:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "metrics.csv").write_text("epoch,train_loss,train_acc,val_loss,val_acc,lr,seconds\n")
    log(f"{len(x_train)} training, {len(x_val)} validation, {len(x_test)} test samples on {device}"
        f"{f' x {size} processes' if size > 1 else ''}; batch {c['batch_size']}")
    for epoch in range(c["epochs"]):
        started = time.perf_counter()
        net.train()
        order = torch.randperm(len(x_train), generator=gen)[mine].to(device)
        lr = c["lr"] * lr_factor(c, epoch)  # the rate of a layer with lr_scale 1
        sums = torch.zeros(3, dtype=torch.float64, device=device)  # loss x samples, right, samples
        for a, b in bounds:
            idx = order[a:b]
            xb, yb = x_train[idx], y_train[idx]
            if SETTINGS["augment"]:
                xb = augment(xb.reshape(-1, *sample), noise, SETTINGS["augment"]).reshape(xb.shape)
            with torch.autocast(device.type, enabled=amp):
                out = net(xb)
                loss = loss_fn(out, target(yb, out, c["loss"]))
            if c["l1"]:
                loss = loss + c["l1"] * sum(p.abs().sum() for p in params if p.dim() > 1)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            if c["clip_norm"]:
                scaler.unscale_(optimizer)
                nn.utils.clip_grad_norm_(params, c["clip_norm"])
            scaler.step(optimizer)
            scaler.update()
            right = correct(out.detach(), yb, c["loss"]) if c["loss"] in CLASSIFICATION else 0
            sums += torch.stack([loss.detach().double() * (b - a), torch.as_tensor(right, dtype=torch.float64,
                                 device=device), torch.tensor(float(b - a), dtype=torch.float64, device=device)])
        if size > 1:
            dist.all_reduce(sums)
            for buffer in model.buffers():  # BatchNorm's running statistics: process 0's, everywhere
                dist.broadcast(buffer, 0)
        total, right, seen = sums.tolist()
        if not math.isfinite(total):
            raise Problem(f"the loss became NaN or infinite in epoch {epoch + 1}: try a lower learning rate,"
                          " gradient clipping (clip_norm) or BatchNorm")
        schedule.step()
        val_loss, val_acc = evaluate(model, x_val, y_val, c, rank, size, device) if len(x_val) else (None, None)
        seconds = time.perf_counter() - started
        train_acc = right / seen if c["loss"] in CLASSIFICATION else None
        improved = val_loss is not None and val_loss < best
        best, waited = (val_loss, 0) if improved else (best, waited + 1)
        show = [f"train loss {total / seen:.4f}"] + ([f"train acc {train_acc:.3f}"] if train_acc is not None else []) \
            + ([f"val loss {val_loss:.4f}"] if val_loss is not None else []) \
            + ([f"val acc {val_acc:.3f}"] if val_acc is not None else [])
        log(f"epoch {epoch + 1}/{c['epochs']}: {'  '.join(show)}  lr {lr:.3g}  {seen / seconds:,.0f} samples/s")
        if rank == 0:
            row = [epoch + 1, total / seen, train_acc, val_loss, val_acc, lr, seconds]
            with open(out_dir / "metrics.csv", "a") as file:
                file.write(",".join("" if v is None else f"{v:.6g}" for v in row) + "\n")
            state = {"format": 2, "recipe": c["recipe"], "model": model.state_dict(),
                     "optimizers": {"model": optimizer.state_dict()}, "schedulers": {"model": schedule.state_dict()},
                     "epoch": epoch, "best": best, "shuffle": gen.get_state(), "recipe_state": {}}
            save(state, out_dir / "last.pt")
            if improved:
                save(state, out_dir / "best.pt")
        if c["early_stopping"] and val_loss is not None and waited >= c["early_stopping"]:
            log(f"validation loss did not improve for {waited} epochs: stopped after epoch {epoch + 1}")
            break
    if len(x_test):
        test_loss, test_acc = evaluate(model, x_test, y_test, c, rank, size, device)
        log(f"test set ({len(x_test)} samples): loss {test_loss:.4f}"
            + (f", accuracy {test_acc:.1%}" if test_acc is not None else ""))
    log(f"metrics in {out_dir / 'metrics.csv'}, weights in {out_dir / 'last.pt'}"
        + (f" and {out_dir / 'best.pt'}" if (out_dir / "best.pt").exists() else ""))


def save(state: dict, path: Path) -> None:
    """Through a .part file, so that a crash while writing leaves the previous checkpoint whole."""
    part = path.with_name(path.name + ".part")
    torch.save(state, part)
    os.replace(part, path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, help=f"default: {SETTINGS['training'].get('epochs')}")
    parser.add_argument("--data", help="the data file or folder (default: the document's own)")
    parser.add_argument("--out", default="run", help="where metrics.csv, last.pt and best.pt go (default: run)")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"], help="default: the document's")
    args = parser.parse_args(argv)
    if args.epochs is not None and args.epochs < 1:
        parser.error("--epochs must be at least 1")
    try:
        train(args)
    except (Problem, OSError) as e:
        if world()[0] == 0:
            print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
