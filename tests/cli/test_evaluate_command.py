"""`netbuilder evaluate FILE --run RUN [--anomaly]`: the anomaly figures printed, the scores written, a CSV's
rows scored and the flagged ones written; what cannot be evaluated said in words."""
import csv
import json
import re
from pathlib import Path

import pytest
import torch

from netbuilder.cli import main
from netbuilder.data.dataset import DataSpec, prepare

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture
def trained(tmp_path):
    doc = json.loads((ROOT / "templates" / "autoencoder_digits.json").read_text())
    doc["meta"]["data"] = {"source": "digits", "anomaly": {"protocol": "one_class", "class": 0}}
    doc["meta"]["training"]["epochs"] = 6
    path = tmp_path / "ae.json"
    path.write_text(json.dumps(doc))
    assert main(["train", str(path), "--out", str(tmp_path / "run")]) == 0
    return path, tmp_path / "run"


def test_evaluate_anomaly_prints_the_figures_and_writes_the_scores(trained, capsys, tmp_path):
    path, run = trained
    capsys.readouterr()
    assert main(["evaluate", str(path), "--run", str(run), "--anomaly"]) == 0
    out = capsys.readouterr().out
    auc = float(re.search(r"ROC AUC ([0-9.]+) on 269 test samples \((\d+) anomalies\)", out).group(1))
    assert auc > 0.8
    assert re.search(r"reconstruction error: threshold [0-9.e-]+ \(the best F1 on validation", out)
    assert re.search(r"at the threshold: precision [0-9.]+, recall [0-9.]+, F1 [0-9.]+", out)
    with open(run / "anomaly_scores.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 269 and {r["anomaly"] for r in rows} == {"0", "1"}
    # the test digits' rows of pixels, as a CSV without labels: the zeros are scored low, the rest high
    test_x, labels = prepare(DataSpec(source="digits")).test
    rows_file = tmp_path / "rows.csv"
    rows_file.write_text("\n".join(",".join(f"{v:g}" for v in x.reshape(-1).tolist()) for x in test_x[:40]))
    assert main(["evaluate", str(path), "--run", str(run), "--anomaly", "--rows", str(rows_file),
                 "--flagged", str(tmp_path / "flagged.csv")]) == 0
    said = capsys.readouterr().out
    count = int(re.search(r"rows.csv: (\d+) of 40 rows at or above the threshold", said).group(1))
    with open(tmp_path / "flagged.csv", newline="") as f:
        flagged = list(csv.reader(f))
    assert flagged[0][:3] == ["row", "reconstruction_error", "value 1"] and len(flagged) == count + 1
    scores = [float(r[1]) for r in flagged[1:]]
    assert scores == sorted(scores, reverse=True)
    rows_flagged = {int(r[0]) - 1 for r in flagged[1:]}
    anomalies = {i for i in range(40) if labels[i] != 0}
    assert len(rows_flagged & anomalies) >= 0.8 * len(rows_flagged) and len(rows_flagged) >= 0.5 * len(anomalies)
    assert float(flagged[1][2]) == pytest.approx(float(test_x[int(flagged[1][0]) - 1].reshape(-1)[0]), abs=1e-5)


def test_evaluate_without_anomaly_prints_the_test_results_and_refusals_are_said(trained, capsys, tmp_path):
    path, run = trained
    capsys.readouterr()
    assert main(["evaluate", str(path), "--run", str(run)]) == 0
    assert re.search(r"test loss [0-9.e-]+ on 269 samples", capsys.readouterr().out)
    assert main(["evaluate", str(path), "--run", str(run), "--rows", "x.csv"]) == 1
    assert "add --anomaly" in capsys.readouterr().err
    assert main(["evaluate", str(path), "--run", "nothing", "--anomaly"]) == 1
    assert "no run called 'nothing'" in capsys.readouterr().err
    assert main(["evaluate", str(path), "--run", str(run), "--anomaly", "--percentile", "100"]) == 1
    assert "--percentile must be above 0" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2,3\n")
    assert main(["evaluate", str(path), "--run", str(run), "--anomaly", "--rows", str(bad)]) == 1
    assert "bad.csv row 1 has 3 numbers; the network takes 64" in capsys.readouterr().err
    doc = json.loads((ROOT / "templates" / "mlp_digits.json").read_text())
    doc["meta"]["training"]["epochs"] = 1
    mlp = tmp_path / "mlp.json"
    mlp.write_text(json.dumps(doc))
    assert main(["train", str(mlp), "--out", str(tmp_path / "mlp_run")]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(mlp), "--run", str(tmp_path / "mlp_run"), "--anomaly"]) == 1
    assert "the supervised recipe gives no anomaly score" in capsys.readouterr().err


def test_a_csv_without_labels_trains_an_autoencoder_and_its_unusual_rows_are_flagged(tmp_path, capsys):
    from netbuilder import GraphBuilder

    gen = torch.Generator().manual_seed(0)
    z = torch.randn(400, 2, generator=gen)
    mix = torch.tensor([[1.0, 0.5, -1.0, 2.0, 0.0, 1.0], [0.0, 1.0, 1.0, -1.0, 2.0, 0.5]])
    rows = z @ mix + 0.05 * torch.randn(400, 6, generator=gen)  # six columns that follow two hidden numbers
    table = tmp_path / "sensors.csv"
    table.write_text("a,b,c,d,e,f\n" + "\n".join(",".join(f"{v:.4f}" for v in r.tolist()) for r in rows))
    odd = rows[:5].clone()
    odd[:, 3] += 6.0  # five rows that break the pattern, among five that keep it
    new = tmp_path / "new.csv"
    new.write_text("\n".join(",".join(f"{v:.4f}" for v in r.tolist()) for r in torch.cat([rows[5:10], odd])))
    b = GraphBuilder()
    h = b.add("ReLU", b.add("Linear", b.add("Input", name="row", shape=[6]), name="encoder", out_features=16))
    h = b.add("Linear", h, name="bottleneck", out_features=2)
    h = b.add("ReLU", b.add("Linear", h, name="decoder", out_features=16))
    b.add("Output", b.add("Linear", h, name="values", out_features=6))
    b.graph.meta["data"] = {"source": str(table), "options": {"labels": False}, "normalize": "standardize"}
    b.graph.meta["training"] = {"recipe": "reconstruction", "loss": "mse", "lr": 0.01, "batch_size": 32,
                                "epochs": 40}
    doc = tmp_path / "sensors.json"
    b.graph.save(doc)
    assert main(["train", str(doc), "--out", str(tmp_path / "run")]) == 0
    assert "no target column: every column is an input" in capsys.readouterr().out
    assert main(["evaluate", str(doc), "--run", str(tmp_path / "run"), "--anomaly", "--rows", str(new)]) == 0
    out = capsys.readouterr().out
    assert "95th percentile of the scores of 60 validation samples" in out and "ROC AUC" not in out
    with open(tmp_path / "run" / "flagged_rows.csv", newline="") as f:
        flagged = list(csv.reader(f))
    assert flagged[0] == ["row", "reconstruction_error", "a", "b", "c", "d", "e", "f"]
    assert sorted(int(r[0]) for r in flagged[1:]) == [6, 7, 8, 9, 10]  # the rows that break the pattern
    assert float(flagged[1][5]) == pytest.approx(float(odd[int(flagged[1][0]) - 6, 3]), abs=1e-3)  # as in the file
