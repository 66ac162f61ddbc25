"""Record the coach's test runs: every template trained briefly, and a few of them changed to show each thing
the coach should name (a learning rate far too high or too low, a network too wide for its few samples, one
too narrow to fit), through the window's path (make_trainer with the run recorder, the curves read back from
the run's folder). Each becomes tests/insight/coach_runs/<case>.json: its per-epoch curves (4 digits), the
run's settings, its baseline, the template's bar. The verdict a person gives ("expected", "why") is written
by hand into each file after looking at its curves, and kept when a case is recorded again.

Run: PYTHONPATH=. .venv/bin/python scripts/record_coach_runs.py [case ...]   (a few minutes on 2 cores)
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("NETBUILDER_CONFIG_DIR", tempfile.mkdtemp())

import torch  # noqa: E402

from netbuilder.graph import io  # noqa: E402
from netbuilder.insight.coach import epochs_of  # noqa: E402
from netbuilder.layers import check_node  # noqa: E402
from netbuilder.runs.recorder import RunRecorder  # noqa: E402
from netbuilder.runs.run import Run  # noqa: E402
from netbuilder.train import TrainConfig  # noqa: E402
from netbuilder.train.loop import make_trainer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "insight" / "coach_runs"
# 160 training digits, their pixels blurred by noise: a wide network learns them by heart
SMALL_DATA = {"source": "digits_rows", "options": {"n": 400, "noise": 0.5}, "val_fraction": 0.5, "test_fraction": 0.1}

# case: (template, training settings changed, data settings changed, layer parameters changed, epochs)
CASES = {
    "mlp_digits": ("mlp_digits", {}, {}, {}, None),
    "cnn_digits": ("cnn_digits", {}, {}, {}, None),
    "resnet_digits": ("resnet_digits", {}, {}, {}, None),
    "lstm_digits_rows": ("lstm_digits_rows", {}, {}, {}, None),
    "transformer_digits_rows": ("transformer_digits_rows", {}, {}, {}, None),
    "gru_sine_forecast": ("gru_sine_forecast", {}, {}, {}, None),
    "autoencoder_digits": ("autoencoder_digits", {}, {}, {}, 20),
    "vae_digits": ("vae_digits", {}, {}, {}, None),
    "gan_digits": ("gan_digits", {}, {}, {}, 15),
    "gan_ring": ("gan_ring", {}, {}, {}, 20),
    "vanishing_lesson": ("vanishing_lesson", {}, {}, {}, None),
    "anomaly_digits": ("anomaly_digits", {}, {}, {}, None),
    "deep_svdd_digits": ("deep_svdd_digits", {}, {}, {}, None),
    "transfer_lesson": ("transfer_lesson", {}, {}, {}, None),
    "char_lstm_python_docs": ("char_lstm_python_docs", {}, {}, {}, 5),
    "char_transformer_python_docs": ("char_transformer_python_docs", {}, {}, {}, 4),
    "diffusion_ring": ("diffusion_ring", {}, {}, {}, 30),
    "diffusion_digits": ("diffusion_digits", {}, {}, {}, 15),
    "mlp_lr_far_too_high": ("mlp_digits", {"lr": 0.5}, {}, {}, None),
    "mlp_lr_far_too_low": ("mlp_digits", {"optimizer": "sgd", "lr": 1e-5}, {}, {}, None),
    "mlp_wide_on_few_samples": ("mlp_digits", {"lr": 3e-3, "batch_size": 16}, SMALL_DATA, {"hidden": {"out_features": 512}}, 60),
    "mlp_two_hidden_units": ("mlp_digits", {}, {}, {"hidden": {"out_features": 2}}, 30),
    "autoencoder_lr_far_too_low": ("autoencoder_digits", {"optimizer": "sgd", "lr": 1e-5}, {}, {}, 10),
    "gan_ring_lr_ten_times": ("gan_ring", {"lr": 0.02}, {}, {}, 20),
    "cnn_lr_far_too_low": ("cnn_digits", {"optimizer": "sgd", "lr": 1e-5}, {}, {}, 6),
    "lstm_lr_far_too_high": ("lstm_digits_rows", {"lr": 0.5}, {}, {}, 8),
}


def rounded(row: dict) -> dict:
    return {k: float(f"{v:.4g}") for k, v in row.items() if v is not None}


def record(case: str) -> dict:
    template, training, data, params, epochs = CASES[case]
    graph = io.load(ROOT / "templates" / f"{template}.json", check_node)
    graph.meta["training"] = {**graph.meta.get("training", {}), **training,
                              **({"epochs": epochs} if epochs else {})}
    graph.meta["data"] = {**graph.meta.get("data", {}), **data}
    for name, values in params.items():
        graph.by_name(name).params.update(values)
    torch.manual_seed(0)
    config = TrainConfig.from_dict({**graph.meta["training"], "device": "cpu"})
    with tempfile.TemporaryDirectory() as folder:
        run = Run.create(Path(folder), graph)
        trainer, prepared = make_trainer(graph, config, [RunRecorder(run)], run.folder)
        started = time.perf_counter()
        result = trainer.run()
        run = Run.load(run.folder)
        rows = epochs_of(run.history())
    classes = prepared.prepared.raw.class_names
    print(f"{case}: {result.status} in {time.perf_counter() - started:.1f} s, last {rounded(rows[-1])}")
    return {"template": template, "changes": {"training": training, "data": data, "params": params},
            "settings": run.settings, "quality": graph.meta.get("quality", {}), "baseline": rounded(run.baseline),
            "classes": len(classes) if classes else None, "images": prepared.prepared.raw.kind == "image",
            "epochs": [rounded(r) for r in rows]}


def main(cases: list[str]) -> None:
    OUT.mkdir(exist_ok=True)
    for case in cases or list(CASES):
        path = OUT / f"{case}.json"
        old = json.loads(path.read_text()) if path.is_file() else {}
        found = record(case)
        found = {"expected": old.get("expected"), "why": old.get("why", ""), **found}
        path.write_text(json.dumps(found, indent=None, separators=(",", ":")).replace('},{', '},\n{') + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
