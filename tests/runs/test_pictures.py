"""A generative run keeps what it made last in its folder (pictures.pt), so that its Samples tab shows it when the
run is opened again: images, grids side by side, points over the real ones with the reverse process, or a
language model's text, read back as written; a damaged file reads as nothing. A run trained in the terminal
keeps them too."""
import json
from pathlib import Path

import pytest
import torch

from netbuilder.cli import main
from netbuilder.runs.pictures import PICTURES_FILE, SavedText, read_pictures, write_pictures
from netbuilder.runs.run import list_runs, document_folder
from netbuilder.train.language import Generated

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

pytestmark = pytest.mark.usefixtures("one_thread")


def test_pictures_come_back_as_they_were_written(tmp_path):
    strip = [("step 100", torch.randn(500, 2)), ("step 0", torch.randn(500, 2))]
    made, real = torch.randn(500, 2), torch.randn(900, 2)
    write_pictures(tmp_path, ("Epoch 3: points", made, real, strip))
    caption, samples, back, path = read_pictures(tmp_path)
    assert caption == "Epoch 3: points" and torch.equal(samples, made) and torch.equal(back, real)
    assert [label for label, _ in path] == ["step 100", "step 0"] and torch.equal(path[1][1], strip[1][1])
    pairs, walk = torch.rand(32, 1, 8, 8), torch.rand(64, 1, 8, 8)
    write_pictures(tmp_path, ("Epoch 1: two grids", (pairs, walk), None))
    caption, samples, back = read_pictures(tmp_path)
    assert isinstance(samples, tuple) and torch.equal(samples[1], walk) and back is None
    written = Generated("The ", "cat sat", "", 0, 0.8, 5)
    write_pictures(tmp_path, ("epoch 2: text", written, None))
    caption, saved, _ = read_pictures(tmp_path)
    assert isinstance(saved, SavedText) and saved.generated == written and saved.folder == tmp_path
    assert not list(tmp_path.glob(".*.tmp"))  # written atomically: no temporary file stays


def test_a_damaged_or_foreign_file_reads_as_nothing(tmp_path):
    assert read_pictures(tmp_path) is None
    (tmp_path / PICTURES_FILE).write_bytes(b"not a torch file")
    assert read_pictures(tmp_path) is None
    torch.save({"caption": "x", "samples": "not a tensor", "real": None}, tmp_path / PICTURES_FILE)
    assert read_pictures(tmp_path) is None


def test_a_diffusion_run_trained_in_the_terminal_keeps_its_reverse_process(tmp_path, capsys):
    doc = tmp_path / "ring.json"
    data = json.loads((TEMPLATES / "diffusion_ring.json").read_text())
    data["meta"]["training"].update(diffusion_steps=20, sampling="ddim", ddim_steps=5)
    doc.write_text(json.dumps(data))
    assert main(["train", str(doc), "--epochs", "2"]) == 0
    run = list_runs(document_folder(str(doc), ""))[-1]
    caption, made, real, strip = read_pictures(run.folder)
    assert caption.startswith("Epoch 2: 500 points") and made.shape == (500, 2) and real.shape[1] == 2
    assert strip[0][0] == "step 20" and torch.equal(strip[-1][1], made)


def test_a_language_model_keeps_the_text_it_wrote_at_the_end_and_writes_again(tmp_path, capsys):
    from text_model import TEXT, text_model

    doc = tmp_path / "lm.json"
    text_model(tmp_path, epochs=2).save(doc)
    assert main(["train", str(doc)]) == 0
    run = list_runs(document_folder(str(doc), ""))[-1]
    caption, saved, _ = read_pictures(run.folder)
    assert "epoch 2" in caption and "'The '" in caption
    made = saved.generated
    assert made.prompt == "\ufffdhe " and "('T')" in made.note  # this text has no capital T: said, kept
    assert len(made.text) == 400 and made.seed == 0 and made.temperature == 0.8 and set(made.text) <= set(TEXT)
    again = saved.load().generate(made.prompt, 400, made.temperature, made.top_k, made.seed)
    assert again.text == made.text  # the run's network, loaded from its checkpoint, writes the same


def test_the_keeper_writes_at_most_once_a_second_and_the_last_pictures_at_the_end(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from netbuilder.runs import pictures

    clock = [100.0]
    monkeypatch.setattr(pictures.time, "perf_counter", lambda: clock[0])
    source = SimpleNamespace(latest=None)
    keeper = pictures.PictureKeeper(tmp_path, source)
    trainer = SimpleNamespace(recipe=SimpleNamespace(shows=frozenset({"samples"})))
    made = [(f"Epoch {i}", torch.full((4, 1, 8, 8), i / 10), None) for i in range(1, 4)]
    for i, shown in enumerate(made):
        source.latest = shown
        clock[0] += 0.3  # three quick epochs: only the first is written while it trains
        keeper.on_epoch_end(trainer, SimpleNamespace(epoch=i))
        assert read_pictures(tmp_path)[0] == "Epoch 1"
    keeper.on_train_end(trainer, SimpleNamespace(epochs=[SimpleNamespace(epoch=2)], status="stopped"))
    assert read_pictures(tmp_path)[0] == "Epoch 3"  # the last epoch's, at the end
