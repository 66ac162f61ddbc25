"""Anomaly detection on the digits, the benchmark protocols of Ruff et al. (ICML 2018) on scikit-learn's 8x8
digits: each digit in turn is the normal class (one_class: train on it alone, test on all ten), or each digit
in turn is the anomaly held out (held_out: train on the other nine). For each scorer (the anomaly template's
convolutional autoencoder, and a recipe given with --recipe, e.g. deep_svdd) the test ROC AUC per digit and
their mean, the template's own training settings, through the app's path (Trainer, insight/anomaly.py).

Run: .venv/bin/python bench/bench_anomaly.py [--protocol one_class|held_out] [--recipe NAME] [--digits 0,1]
"""
import argparse
import copy
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from netbuilder.graph.io import load  # noqa: E402
from netbuilder.insight.anomaly import evaluate_recipe  # noqa: E402
from netbuilder.layers import check_node  # noqa: E402
from netbuilder.train import TrainConfig, Trainer  # noqa: E402
from netbuilder.train.fitting import training_data  # noqa: E402


def auc_for(template, protocol: str, digit: int, recipe: str | None, seed: int) -> float:
    graph = copy.deepcopy(template)
    graph.meta["data"] = {**graph.meta["data"], "anomaly": {"protocol": protocol, "class": digit}}
    settings = {**graph.meta["training"], "seed": seed, "device": "cpu"}
    if recipe:
        settings["recipe"] = recipe
    graph.meta["training"] = settings
    config = TrainConfig.from_dict(settings)
    data = training_data(graph, config)
    trainer = Trainer(graph, config, data.train, data.val, test=data.test, augment=data.augment)
    result = trainer.run()
    assert result.status == "finished", result.message
    return evaluate_recipe(trainer.recipe, prepared=data.prepared).main.auc


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--protocol", default="one_class", choices=["one_class", "held_out"])
    parser.add_argument("--recipe", help="another scorer on the same network (default: the template's recipe)")
    parser.add_argument("--digits", default="0,1,2,3,4,5,6,7,8,9")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--template", default=str(ROOT / "templates" / "anomaly_digits.json"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    template = load(args.template, check_node)
    aucs, start = [], time.perf_counter()
    for digit in map(int, args.digits.split(",")):
        aucs.append(auc_for(template, args.protocol, digit, args.recipe, args.seed))
        print(f"digit {digit}: ROC AUC {aucs[-1]:.3f}", flush=True)
    print(f"{args.protocol}, {args.recipe or template.meta['training']['recipe']}: mean ROC AUC"
          f" {sum(aucs) / len(aucs):.3f} over {len(aucs)} digits ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
