"""The next_token recipe: cross-entropy per character in nats, bits and perplexity beside it, its vocabulary in
its checkpoints, its data checks and fixes; generation: temperature 0 is the argmax path, top-k, a prompt with
characters outside the vocabulary is said, not raised."""
from __future__ import annotations

import math

import pytest
import torch

from netbuilder import GraphBuilder
from netbuilder.data.dataset import DataSpec
from netbuilder.data.text import UNKNOWN, Vocabulary
from netbuilder.train import TrainConfig, Trainer
from netbuilder.train.errors import TrainingError
from netbuilder.train.fitting import data_problems, training_data, use_dataset
from netbuilder.train.language import GenerationError, TextModel, continue_ids

pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py
TEXT = "the cat sat on the mat. the dog sat on the log. " * 40


def document(path, seq_len=16, vocab=None, dtype="int", out=None):
    b = GraphBuilder()
    x = b.add("Input", name="characters", shape=[seq_len], dtype=dtype, vocab_size=vocab or 20)
    h = b.add("Embedding", x, name="embed", num_embeddings=vocab or 20, embedding_dim=16)
    h = b.add("Recurrent", h, name="recurrent", cell="GRU", hidden_size=32)
    b.add("Output", b.add("Linear", h, name="next_character", out_features=out or vocab or 20), name="scores")
    b.graph.meta["data"] = DataSpec(source=str(path), options={"seq_len": seq_len, "stride": 4},
                                    val_fraction=0.2, test_fraction=0.1).to_dict()
    b.graph.meta["training"] = {"recipe": "next_token", "loss": "cross_entropy", "lr": 0.02, "epochs": 3,
                                "batch_size": 32}
    return b.graph


@pytest.fixture
def text_file(tmp_path):
    path = tmp_path / "cats.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


def vocab_size(path):
    return len(set(TEXT)) + 1  # and the unknown mark (the parts of TEXT have the same characters)


def test_it_learns_text_and_reports_nats_bits_and_perplexity(text_file):
    graph = document(text_file, vocab=vocab_size(text_file))
    config = TrainConfig.from_dict({**graph.meta["training"], "device": "cpu"})
    data = training_data(graph, config)
    trainer = Trainer(graph, config, data.train, data.val, test=data.test)
    before = trainer.recipe.evaluate(data.val)[0]
    assert before == pytest.approx(math.log(vocab_size(text_file)), abs=0.3)  # about uniform at the start
    result = trainer.run()
    assert result.status == "finished", result.message
    last = result.epochs[-1].metrics
    assert last["val_loss"] < 0.6 * before  # the sentences repeat: it learns them
    assert last["val_bits_per_char"] == pytest.approx(last["val_loss"] / math.log(2))
    assert last["val_perplexity"] == pytest.approx(math.exp(last["val_loss"]))
    assert 0 < last["val_accuracy"] <= 1 and result.evaluation.loss > 0
    assert trainer.recipe.state_dict()["vocabulary"] == sorted(set(TEXT)) + [UNKNOWN]
    caption, made, _ = trainer.recipe.pictures(3)
    assert "epoch 3" in caption and isinstance(made, TextModel) and made.seq_len == 16
    assert made.generate("the ", 30, temperature=0).text.startswith(("cat", "dog", "mat", "log", "the"))


def test_the_loss_is_cross_entropy_per_character(text_file):
    graph = document(text_file, vocab=vocab_size(text_file))
    config = TrainConfig.from_dict({**graph.meta["training"], "device": "cpu"})
    data = training_data(graph, config)
    trainer = Trainer(graph, config, data.train, data.val)
    x, y = data.val
    with torch.no_grad():
        out = trainer.model(x)
        by_hand = -torch.log_softmax(out, -1).gather(-1, y[..., None]).mean()
    assert trainer.recipe.evaluate(data.val)[0] == pytest.approx(float(by_hand), rel=1e-5)


def test_it_refuses_data_that_is_not_text(tmp_path):
    graph = document(tmp_path / "none.txt")
    graph.meta["data"] = DataSpec(source="digits").to_dict()
    with pytest.raises(TrainingError, match="the next_token recipe learns text, but digits holds image data: choose python_docs"):
        training_data(graph, TrainConfig.from_dict(graph.meta["training"]))


def test_a_network_that_does_not_fit_the_text_is_told_and_fixed(text_file):
    graph = document(text_file, vocab=5, out=7)
    spec = DataSpec.from_dict(graph.meta["data"])
    config = TrainConfig.from_dict(graph.meta["training"])
    from netbuilder.data.dataset import prepare

    prepared = prepare(spec)
    found = data_problems(graph, config, prepared, spec)
    messages = " | ".join(p.message for p in found)
    assert "it needs dtype int and vocab_size" in messages
    assert f"has {vocab_size(text_file)} characters: it needs a score per character" in messages
    edit, left = use_dataset(graph, spec, prepared)
    graph.apply(edit)
    assert left == [] and data_problems(graph, config, prepared, spec) == []
    assert graph.by_name("embed").params["num_embeddings"] == vocab_size(text_file)
    floats = document(text_file, dtype="float", vocab=vocab_size(text_file))
    (problem,) = [p for p in data_problems(floats, config, prepared, spec) if "dtype int" in p.message]
    assert problem.fix.label == "set its dtype to int"


class Scripted(torch.nn.Module):
    """Scores that depend on the window: the next index is (sum of the window) mod V, a clear favourite."""

    def __init__(self, vocab):
        super().__init__()
        self.vocab = vocab
        self.weight = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x):
        favourite = x.sum(dim=1) % self.vocab
        scores = torch.randn(len(x), self.vocab, generator=torch.Generator().manual_seed(int(x.sum())))
        return scores + 3 * torch.nn.functional.one_hot(favourite, self.vocab) + self.weight


def test_temperature_zero_is_the_argmax_path():
    vocab = Vocabulary(tuple(" abcdefg"))
    model = TextModel(Scripted(len(vocab)), vocab, seq_len=4)
    window = [0, 0, 0] + vocab.encode("a").tolist()  # the prompt padded on the left with spaces (index 0)
    expected = []
    for _ in range(12):  # by hand: the highest score each time, appended, the window moved on
        choice = int(model.model(torch.tensor([window])).argmax())
        expected.append(choice)
        window = window[1:] + [choice]
    made = model.generate("a", 12, temperature=0)
    assert made.text == vocab.decode(expected) and made.prompt == "a" and made.note == ""
    assert model.generate("a", 12, temperature=1.0, top_k=1).text == made.text  # top-1 is the argmax too
    sampled = {model.generate("a", 12, temperature=2.0, seed=s).text for s in range(5)}
    assert len(sampled) > 1  # sampling varies with the seed
    assert model.generate("a", 12, temperature=2.0, seed=3).text == model.generate("a", 12, 2.0, seed=3).text


def test_top_k_keeps_only_the_k_likeliest():
    class Fixed(torch.nn.Module):
        def forward(self, x):
            return torch.tensor([[4.0, 3.0, 0.0, -1.0]]).expand(len(x), 4)

    ids = continue_ids(Fixed(), torch.tensor([0]), 400, 2, 0, temperature=5.0, top_k=2,
                       generator=torch.Generator().manual_seed(0))
    assert set(ids.tolist()) == {0, 1}


def test_a_prompt_outside_the_vocabulary_is_said_not_raised():
    vocab = Vocabulary(tuple(" abc") + (UNKNOWN,))
    model = TextModel(Scripted(len(vocab)), vocab, seq_len=4)
    made = model.generate("ab€z", 5, temperature=0)
    assert made.note == ("the prompt has 2 characters the network never saw in training ('€', 'z'):"
                         " each became \N{REPLACEMENT CHARACTER}")
    assert made.prompt == f"ab{UNKNOWN}{UNKNOWN}" and len(made.text) == 5
    dropped = TextModel(Scripted(4), Vocabulary(tuple(" abc")), seq_len=4).generate("ab€", 3, temperature=0)
    assert dropped.prompt == "ab" and "they were left out" in dropped.note


@pytest.mark.parametrize("settings, said", [((-1, 1.0, 0), "the length must be"), ((5, -0.5, 0), "the temperature"),
                                            ((5, 1.0, -2), "top-k must be a whole number")])
def test_bad_generation_settings_are_said(settings, said):
    model = TextModel(Scripted(4), Vocabulary(tuple(" abc")), seq_len=4)
    with pytest.raises(GenerationError, match=said):
        model.generate("a", *settings)


def test_a_recurrent_layers_starting_state_inputs_are_named_with_what_to_do(text_file):
    """An imported language model takes and gives its LSTM's (h, c): text holds no state to feed them."""
    b = GraphBuilder()
    x = b.add("Input", name="characters", shape=[16], dtype="int", vocab_size=40)
    h, c = (b.add("Input", name=f"hidden_{p}", shape=[1, 24]) for p in "hc")
    rnn = b.add("Recurrent", b.add("Embedding", x, num_embeddings=40, embedding_dim=8), h, c, name="rnn",
                cell="LSTM", hidden_size=24, state=True)
    b.add("Output", b.add("Linear", rnn, out_features=40))
    for port in ("h", "c"):
        b.add("Output", (rnn, port))
    b.graph.meta["data"] = DataSpec(source=str(text_file), options={"seq_len": 16}).to_dict()
    with pytest.raises(TrainingError) as said:
        training_data(b.graph, TrainConfig(recipe="next_token"))
    assert str(said.value).startswith("the Inputs 'hidden_h', 'hidden_c' give 'rnn' its starting state")
    assert "untick the setting 'state' of 'rnn'" in str(said.value)
