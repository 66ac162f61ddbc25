"""Datasets that need no download."""
from __future__ import annotations

import torch


def digits(seed: int = 0, val_fraction: float = 0.2):
    """scikit-learn's 1,797 handwritten 8x8 digits as ([N, 1, 8, 8] floats in 0..1, labels),
    split into train and validation parts, stratified by class and repeatable by seed."""
    from sklearn.datasets import load_digits

    data = load_digits()
    x = torch.tensor(data.images, dtype=torch.float32).unsqueeze(1) / 16.0
    y = torch.tensor(data.target, dtype=torch.long)
    gen = torch.Generator().manual_seed(seed)
    train_idx, val_idx = [], []
    for label in y.unique():
        members = (y == label).nonzero().flatten()
        members = members[torch.randperm(len(members), generator=gen)]
        cut = int(round(len(members) * val_fraction))
        val_idx.append(members[:cut])
        train_idx.append(members[cut:])
    tr, va = torch.cat(train_idx), torch.cat(val_idx)
    return (x[tr], y[tr]), (x[va], y[va])
