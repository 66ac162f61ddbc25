"""The command line: check and export on saved graphs, clear errors on bad ones."""
import re
import subprocess
import sys

import pytest

from netbuilder import GraphBuilder
from netbuilder.cli import main


def saved(tmp_path, flatten=True):
    b = GraphBuilder()
    x = b.add("Input", shape=[1, 8, 8])
    if flatten:
        x = b.add("Flatten", x)
    b.add("Output", b.add("Linear", x, out_features=10, name="fc"))
    path = tmp_path / "net.json"
    b.graph.save(path)
    return path


def test_check_prints_shapes_and_counts(tmp_path, capsys):
    assert main(["check", str(saved(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "fc" in out and "[N, 10]" in out and "650" in out
    assert "total parameters: 650 (650 trainable)" in out


def test_check_lists_problems_and_exits_1(tmp_path, capsys):
    assert main(["check", str(saved(tmp_path, flatten=False))]) == 1
    err = capsys.readouterr().err
    assert "fc: Linear expects [N, features] but receives [N, 1, 8, 8] (fix: insert Flatten)" in err


def test_check_bad_file(tmp_path, capsys):
    path = tmp_path / "x.json"
    path.write_text("{")
    assert main(["check", str(path)]) == 2
    assert "invalid JSON" in capsys.readouterr().err


def test_export_writes_source(tmp_path):
    out = tmp_path / "net.py"
    assert main(["export", str(saved(tmp_path)), "--format", "py", "-o", str(out)]) == 0
    assert "class Net(nn.Module)" in out.read_text()


@pytest.mark.parametrize("module", ["netbuilder", "netbuilder.cli"])
def test_entry_point_runs(tmp_path, module):
    result = subprocess.run([sys.executable, "-m", module, "check", str(saved(tmp_path))],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "total parameters" in result.stdout


def test_train_writes_metrics_and_checkpoints(tmp_path, capsys):
    import csv
    import re

    b = GraphBuilder()
    x = b.add("Flatten", b.add("Input", shape=[1, 8, 8]))
    b.add("Output", b.add("Linear", b.add("ReLU", b.add("Linear", x, out_features=32)), out_features=10))
    path = tmp_path / "mlp.json"
    b.graph.save(path)
    out = tmp_path / "run"
    assert main(["train", str(path), "--dataset", "digits", "--epochs", "3", "--lr", "0.01",
                 "--out", str(out)]) == 0
    with open(out / "metrics.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["epoch"] for r in rows] == ["1", "2", "3"]
    assert float(rows[-1]["val_acc"]) > 0.8
    assert (out / "best.pt").exists() and (out / "last.pt").exists()
    printed = capsys.readouterr().out
    assert "epoch 3/3" in printed
    held_out = int(re.search(r"test set \((\d+) samples\): loss", printed).group(1))
    assert 260 < held_out < 280  # about 15% of the 1,797 digits, never trained on
    with open(out / "test_classes.csv", encoding="utf-8") as f:
        classes = list(csv.DictReader(f))
    assert [int(r["class"]) for r in classes] == list(range(10))
    assert sum(int(r["support"]) for r in classes) == held_out
    with open(out / "confusion.csv", encoding="utf-8") as f:
        confusion = [list(map(int, row[1:])) for row in list(csv.reader(f))[1:]]
    assert sum(map(sum, confusion)) == held_out and sum(confusion[i][i] for i in range(10)) > 0.8 * held_out


def test_train_explains_bad_settings_and_shapes(tmp_path, capsys):
    path = saved(tmp_path)  # its Input is [1, 8, 8]: fine; now a wrong learning rate
    assert main(["train", str(path), "--lr", "-1", "--out", str(tmp_path / "o")]) == 1
    assert "lr must be a number above 0" in capsys.readouterr().err
    b = GraphBuilder()
    b.add("Output", b.add("Linear", b.add("Input", shape=[30]), out_features=10))
    b.graph.save(tmp_path / "wide.json")
    assert main(["train", str(tmp_path / "wide.json"), "--out", str(tmp_path / "o")]) == 1
    assert "takes [N, 30] but digits samples are [N, 1, 8, 8]" in capsys.readouterr().err


def test_train_on_a_csv_and_on_a_synthetic_set_by_name(tmp_path, capsys):
    import random

    rng = random.Random(1)
    rows = ["a,b,label"] + [f"{rng.gauss(3 * (i % 2), 1):.3f},{rng.gauss(0, 1):.3f},{'yes' if i % 2 else 'no'}"
                            for i in range(200)]
    (tmp_path / "points.csv").write_text("\n".join(rows) + "\n")
    b = GraphBuilder()
    b.add("Output", b.add("Linear", b.add("ReLU", b.add("Linear", b.add("Input", shape=[2]), out_features=8)),
                          out_features=2))
    b.graph.save(tmp_path / "mlp.json")
    assert main(["train", str(tmp_path / "mlp.json"), "--dataset", str(tmp_path / "points.csv"), "--epochs", "15",
                 "--lr", "0.01", "--out", str(tmp_path / "run")]) == 0
    printed = capsys.readouterr().out
    accuracy = float(re.search(r"test set \(\d+ samples\): loss [\d.]+, accuracy ([\d.]+)%", printed).group(1))
    assert accuracy > 80
    assert main(["train", str(tmp_path / "mlp.json"), "--dataset", "moons", "--epochs", "2",
                 "--out", str(tmp_path / "run2")]) == 0
    assert main(["train", str(tmp_path / "mlp.json"), "--dataset", "nothing.csv", "--out", str(tmp_path / "r3")]) == 1
    assert "'nothing.csv' is neither a built-in dataset" in capsys.readouterr().err


def test_train_makes_a_run_of_the_document_and_runs_lists_them(tmp_path, capsys):
    from netbuilder import GraphBuilder
    from netbuilder.cli import main

    b = GraphBuilder()
    x = b.add("Flatten", b.add("Input", shape=[1, 8, 8]))
    b.add("Output", b.add("Linear", x, out_features=10))
    path = tmp_path / "net.json"
    b.graph.save(path)
    assert main(["runs", str(path)]) == 0
    assert "has no runs yet" in capsys.readouterr().out
    assert main(["train", str(path), "--epochs", "1"]) == 0
    assert main(["train", str(path), "--epochs", "2", "--lr", "0.01"]) == 0
    out = capsys.readouterr().out
    assert "run 1 in " in out and "run 2 in " in out
    assert main(["runs", str(path)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["run", "status", "started", "trained", "result", "epochs", "lr"]
    assert table[1].startswith("run 1") and "finished" in table[1] and "val acc" in table[1]
    assert table[2].startswith("run 2") and table[2].rstrip().endswith("0.01")
    assert table[-1].startswith("2 run(s) in ")


def test_check_and_train_print_what_does_not_fit_the_data(tmp_path, capsys):
    """64 scores for the digits' 10 classes: a warning in the window, and the same in the terminal."""
    from netbuilder import GraphBuilder
    from netbuilder.cli import main

    b = GraphBuilder()
    x = b.add("Flatten", b.add("Input", shape=[1, 8, 8]))
    b.add("Output", b.add("Linear", x, out_features=64, name="scores"))
    b.graph.meta["training"] = {"epochs": 1}
    path = tmp_path / "net.json"
    b.graph.save(path)
    assert main(["check", str(path)]) == 0
    assert "classes" not in capsys.readouterr().out  # without --data the dataset is not read
    assert main(["check", str(path), "--data"]) == 0
    out = capsys.readouterr().out
    assert "warning: " in out and "gives 64 scores but digits has 10 classes" in out and "scores's out_features" in out
    assert main(["train", str(path), "--out", str(tmp_path / "run")]) == 0
    out = capsys.readouterr().out
    assert "warning: " in out and "gives 64 scores but digits has 10 classes" in out
