"""netbuilder predict: top-k for images and arrays from a saved run, attribution pictures, and messages for
inputs the network cannot take."""
import numpy as np
from PIL import Image

from netbuilder.cli import main
from netbuilder.data import digits
from pathlib import Path

CNN = Path(__file__).resolve().parents[2] / "templates" / "cnn_digits.json"


def test_predict_from_a_run_with_pictures_and_bad_inputs(tmp_path, capsys):
    doc = tmp_path / "cnn.json"
    doc.write_text(CNN.read_text())
    assert main(["train", str(doc), "--epochs", "2"]) == 0
    (x, y), _ = digits(seed=0)
    Image.fromarray((x[5, 0].numpy() * 255).astype("uint8")).save(tmp_path / "five.png")
    np.save(tmp_path / "two.npy", x[:2].numpy())
    capsys.readouterr()
    assert main(["predict", str(doc), "--run", "run 1", str(tmp_path / "five.png"), str(tmp_path / "two.npy"),
                 "--top", "2", "--explain", "saliency", "--out", str(tmp_path / "why")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("five.png: ") and out[0].count("%") == 2
    assert [line.split(":")[0] for line in out if line.startswith("two")] == ["two.npy[0]", "two.npy[1]"]
    assert sorted(p.name for p in (tmp_path / "why").iterdir()) == ["five_saliency.png", "two_0_saliency.png",
                                                                     "two_1_saliency.png"]
    np.save(tmp_path / "odd.npy", np.zeros((3, 5)))
    assert main(["predict", str(doc), "--run", "run 1", str(tmp_path / "odd.npy")]) == 1
    assert "the network takes samples of [1, 8, 8] (64 numbers each)" in capsys.readouterr().err
    assert main(["predict", str(doc), str(tmp_path / "five.png")]) == 1
    assert "--run NAME" in capsys.readouterr().err
    assert main(["predict", str(doc), "--run", "run 1", str(tmp_path / "five.png"), "--explain", "ig"]) == 1
    assert "--out DIR" in capsys.readouterr().err


def test_predict_normalises_inputs_as_the_runs_data_was(tmp_path, capsys):
    import torch

    from netbuilder import GraphBuilder, build_model
    from netbuilder.runs.run import document_folder, list_runs

    b = GraphBuilder()
    b.add("Output", b.add("Linear", b.add("ReLU", b.add("Linear", b.add("Input", shape=[2]), out_features=16)),
                          out_features=2))
    b.graph.meta["data"] = {"source": "moons", "options": {"n": 300}, "normalize": "standardize"}
    b.graph.meta["training"] = {"epochs": 2, "lr": 0.01}
    doc = tmp_path / "moons.json"
    b.graph.save(doc)
    assert main(["train", str(doc)]) == 0
    run = list_runs(document_folder(str(doc), ""))[0]
    kept = run.read_samples()
    shift, scale = kept["stats"]
    assert kept["task"] == "classification" and kept["inputs"].shape[1:] == (2,)
    rows = np.array([[8.0, -3.0], [0.5, 0.25]], dtype=np.float32)  # in the data's own units
    np.savetxt(tmp_path / "rows.csv", rows, delimiter=",")
    capsys.readouterr()
    assert main(["predict", str(doc), "--run", run.name, str(tmp_path / "rows.csv"), "--top", "1"]) == 0
    said = capsys.readouterr().out.splitlines()
    model = build_model(b.graph)
    model.load_state_dict(torch.load(run.folder / "best.pt", weights_only=True)["model"])
    with torch.no_grad():
        p = torch.softmax(model((torch.from_numpy(rows) - shift) / scale), dim=1)
        raw = torch.softmax(model(torch.from_numpy(rows)), dim=1)
    assert (p - raw).abs().max() > 0.01  # without the normalisation the answers would differ
    for line, probabilities in zip(said, p):
        assert line.endswith(f"{probabilities.argmax().item()} {probabilities.max().item():.1%}")
    (run.folder / "samples.pt").write_bytes(b"damaged")  # a damaged file: predict works unnormalised
    assert run.read_samples() is None
    assert main(["predict", str(doc), "--run", run.name, str(tmp_path / "rows.csv")]) == 0


def test_rows_and_arrays_that_are_not_finite_numbers_are_refused(tmp_path):
    import pytest

    from netbuilder.deploy.predict import PredictError, read_inputs, row_values

    with pytest.raises(PredictError, match="the row has 2 value.s. that are not finite numbers"):
        row_values("1, nan, 1e40", (3,), "the row")
    assert row_values("1 2\t3", (3,), "the row").tolist() == [[1.0, 2.0, 3.0]]  # spaces separate too
    with pytest.raises(PredictError, match="has 2 numbers; the network takes 3"):
        row_values("1; 2", (3,), "the row")
    np.save(tmp_path / "inf.npy", np.array([[1.0, np.inf, 0.0]]))
    with pytest.raises(PredictError, match="inf.npy has 1 value"):
        read_inputs([str(tmp_path / "inf.npy")], (3,))


def test_files_with_no_samples_or_unreadable_are_refused(tmp_path, monkeypatch):
    import pytest

    from netbuilder.deploy.predict import PredictError, read_inputs

    np.save(tmp_path / "empty.npy", np.zeros((0, 3), dtype=np.float32))
    with pytest.raises(PredictError, match=r"empty.npy holds no samples \(\[0, 3\]\)"):
        read_inputs([str(tmp_path / "empty.npy")], (3,))
    rows = tmp_path / "rows.csv"
    rows.write_text("1,2,3\n")

    def refused(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))
    monkeypatch.setattr(Path, "read_text", refused)  # as a file without read permission does (root reads all)
    with pytest.raises(PredictError, match="rows.csv could not be read: Permission denied"):
        read_inputs([str(rows)], (3,))
