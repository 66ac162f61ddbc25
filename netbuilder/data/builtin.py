"""Datasets that need no download."""
from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

Pair = tuple[torch.Tensor, torch.Tensor]


class Splits(NamedTuple):
    train: Pair
    val: Pair
    test: Pair


def stratified_split(y: torch.Tensor, fractions: tuple[float, ...], seed: int) -> list[torch.Tensor]:
    """Indices of each part: one per fraction, then the rest; every class is split alike."""
    gen = torch.Generator().manual_seed(seed)
    parts: list[list[torch.Tensor]] = [[] for _ in range(len(fractions) + 1)]
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


def _digits_arrays():
    """The digits file that scikit-learn ships, read directly: importing scikit-learn takes a second
    (and holds the interpreter lock the window needs); reading the file takes a tenth of that."""
    spec = importlib.util.find_spec("sklearn")  # finds the package without importing it
    path = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz" if spec and spec.origin else None
    if path is None or not path.is_file():  # a scikit-learn that keeps it elsewhere
        from sklearn.datasets import load_digits

        data = load_digits()
        return data.data, data.target
    table = np.loadtxt(path, delimiter=",")
    return table[:, :-1], table[:, -1].astype(np.int64)


def digits_splits(seed: int = 0, val_fraction: float = 0.15, test_fraction: float = 0.15) -> Splits:
    """scikit-learn's 1,797 handwritten 8x8 digits as ([N, 1, 8, 8] floats in 0..1, labels),
    split into train, validation and test parts, stratified by class and repeatable by seed."""
    images, labels = _digits_arrays()
    x = torch.tensor(images, dtype=torch.float32).reshape(-1, 1, 8, 8) / 16.0
    y = torch.tensor(labels, dtype=torch.long)
    val, test, train = stratified_split(y, (val_fraction, test_fraction), seed)
    return Splits((x[train], y[train]), (x[val], y[val]), (x[test], y[test]))


def digits(seed: int = 0, val_fraction: float = 0.2) -> tuple[Pair, Pair]:
    """The digits as (train, validation), with no test part."""
    train, val, _ = digits_splits(seed, val_fraction, 0.0)
    return train, val
