"""netbuilder generate: samples of a trained GAN, VAE or diffusion run, written as a PNG grid for images and a
.npy array, with the seed that made them; the same seed makes the same samples; what cannot generate says why."""
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from netbuilder.cli import main

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

pytestmark = pytest.mark.usefixtures("one_thread")


def trained(tmp_path, template, epochs=1, **training):
    doc = tmp_path / f"{template}.json"
    data = json.loads((TEMPLATES / f"{template}.json").read_text())
    data["meta"]["training"].update(training)
    doc.write_text(json.dumps(data))
    assert main(["train", str(doc), "--epochs", str(epochs)]) == 0
    return doc


def test_a_diffusion_run_writes_its_points_with_the_seed(tmp_path, capsys):
    doc = trained(tmp_path, "diffusion_ring", epochs=2, diffusion_steps=20, sampling="ddim", ddim_steps=5)
    capsys.readouterr()
    out = tmp_path / "made"
    assert main(["generate", str(doc), "--run", "run 1", "--count", "10", "--seed", "3", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "10 samples (2 each) of the denoising run 'run 1', seed 3" in said and "samples.npy" in said
    points = np.load(out / "samples.npy")
    assert points.shape == (10, 2) and np.isfinite(points).all()
    assert not (out / "samples.png").exists()  # points are no pictures
    assert json.loads((out / "samples.json").read_text())["seed"] == 3
    assert main(["generate", str(doc), "--run", "run 1", "--count", "10", "--seed", "3", "--out", str(tmp_path / "b")]) == 0
    assert np.array_equal(np.load(tmp_path / "b" / "samples.npy"), points)  # the same seed: the same samples
    assert main(["generate", str(doc), "--run", "run 1", "--count", "10", "--out", str(tmp_path / "c")]) == 0
    seed = json.loads((tmp_path / "c" / "samples.json").read_text())["seed"]
    assert f"seed {seed}:" in capsys.readouterr().out  # a fresh seed is said, so the samples can be made again


@pytest.mark.parametrize("template", ["gan_digits", "vae_digits"])
def test_gan_and_vae_runs_write_a_grid_of_digits(tmp_path, template, capsys):
    doc = trained(tmp_path, template)
    out = tmp_path / "made"
    assert main(["generate", str(doc), "--run", "run 1", "--count", "20", "--seed", "0", "--out", str(out)]) == 0
    images = np.load(out / "samples.npy")
    assert images.shape == (20, 1, 8, 8)
    grid = Image.open(out / "samples.png")
    assert grid.size == (16 * 9 + 1, 2 * 9 + 1)  # 16 across, two rows of 8x8 with a pixel between
    assert np.asarray(grid).max() > 0


def test_what_cannot_generate_says_why(tmp_path, capsys):
    doc = trained(tmp_path, "mlp_digits")
    capsys.readouterr()
    assert main(["generate", str(doc), "--run", "run 1", "--out", str(tmp_path / "x")]) == 1
    assert "a supervised run makes no new samples" in capsys.readouterr().err
    assert main(["generate", str(doc), "--run", "run 9", "--out", str(tmp_path / "x")]) == 1
    assert "the document has no run called 'run 9'" in capsys.readouterr().err
    assert main(["generate", str(doc), "--run", "run 1", "--count", "0", "--out", str(tmp_path / "x")]) == 1
    assert "--count must be a whole number from 1 to 100,000, not 0" in capsys.readouterr().err
