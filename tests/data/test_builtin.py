"""The built-in digits: read straight from scikit-learn's file, split by class and seed
(stratified_split's test checks that every sample lands in exactly one part)."""
import numpy as np
import torch

from netbuilder.data import digits, digits_splits, stratified_split
from netbuilder.data.builtin import _digits_arrays


def test_the_file_read_directly_equals_scikit_learns_loader():
    from sklearn.datasets import load_digits

    images, labels = _digits_arrays()
    data = load_digits()
    assert np.array_equal(images, data.data) and np.array_equal(labels, data.target)


def test_splits_are_disjoint_stratified_and_repeatable():
    splits = digits_splits(seed=3)
    sizes = [len(part[0]) for part in splits]
    assert sum(sizes) == 1797 and 260 < sizes[1] < 280 and 260 < sizes[2] < 280
    for _, labels in splits:
        counts = torch.bincount(labels, minlength=10).float()
        assert counts.min() / counts.max() > 0.9  # every class in every part, in proportion
    again = digits_splits(seed=3)
    assert all(torch.equal(a[0], b[0]) for a, b in zip(splits, again))
    assert not torch.equal(digits_splits(seed=4).test[0], splits.test[0])
    train, val = digits(seed=3, val_fraction=0.2)
    assert len(train[0]) + len(val[0]) == 1797


def test_stratified_split_keeps_every_index_once():
    y = torch.tensor([0] * 10 + [1] * 20)
    parts = stratified_split(y, (0.1, 0.2), seed=0)
    assert [len(p) for p in parts] == [3, 6, 21]
    assert sorted(torch.cat(parts).tolist()) == list(range(30))
