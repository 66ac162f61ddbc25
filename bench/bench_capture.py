"""What the Boundary and Inside tabs take from training, off the hot path: the MLP on moons and the CNN on
digits trained with and without the callbacks that capture them once an epoch (Boundary: the class and
every layer's first unit over a 100 x 100 grid; LayerStats: each layer's weight, activation and gradient
histograms), in interleaved pairs; CPU time from the first epoch's start to the last epoch's end.
Target (issue 13): under 5% of the training time on both.
The stall while the views update is measured by bench_views.py (the window with the tabs shown).
Run: .venv/bin/python bench/bench_capture.py
"""
import statistics
import sys
from pathlib import Path

import torch
from bench_tensorboard import Clock

from netbuilder import GraphBuilder, load_graph
from netbuilder.data.builtin import digits
from netbuilder.data.synthetic import moons
from netbuilder.train import TrainConfig, Trainer
from netbuilder.insight.boundary import Boundary
from netbuilder.insight.layer_stats import LayerStats

PAIRS = 9
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def mlp():
    b = GraphBuilder()
    h = b.add("ReLU", b.add("Linear", b.add("Input", shape=[2]), out_features=32))
    b.add("Output", b.add("Linear", b.add("ReLU", b.add("Linear", h, out_features=32)), out_features=2))
    return b.graph


def cases():
    raw = moons(n=1000)
    yield ("MLP on moons", mlp(), TrainConfig(epochs=20, batch_size=32, lr=0.01, device="cpu"),
           (raw.x[:800], raw.y[:800]), (raw.x[800:], raw.y[800:]))
    train, val = digits(seed=0)
    yield ("CNN on digits", load_graph(TEMPLATES / "cnn_digits.json"),
           TrainConfig(epochs=4, batch_size=32, lr=0.001, optimizer="adam", device="cpu"), train, val)


def cost(graph, config, train, val) -> list[float]:
    costs = []
    for i in range(PAIRS):
        plain, drawn = Clock(), Clock()
        runs = [Trainer(graph, config, train, val, callbacks=[plain]),
                Trainer(graph, config, train, val, callbacks=[drawn, Boundary(), LayerStats()])]
        for trainer in (runs if i % 2 else runs[::-1]):
            trainer.run()
        costs.append((drawn.ended - drawn.started) / (plain.ended - plain.started) - 1)
    return costs


def main() -> int:
    torch.set_num_threads(1)
    ok = True
    for name, graph, config, train, val in cases():
        costs = cost(graph, config, train, val)
        median, quartiles = statistics.median(costs), statistics.quantiles(costs, n=4)
        print(f"{name}, {config.epochs} epochs, median of {PAIRS} pairs: boundary and layer histograms cost"
              f" {median:.1%} of the training time (quartiles {quartiles[0]:.1%} to {quartiles[2]:.1%})")
        ok = ok and median < 0.05
    print(f"{'PASS' if ok else 'FAIL'} (target < 5% on both)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
