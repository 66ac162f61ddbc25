"""Trainer overhead: netbuilder's Trainer (gradient monitoring on, a metrics callback) against a
plain hand-written PyTorch loop on the same model, data and batch size.

Targets (issue 4): samples/s ratio at least 0.95; gradient monitoring under 3% of step time.
The monitoring cost is the time spent in GradientMonitor.grad_norms over the whole step time,
timed in place in the plain loop (an A/B of whole runs is noisier than the 1% it measures).
Run: .venv/bin/python bench/bench_trainer.py
"""
import statistics
import sys
import time

import torch
from torch import nn

from netbuilder import GraphBuilder, build_model
from netbuilder.data import digits
from netbuilder.train import Callback, TrainConfig, Trainer
from netbuilder.train.gradients import GradientMonitor

REPEATS = 9
EPOCHS = 8


def cnn():
    b = GraphBuilder()
    x = b.add("Input", shape=[1, 8, 8])
    h = b.add("MaxPool2d", b.add("ReLU", b.add("Conv2d", x, out_channels=16, padding=1)))
    h = b.add("MaxPool2d", b.add("ReLU", b.add("Conv2d", h, out_channels=32, padding=1)))
    h = b.add("ReLU", b.add("Linear", b.add("Flatten", h), out_features=64))
    b.add("Output", b.add("Linear", h, out_features=10))
    return b.graph


class Metrics(Callback):
    """Stands in for the UI channel: keeps every step's loss and norms."""

    def __init__(self):
        self.rows = []

    def on_step_end(self, trainer, step):
        self.rows.append((step.loss, step.grad_norms))


def plain(model, x, y, bs, monitor=None) -> float:
    """A hand-written loop; returns the seconds spent in monitor.grad_norms (0 without one)."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(0)
    in_monitor = 0.0
    for _ in range(EPOCHS):
        order = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), bs):
            idx = order[i:i + bs]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            if monitor is not None:
                t = time.perf_counter()
                monitor.grad_norms()
                in_monitor += time.perf_counter() - t
            opt.step()
            loss.item()
    return in_monitor


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> int:
    torch.set_num_threads(1)
    (x, y), val = digits()
    graph, bs = cnn(), 64
    config = TrainConfig(epochs=EPOCHS, batch_size=bs, lr=1e-3)
    ratios, costs = [], []
    for repeat in range(REPEATS):
        trainer = Trainer(graph, config, (x, y), None, callbacks=[Metrics()])
        model = build_model(graph)
        if repeat % 2:  # alternate the order: neither side always runs on a warmer cache
            t_plain, t_trainer = timed(lambda: plain(model, x, y, bs)), timed(trainer.run)
        else:
            t_trainer, t_plain = timed(trainer.run), timed(lambda: plain(model, x, y, bs))
        ratios.append(t_plain / t_trainer)  # samples/s of the trainer over the plain loop's
        model = build_model(graph)
        spent = []
        total = timed(lambda: spent.append(plain(model, x, y, bs, GradientMonitor(model))))
        costs.append(spent[0] / total)
    ratio, cost = statistics.median(ratios), statistics.median(costs)
    print(f"CNN on digits, batch {bs}, {EPOCHS} epochs, 1 thread, median of {REPEATS} interleaved runs")
    print(f"samples/s, Trainer (monitoring + metrics callback) / plain loop: {ratio:.3f}"
          f"  (runs: {', '.join(f'{r:.3f}' for r in ratios)})")
    print(f"gradient monitoring: {cost:.1%} of step time")
    ok = ratio >= 0.95 and cost < 0.03
    print(f"{'PASS' if ok else 'FAIL'}: ratio {ratio:.3f} (target >= 0.95), monitoring {cost:.1%} (target < 3%)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
