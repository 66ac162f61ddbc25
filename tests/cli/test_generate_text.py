"""`netbuilder generate` for a language model: a run trained in the terminal writes text from a prompt, the
argmax path at temperature 0 (the same twice), a seed and top-k otherwise; unknown characters and runs of
other networks said, not raised."""
import pytest

from netbuilder import GraphBuilder
from netbuilder.cli import main
from netbuilder.data.dataset import DataSpec

pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py
TEXT = "the cat sat on the mat. the dog sat on the log. " * 30


@pytest.fixture
def trained(tmp_path, capsys):
    (tmp_path / "cats.txt").write_text(TEXT, encoding="utf-8")
    vocab = len(set(TEXT)) + 1
    b = GraphBuilder()
    x = b.add("Input", name="characters", shape=[12], dtype="int", vocab_size=vocab)
    h = b.add("Recurrent", b.add("Embedding", x, num_embeddings=vocab, embedding_dim=8), cell="GRU", hidden_size=24)
    b.add("Output", b.add("Linear", h, out_features=vocab, name="next_character"))
    b.graph.meta["data"] = DataSpec(source=str(tmp_path / "cats.txt"), options={"seq_len": 12, "stride": 3},
                                    val_fraction=0.2, test_fraction=0.1).to_dict()
    b.graph.meta["training"] = {"recipe": "next_token", "lr": 0.02, "epochs": 2, "batch_size": 32}
    path = tmp_path / "lm.json"
    b.graph.save(path)
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
