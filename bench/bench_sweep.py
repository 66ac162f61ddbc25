"""Sweeps: 20 TPE trials against 20 random ones (same budget) on the MLP template, varying the learning rate
and the hidden layer's width, each trial the template's 10 epochs on the digits; the best validation loss each finds; and a
sweep's overhead per trial (Optuna and its SQLite study) against training the same values as plain runs
(each a run as `netbuilder train` makes it: its folder, metrics and event files) on the same data.
Target (issue 12): overhead under 5%.
Run: .venv/bin/python bench/bench_sweep.py
"""
import sys
import tempfile
import time
from pathlib import Path

import torch

from netbuilder.data.dataset import DataSpec, prepare
from netbuilder.graph.io import load
from netbuilder.layers import check_node
from netbuilder.train import make_trainer
from netbuilder.runs.recorder import RunRecorder
from netbuilder.train.callbacks.tensorboard import TensorBoardLog
from netbuilder.runs.run import Run
from netbuilder.tune.sweep import Sweep, SweepSpec, apply, parse_vary, train_trial, trial_config

TEMPLATE = Path(__file__).resolve().parents[1] / "templates" / "mlp_digits.json"
TRIALS = 20


def sweep(graph, sampler: str, prepared):
    folder = Path(tempfile.mkdtemp())
    spec = SweepSpec([parse_vary("lr=1e-4..3e-1:log", graph), parse_vary("hidden.out_features=4..256:log", graph)],
                     trials=TRIALS, sampler=sampler, seed=1)
    s = Sweep(graph, spec, f"sqlite:///{folder / 'sweeps.db'}", sampler)

    def train(trial_graph, values, trial, pruning):
        trainer, run = train_trial(trial_graph, values, trial, pruning, folder, sampler, prepared)
        return trainer.run(), run.id
    started = time.perf_counter()
    found = s.run(train)
    return found, time.perf_counter() - started, s.best()


def main() -> int:
    torch.set_num_threads(1)
    graph = load(TEMPLATE, check_node)
    graph.meta["training"] = {**graph.meta["training"], "device": "cpu"}  # the template's own 10 epochs
    prepared = prepare(DataSpec.from_dict(graph.meta.get("data")))
    results = {}
    for sampler in ("random", "tpe"):
        found, seconds, best = sweep(graph, sampler, prepared)
        results[sampler] = (found, seconds, best)
        print(f"{sampler:>6}: best val_loss {best.metric:.4f} at lr {best.values['lr']:.3g}, hidden"
              f" {best.values['hidden.out_features']} ({len(found)} trials, {seconds:.1f} s)")
    found, seconds, _ = results["tpe"]
    started = time.perf_counter()
    folder = Path(tempfile.mkdtemp())
    for record in found:  # the same values, as plain runs on the same data
        trial_graph = apply(graph, record.values)
        run = Run.create(folder, trial_graph)
        trainer, _ = make_trainer(trial_graph, trial_config(trial_graph), [RunRecorder(run), TensorBoardLog(run.folder)],
                                  run.folder, prepared=prepared)
        trainer.run()
    plain = time.perf_counter() - started
    overhead = seconds / plain - 1
    print(f"the TPE sweep took {seconds:.1f} s, its trials as plain runs {plain:.1f} s: overhead {overhead:.1%} per trial")
    ok = overhead < 0.05
    print(f"{'PASS' if ok else 'FAIL'}: overhead {overhead:.1%} (target < 5%); best found: TPE"
          f" {results['tpe'][2].metric:.4f}, random {results['random'][2].metric:.4f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
