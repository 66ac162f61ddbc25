"""netbuilder predict: top-k for images and arrays from a saved run, attribution pictures, and messages for
inputs the network cannot take."""
import numpy as np
from PIL import Image

from netbuilder.cli import main
from netbuilder.data import digits
from pathlib import Path

CNN = Path(__file__).resolve().parents[1] / "templates" / "cnn_digits.json"


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
