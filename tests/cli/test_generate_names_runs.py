"""`netbuilder generate` (and whatever needs a run's weights) without --run names the document's runs to
choose from, rather than leaving the user to look them up."""
from pathlib import Path

import pytest
import torch

from netbuilder.cli import main
from netbuilder.deploy.predict import PredictError, weights_of

ROOT = Path(__file__).resolve().parents[2]


def test_without_run_the_documents_runs_are_named(tmp_path, capsys):
    doc = tmp_path / "ring.json"
    doc.write_text((ROOT / "templates" / "diffusion_ring.json").read_text())
    assert main(["generate", str(doc), "--out", str(tmp_path / "out")]) == 2
    assert "--run RUN is needed: the run whose network makes the samples (the document's runs: none yet)" \
        in capsys.readouterr().err
    torch.set_num_threads(1)
    assert main(["train", str(doc), "--epochs", "1"]) == 0
    capsys.readouterr()
    assert main(["generate", str(doc), "--out", str(tmp_path / "out")]) == 2
    assert "(the document's runs: 'run 1')" in capsys.readouterr().err
    with pytest.raises(PredictError, match=r"--run NAME \(a run of the document; its runs: 'run 1'\) or --weights"):
        weights_of(str(doc), None, None)
