"""`netbuilder generate` for a language model: a run trained in the terminal writes text from a prompt, the
argmax path at temperature 0 (the same twice), a seed and top-k otherwise; unknown characters and runs of
other networks said, not raised."""
import json

import pytest

from netbuilder import GraphBuilder
from netbuilder.cli import main

from text_model import TEXT, text_model

pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py


@pytest.fixture
def trained(tmp_path, capsys):
    path = tmp_path / "lm.json"
    text_model(tmp_path, epochs=2).save(path)
    assert main(["train", str(path)]) == 0
    capsys.readouterr()
    return path


def test_a_run_writes_text_from_a_prompt(trained, capsys):
    args = ["generate", str(trained), "--run", "run 1", "--prompt", "the ", "--length", "40", "--temperature", "0"]
    assert main(args) == 0
    out, err = capsys.readouterr()
    written = out.rstrip("\n")
    assert written.startswith("the ") and len(written) == 44 and set(written) <= set(TEXT)
    assert "temperature 0, top-k all, seed 0" in err
    assert main(args) == 0 and capsys.readouterr().out.rstrip("\n") == written  # the argmax path: the same
    assert main(args[:-2] + ["--temperature", "1.5", "--top-k", "3", "--seed", "7"]) == 0
    assert len(capsys.readouterr().out.rstrip("\n")) == 44


def test_count_and_out_write_text_files_with_their_seeds(trained, tmp_path, capsys):
    out = tmp_path / "texts"
    args = ["generate", str(trained), "--run", "run 1", "--prompt", "the ", "--length", "30", "--count", "3",
            "--seed", "5", "--out", str(out)]
    assert main(args) == 0
    said, err = capsys.readouterr()
    assert "3 texts of 30 characters" in said and "seeds 5 to 7" in said and "seeds 5 to 7" in err
    texts = [(out / f"text_{i}.txt").read_text(encoding="utf-8") for i in (1, 2, 3)]
    assert all(t.startswith("the ") and len(t) == 34 and set(t) <= set(TEXT) for t in texts)
    info = json.loads((out / "samples.json").read_text())
    assert info["run"] == "run 1" and info["count"] == 3 and info["temperature"] == 0.8 and info["prompt"] == "the "
    assert [t["seed"] for t in info["texts"]] == [5, 6, 7] and info["texts"][1]["file"] == "text_2.txt"
    alone = ["generate", str(trained), "--run", "run 1", "--prompt", "the ", "--length", "30", "--seed", "6"]
    assert main(alone) == 0  # any one of them written again from its seed
    assert capsys.readouterr().out.rstrip("\n") == texts[1]
    assert main(args[:-2] + ["--count", "0", "--out", str(out)]) == 1
    assert "--count must be a whole number from 1" in capsys.readouterr().err


def test_unknown_prompt_characters_are_said(trained, capsys):
    assert main(["generate", str(trained), "--run", "run 1", "--prompt", "the QX", "--length", "5"]) == 0
    out, err = capsys.readouterr()
    assert "note: the prompt has 2 characters the network never saw in training ('Q', 'X')" in err
    assert out.startswith("the \ufffd\ufffd")


def test_bad_requests_are_said(trained, tmp_path, capsys):
    assert main(["generate", str(trained), "--run", "run 9"]) == 1
    assert "the document has no run called 'run 9' (its runs: 'run 1')" in capsys.readouterr().err
    assert main(["generate", str(trained), "--run", "run 1", "--temperature", "-1"]) == 1
    assert "the temperature must be from 0" in capsys.readouterr().err
    b = GraphBuilder()  # a classifier's run: not a language model
    b.add("Output", b.add("Linear", b.add("Flatten", b.add("Input", shape=[1, 8, 8])), out_features=10))
    b.graph.meta["training"] = {"epochs": 1}
    other = tmp_path / "mlp.json"
    b.graph.save(other)
    assert main(["train", str(other)]) == 0
    capsys.readouterr()
    assert main(["generate", str(other), "--run", "run 1"]) == 1
    said = capsys.readouterr().err  # a classifier writes no text and makes no samples
    assert "a supervised run makes no new samples" in said and "next_token (text)" in said


def test_an_out_that_is_a_file_is_said_so(trained, tmp_path, capsys):
    taken = tmp_path / "notes.txt"
    taken.write_text("mine")
    assert main(["generate", str(trained), "--run", "run 1", "--length", "5", "--out", str(taken)]) == 1
    err = capsys.readouterr().err
    assert "it is a file, not a folder: choose a folder for the samples" in err and "Traceback" not in err
    assert taken.read_text() == "mine"
