"""Data time in the training loop: batches are index slices of tensors held in memory (no
per-sample Python). Measures, for the CNN template on the digits, the time spent making each batch
(x[idx], y[idx]) against the whole step (batch + forward + backward + optimizer), timed in place.

Target (issue 5): data time under 5% of step time. With augmentation (flip, rotate, shift), which
does per-batch work, the share is reported for information.
Run: .venv/bin/python bench/bench_batching.py
"""
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

from netbuilder.compile import build_model
from netbuilder.data.dataset import DataSpec
from netbuilder.graph import io
from netbuilder.layers import check_node
from netbuilder.train import TrainConfig
from netbuilder.train.fitting import training_data

TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "cnn_digits.json"
EPOCHS, REPEATS, BATCH = 5, 5, 64


def share(graph, data) -> float:
    """Seconds making batches over seconds of whole steps, for EPOCHS epochs."""
    model = build_model(graph)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    x, y = data.train
    gen = torch.Generator().manual_seed(0)
    in_data = total = 0.0
    for _ in range(EPOCHS):
        order = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), BATCH):
            started = time.perf_counter()
            idx = order[i:i + BATCH]
            xb, yb = x[idx], y[idx]
            if data.augment is not None:
                xb = data.augment(xb, gen)
            made = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            loss.item()
            in_data += made - started
            total += time.perf_counter() - started
    return in_data / total


def main() -> int:
    torch.set_num_threads(1)
    graph = io.load(TEMPLATE, check_node)
    plain = training_data(graph, TrainConfig(), DataSpec())
    augmented = training_data(graph, TrainConfig(), DataSpec(augment={"flip": True, "rotate": 10, "crop": 1}))
    shares = [share(graph, plain) for _ in range(REPEATS)]
    aug_shares = [share(graph, augmented) for _ in range(REPEATS)]
    plain_share, aug_share = statistics.median(shares), statistics.median(aug_shares)
    print(f"CNN template on digits, batch {BATCH}, {EPOCHS} epochs, 1 thread, median of {REPEATS}")
    print(f"data time / step time, index slicing: {plain_share:.2%}")
    print(f"data time / step time, with flip + rotate + shift augmentation: {aug_share:.2%} (information)")
    ok = plain_share < 0.05
    print(f"{'PASS' if ok else 'FAIL'}: data time {plain_share:.2%} of step time (target < 5%)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
