"""The one loop's overhead: netbuilder's Trainer (gradient monitoring on, a callback standing in for the
window's channel, per-step values fetched as the window would) against a plain hand-written PyTorch loop
on the same model, data and batch size, on two workloads:
  - the CNN template on the built-in digits (8x8), batch 64;
  - a LeNet-5 on MNIST-shaped data (random 28x28 images, 10 classes), batch 64.
Targets (issue 10): samples/s ratio at least 0.97 on both; gradient monitoring under 3% of step time
(timed in place in the plain loop, at the rate the Trainer takes norms: an A/B of whole runs is noisier than the
1% it measures).
The plain loop takes torch.optim.Adam's default step, as a hand-written loop does; the Trainer takes torch's fused
step on the CPU (train/optim.py: fusable). A third side, the plain loop with the Trainer's fused step, gives the
loop's own cost apart from that choice ("same optimizer step").
Run: .venv/bin/python bench/bench_trainer.py [--every-step]
  --every-step: also a Trainer taking gradient norms (and update ratios) every step, as before issue 20, in the
  same interleaved runs.
"""
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

from netbuilder import GraphBuilder, build_model
from netbuilder.data import digits
from netbuilder.graph.io import load
from netbuilder.layers import check_node
from netbuilder.train import Callback, TrainConfig, Trainer
from netbuilder.train import loop
from netbuilder.train.gradients import GradientMonitor
from netbuilder.train.optim import fusable

TEMPLATE = Path(__file__).resolve().parents[1] / "templates" / "cnn_digits.json"


def lenet5():
    b = GraphBuilder()
    h = b.add("Input", shape=[1, 28, 28])
    h = b.add("MaxPool2d", b.add("ReLU", b.add("Conv2d", h, out_channels=6, kernel_size=5, padding=2)))
    h = b.add("MaxPool2d", b.add("ReLU", b.add("Conv2d", h, out_channels=16, kernel_size=5)))
    h = b.add("ReLU", b.add("Linear", b.add("Flatten", h), out_features=120))
    h = b.add("ReLU", b.add("Linear", h, out_features=84))
    b.add("Output", b.add("Linear", h, out_features=10))
    return b.graph


class Channel(Callback):
    """Stands in for the window's channel: keeps every step and hands them over in batches."""

    def __init__(self):
        self.pending, self.batches, self.last = [], [], 0.0

    def on_step_end(self, trainer, step):
        self.pending.append(step)
        now = time.perf_counter()
        if now - self.last >= 0.04:
            self.last = now
            self.batches.append(self.pending)
            self.pending = []


def plain(model, x, y, bs, epochs, monitor=None, every=1, fused=None) -> float:
    """A hand-written loop; returns the seconds spent in the monitor's norms (0 without one), taken every
    `every` steps."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=fused)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(0)
    in_monitor = 0.0
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=gen)
        for step, i in enumerate(range(0, len(x), bs)):
            idx = order[i:i + bs]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            if monitor is not None and step % every == 0:
                t = time.thread_time()
                [t.item() for t in monitor.parts["model"].norms()]
                in_monitor += time.thread_time() - t
            opt.step()
            loss.item()
    return in_monitor


def timed(fn) -> float:
    """CPU seconds of this thread (both sides run on one thread; a busy VM's stolen time is not counted)."""
    t = time.thread_time()
    fn()
    return time.thread_time() - t


def every_step(trainer: Trainer) -> Trainer:
    """The Trainer as before issue 20: gradient norms every step, update ratios every 25."""
    trainer.norms_every = 1
    return trainer


def compare(name, graph, x, y, bs, pairs, before: bool) -> tuple[float, float]:
    """The median of many short interleaved pairs (one epoch each, a fresh model on both sides): on these
    machines one run's time varies by +-10% from one run to the next, alike for long runs and short ones, so
    many short pairs pin the median down better than a few long ones in the same time."""
    config = TrainConfig(epochs=1, batch_size=bs, lr=1e-3, device="cpu")
    ratios, costs, plains, trainers, befores, before_times, sames = [], [], [], [], [], [], []
    every = Trainer(graph, config, (x, y), None).norms_every
    for repeat in range(pairs):
        trainer = Trainer(graph, config, (x, y), None, callbacks=[Channel()])
        old = every_step(Trainer(graph, config, (x, y), None, callbacks=[Channel()])) if before else None
        torch.manual_seed(config.seed)  # the plain loop's model starts where the Trainer's does
        model = build_model(graph)
        torch.manual_seed(config.seed)
        same = build_model(graph)
        sides = [("plain", lambda: plain(model, x, y, bs, 1)), ("trainer", trainer.run),
                 ("same", lambda: plain(same, x, y, bs, 1, fused=fusable(same)))]
        if old is not None:
            sides.append(("before", lambda: _ratio_every(25, old.run)))
        shift = repeat % len(sides)  # rotate the order: no side always runs on a warmer cache
        times = dict((side, timed(fn)) for side, fn in sides[shift:] + sides[:shift])
        ratios.append(times["plain"] / times["trainer"])  # samples/s of the trainer over the plain loop's
        sames.append(times["same"] / times["trainer"])
        plains.append(times["plain"])
        trainers.append(times["trainer"])
        if old is not None:
            befores.append(times["plain"] / times["before"])
            before_times.append(times["before"])
        if repeat % 5 == 0:  # the monitor's share is measured in place, steadier: a fifth of the pairs will do
            model = build_model(graph)
            spent = []
            total = timed(lambda: spent.append(plain(model, x, y, bs, 1, GradientMonitor({"model": model}), every)))
            costs.append(spent[0] / total)
    ratio, cost = statistics.median(ratios), statistics.median(costs)
    print(f"{name}: batch {bs}, one epoch of {len(x)} samples, median of {pairs} interleaved pairs")
    quartiles = statistics.quantiles(ratios, n=4)
    print(f"  samples/s, Trainer / plain loop: {ratio:.3f} median of pairs (quartiles {quartiles[0]:.3f} to"
          f" {quartiles[2]:.3f}); summed times {sum(plains) / sum(trainers):.3f}")
    quartiles = statistics.quantiles(sames, n=4)
    print(f"  the loop's own cost, both sides with the same (fused) optimizer step: {statistics.median(sames):.3f}"
          f" median of pairs (quartiles {quartiles[0]:.3f} to {quartiles[2]:.3f})")
    if befores:
        quartiles = statistics.quantiles(befores, n=4)
        print(f"  before (norms every step): {statistics.median(befores):.3f} median of pairs (quartiles"
              f" {quartiles[0]:.3f} to {quartiles[2]:.3f}); summed times {sum(plains) / sum(before_times):.3f}")
    print(f"  gradient monitoring: {cost:.1%} of step time (norms every {every} steps)")
    return ratio, cost


def _ratio_every(steps: int, fn):
    """Run fn with update ratios every `steps` steps."""
    kept, loop.RATIO_EVERY = loop.RATIO_EVERY, steps
    try:
        return fn()
    finally:
        loop.RATIO_EVERY = kept


def main() -> int:
    torch.set_num_threads(1)
    (x, y), _ = digits()
    before = "--every-step" in sys.argv
    results = [compare("CNN template on digits", load(TEMPLATE, check_node), x, y, 64, 300, before)]
    gen = torch.Generator().manual_seed(0)
    images, labels = torch.rand(2048, 1, 28, 28, generator=gen), torch.randint(0, 10, (2048,), generator=gen)
    results.append(compare("LeNet-5 on 28x28 MNIST-shaped data", lenet5(), images, labels, 64, 100, before))
    ok = all(r >= 0.97 and c < 0.03 for r, c in results)
    print(f"{'PASS' if ok else 'FAIL'}: ratios {', '.join(f'{r:.3f}' for r, _ in results)} (target >= 0.97),"
          f" monitoring {', '.join(f'{c:.1%}' for _, c in results)} (target < 3%)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
