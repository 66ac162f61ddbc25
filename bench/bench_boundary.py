"""The decision boundary off the hot path: an MLP on moons (1,000 samples, the window's default split
sizes aside) trained with and without the Boundary callback (a 120 x 120 grid scored after every epoch),
in interleaved pairs; CPU time of the training from the first epoch's start to the last epoch's end.
Target (issue 13): capturing what the views show costs under 5% of training time.
Run: .venv/bin/python bench/bench_boundary.py
"""
import statistics
import sys

import torch
from bench_tensorboard import Clock

from netbuilder import GraphBuilder
from netbuilder.data.synthetic import moons
from netbuilder.train import TrainConfig, Trainer
from netbuilder.train.callbacks.boundary import Boundary

PAIRS = 15


def mlp():
    b = GraphBuilder()
    h = b.add("ReLU", b.add("Linear", b.add("Input", shape=[2]), out_features=32))
    b.add("Output", b.add("Linear", b.add("ReLU", b.add("Linear", h, out_features=32)), out_features=2))
    return b.graph


def main() -> int:
    torch.set_num_threads(1)
    raw = moons(n=1000)
    train, val = (raw.x[:800], raw.y[:800]), (raw.x[800:], raw.y[800:])
    config = TrainConfig(epochs=20, batch_size=32, lr=0.01, device="cpu")
    graph, costs = mlp(), []
    for i in range(PAIRS):
        plain, drawn = Clock(), Clock()
        runs = [Trainer(graph, config, train, val, callbacks=[plain]),
                Trainer(graph, config, train, val, callbacks=[drawn, Boundary()])]
        for trainer in (runs if i % 2 else runs[::-1]):
            trainer.run()
        costs.append((drawn.ended - drawn.started) / (plain.ended - plain.started) - 1)
    cost = statistics.median(costs)
    quartiles = statistics.quantiles(costs, n=4)
    print(f"MLP on moons, {config.epochs} epochs of 25 steps, median of {PAIRS} pairs: the boundary costs"
          f" {cost:.1%} of the training time (quartiles {quartiles[0]:.1%} to {quartiles[2]:.1%})")
    ok = cost < 0.05
    print(f"{'PASS' if ok else 'FAIL'}: {cost:.1%} (target < 5%)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
