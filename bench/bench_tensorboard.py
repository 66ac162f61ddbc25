"""TensorBoard logging off the hot path: the CNN template on digits trained with and without the run's
TensorBoard event files (every step's loss, each epoch's metrics and gradient norms, histograms), in
interleaved pairs. The time measured is the training's, from the first step to the last epoch's end (CPU
time of the training thread); what a run writes once (the graph, at its start) is timed apart.
Target (issue 12): writing events costs under 3% of step time.
Run: .venv/bin/python bench/bench_tensorboard.py
"""
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

from netbuilder.data import digits
from netbuilder.graph.io import load
from netbuilder.layers import check_node
from netbuilder.train import Callback, TrainConfig, Trainer
from netbuilder.train.callbacks.tensorboard import TensorBoardLog

PAIRS = 21
TEMPLATE = Path(__file__).resolve().parents[1] / "templates" / "cnn_digits.json"


class Clock(Callback):
    """CPU time from the first epoch's start to the last epoch's end."""

    def on_epoch_start(self, trainer, epoch):
        if epoch == 0:
            self.started = time.thread_time()

    def on_epoch_end(self, trainer, epoch):
        self.ended = time.thread_time()


def main() -> int:
    torch.set_num_threads(1)
    graph = load(TEMPLATE, check_node)
    train, val = digits()
    config = TrainConfig(epochs=10, batch_size=64, device="cpu")
    costs, starts = [], []
    for i in range(PAIRS):
        plain, logged = Clock(), Clock()
        board = TensorBoardLog(Path(tempfile.mkdtemp()))
        runs = [Trainer(graph, config, train, val, callbacks=[plain]),
                Trainer(graph, config, train, val, callbacks=[logged, board])]
        for trainer in (runs if i % 2 else runs[::-1]):
            before = time.thread_time()
            trainer.run()
            if trainer is runs[1]:
                starts.append(logged.started - before)
        costs.append((logged.ended - logged.started) / (plain.ended - plain.started) - 1)
    cost = statistics.median(costs)
    quartiles = statistics.quantiles(costs, n=4)
    print(f"CNN template, {config.epochs} epochs, median of {PAIRS} pairs: writing events costs {cost:.1%} of the"
          f" training time (quartiles {quartiles[0]:.1%} to {quartiles[2]:.1%}); once a run, at its start (the"
          f" graph): {statistics.median(starts) * 1000:.0f} ms")
    ok = cost < 0.03
    print(f"{'PASS' if ok else 'FAIL'}: {cost:.1%} (target < 3%)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
