"""The exported training script: standalone (torch and numpy only), the app's numbers for the same document
and seed, the same under torchrun with 2 processes (DDP, gloo), and clear messages for bad input."""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from netbuilder import load_graph
from netbuilder.cli import main
from netbuilder.data import synthetic
from netbuilder.data.augment import Augment
from netbuilder.data.builtin import _digits_arrays
from netbuilder.data.dataset import DataSpec, prepare
from netbuilder.deploy import script_template as template
from netbuilder.train.config import TrainConfig
from netbuilder.train.loop import make_trainer
from netbuilder.deploy.script import ScriptError, write_script
from netbuilder.train.transfer import read_weights

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# runs the script with netbuilder made unimportable: it must need only torch and numpy
STANDALONE = ("import runpy, sys; sys.modules['netbuilder'] = None; sys.argv = sys.argv[1:];"
              " runpy.run_path(sys.argv[0], run_name='__main__')")


def run_script(script: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-c", STANDALONE, str(script), *args], capture_output=True, text=True,
                          cwd=script.parent, env=env, timeout=120)


def epochs_of(folder: Path) -> list[dict]:
    with open(folder / "metrics.csv", newline="") as f:
        return list(csv.DictReader(f))


def app_first_epoch(graph) -> float:
    config = TrainConfig.from_dict({**graph.meta["training"], "epochs": 1})
    trainer, _ = make_trainer(graph, config)
    result = trainer.run()
    assert result.status == "finished", result.message
    return result.epochs[0].train_loss


@pytest.fixture(scope="module")
def mlp_run(tmp_path_factory):
    """The MLP template exported with the CLI and run for one epoch, as a user would."""
    folder = tmp_path_factory.mktemp("mlp")
    assert main(["export", str(TEMPLATES / "mlp_digits.json"), "--format", "script", "-o",
                 str(folder / "train.py")]) == 0
    done = run_script(folder / "train.py", "--epochs", "1", "--out", str(folder / "run"))
    return folder, done


def test_script_runs_one_epoch_and_writes_its_checkpoint(mlp_run):
    folder, done = mlp_run
    assert done.returncode == 0, done.stderr
    assert "epoch 1/1: train loss" in done.stdout and "test set (269 samples)" in done.stdout
    text = (folder / "train.py").read_text()
    assert "netbuilder" not in text.split('"""', 2)[2].split("# <network>")[0]  # imports torch and numpy only
    assert (folder / "digits.npz").is_file()
    weights = read_weights(folder / "run" / "last.pt")  # netbuilder reads the script's checkpoints
    from netbuilder.compile import build_model

    model = build_model(load_graph(TEMPLATES / "mlp_digits.json"))
    model.load_state_dict(weights)
    assert (folder / "run" / "best.pt").is_file()
    assert len(epochs_of(folder / "run")) == 1


def test_first_epoch_loss_is_the_apps(mlp_run, one_thread):
    folder, done = mlp_run
    assert done.returncode == 0, done.stderr
    script_loss = float(epochs_of(folder / "run")[0]["train_loss"])
    assert script_loss == pytest.approx(app_first_epoch(load_graph(TEMPLATES / "mlp_digits.json")), rel=1e-4)


def test_torchrun_with_two_processes_agrees_with_one(mlp_run, tmp_path, capsys):
    folder, done = mlp_run
    assert done.returncode == 0, done.stderr
    out = tmp_path / "ddp"
    code = main(["train", str(TEMPLATES / "mlp_digits.json"), "--nproc-per-node", "2", "--epochs", "1",
                 "--out", str(out)])
    assert code == 0, capsys.readouterr()
    one, two = epochs_of(folder / "run")[0], epochs_of(out)[0]
    for key in ("train_loss", "val_loss"):
        assert float(two[key]) == pytest.approx(float(one[key]), rel=0.01)
    assert (out / "last.pt").is_file() and (out / "train.py").is_file()
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "finished" and run["epochs_done"] == 1 and run["best"]["val_loss"] > 0


def digits_csv(path: Path, columns: int = 64) -> Path:
    images, labels = _digits_arrays()
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([f"p{i}" for i in range(columns)] + ["digit"])
        for row, label in zip(images[:, :columns], labels):
            writer.writerow([int(v) for v in row] + [int(label)])
    return path


def test_csv_data_gives_the_apps_loss_and_a_wrong_width_is_named(tmp_path, one_thread):
    graph = load_graph(TEMPLATES / "mlp_digits.json")
    graph.meta["data"] = {"source": str(digits_csv(tmp_path / "digits.csv")), "normalize": "standardize"}
    write_script(graph, tmp_path / "train.py")
    done = run_script(tmp_path / "train.py", "--epochs", "1", "--out", str(tmp_path / "run"))
    assert done.returncode == 0, done.stderr
    assert float(epochs_of(tmp_path / "run")[0]["train_loss"]) == pytest.approx(app_first_epoch(graph), rel=1e-4)
    wrong = digits_csv(tmp_path / "narrow.csv", columns=9)
    done = run_script(tmp_path / "train.py", "--epochs", "1", "--data", str(wrong), "--out", str(tmp_path / "w"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == ("error: the CSV has 10 columns (9 features and the target) but the Input 'image'"
                                   " takes 64 values per sample: a CSV for this network has 65 columns")


def test_missing_data_path_is_named(mlp_run, tmp_path):
    folder, _ = mlp_run
    done = run_script(folder / "train.py", "--data", str(tmp_path / "nowhere.npz"), "--out", str(tmp_path / "r"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"error: {tmp_path / 'nowhere.npz'} does not exist" in done.stderr
    assert not (tmp_path / "r").exists()


def test_what_the_script_does_not_train_is_refused(tmp_path, capsys):
    assert main(["export", str(TEMPLATES / "vae_digits.json"), "--format", "script", "-o",
                 str(tmp_path / "t.py")]) == 1
    assert "covers the supervised recipe" in capsys.readouterr().err and not (tmp_path / "t.py").exists()
    graph = load_graph(TEMPLATES / "mlp_digits.json")
    (tmp_path / "images").mkdir()
    graph.meta["data"] = {"source": str(tmp_path / "images")}
    with pytest.raises(ScriptError, match="a folder of images"):
        write_script(graph, tmp_path / "t.py")
    graph = load_graph(TEMPLATES / "mlp_digits.json")
    with pytest.raises(ScriptError, match="does not split evenly over 3 processes"):
        from netbuilder.deploy.script import train_distributed

        train_distributed(graph, 3, tmp_path / "run", None)


@pytest.mark.parametrize("name", sorted(synthetic.GENERATORS))
def test_the_scripts_generators_make_netbuilders_data(name):
    options = {"n": 120, "seed": 3}
    theirs = synthetic.make(name, **options)
    if name in ("digits_rows", "scattered_digits"):
        options["images"] = _digits_arrays()
    ours = template.GENERATORS[name](**options)
    assert np.array_equal(ours["x"], theirs.x.numpy()) and ours["task"] == theirs.task
    assert np.array_equal(ours["y"].reshape(theirs.y.shape), theirs.y.numpy())


def test_the_scripts_preparation_and_augmentation_are_netbuilders():
    spec = DataSpec(source="blobs", options={"n": 300, "features": 3}, normalize="standardize", seed=5)
    theirs = prepare(spec)
    data = template.GENERATORS["blobs"](seed=5, n=300, features=3)
    ours = template.prepare(data, spec.to_dict())
    for a, b in zip(ours, (theirs.train, theirs.val, theirs.test)):
        assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    settings = {"flip": True, "rotate": 10.0, "crop": 2, "brightness": 0.1, "noise": 0.05}
    x = torch.rand(16, 1, 8, 8)
    expected = Augment(**settings)(x, torch.Generator().manual_seed(1))
    assert torch.equal(template.augment(x, torch.Generator().manual_seed(1), settings), expected)


def test_early_stopping_ends_where_the_app_ends(tmp_path):
    graph = load_graph(TEMPLATES / "mlp_digits.json")  # a rate too small to change the loss: no improvement
    graph.meta["training"] = {**graph.meta["training"], "optimizer": "sgd", "momentum": 0.0, "lr": 1e-30,
                              "early_stopping": 2, "epochs": 6}
    write_script(graph, tmp_path / "train.py")
    done = run_script(tmp_path / "train.py", "--out", str(tmp_path / "run"))
    assert done.returncode == 0, done.stderr
    assert "validation loss did not improve for 2 epochs: stopped after epoch 3" in done.stdout
    assert len(epochs_of(tmp_path / "run")) == 3
    assert torch.load(tmp_path / "run" / "best.pt", weights_only=True)["epoch"] == 0
