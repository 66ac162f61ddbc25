"""The language-model templates (a character LSTM and a small GPT on python_docs): they are what their script
writes, load, validate, compile, export to PyTorch source with the same outputs, and train through the app's
path (training_data, then Trainer) to a validation loss below a character 3-gram model's, counted here on the
same training split (add-k smoothed, the best k of a few: the baseline is given every chance)."""
import importlib.util
from pathlib import Path

import pytest
import torch

import netbuilder
from netbuilder.analysis import Analysis
from netbuilder.data.dataset import DataSpec, prepare
from netbuilder.data.ngram import ngram_loss
from netbuilder.data.text import encode_parts, text_of
from netbuilder.graph import io
from netbuilder.layers import check_node
from netbuilder.train import TrainConfig, Trainer
from netbuilder.train.fitting import data_problems, training_data

ROOT = Path(__file__).resolve().parents[2]
NAMES = ["char_lstm_python_docs", "char_transformer_python_docs"]


def load(name):
    return io.load(ROOT / "templates" / f"{name}.json", check_node)


def script():
    spec = importlib.util.spec_from_file_location("make_text_templates", ROOT / "scripts" / "make_text_templates.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ngram_bar(spec: DataSpec, n: int) -> float:
    """The n-gram model's validation loss (nats per character) on the template's own split."""
    text, where = text_of(spec.source)
    parts = encode_parts(text, where, spec.val_fraction, spec.test_fraction, spec.options.get("unknown", "replace"))
    train, val, _ = parts.parts
    return min(ngram_loss(train, val, n, len(parts.vocabulary), k) for k in (0.01, 0.03, 0.1, 0.3, 1.0))


@pytest.mark.parametrize("name", NAMES)
def test_template_is_what_the_script_writes(name):
    made = getattr(script(), name)()
    assert io.dumps(made) == (ROOT / "templates" / f"{name}.json").read_text(encoding="utf-8"), \
        "templates are stale: run .venv/bin/python scripts/make_text_templates.py"


@pytest.mark.parametrize("name", NAMES)
def test_template_loads_validates_compiles_and_exports(name):
    graph = load(name)
    meta = graph.meta
    assert meta["name"] and 2 <= meta["description"].count(". ") + 1 <= 4
    spec, config = DataSpec.from_dict(meta["data"]), TrainConfig.from_dict(meta["training"])
    assert spec.source == "python_docs" and spec.problems() == [] and config.problems() == []
    assert config.recipe == "next_token" and meta["quality"]["epochs"] == config.epochs
    assert meta["quality"]["metric"] == "val_loss" and meta["quality"]["below_ngram"] == 3
    analysis = Analysis(graph)
    try:
        assert [p for p in analysis.problems() if p.severity == "error"] == []
    finally:
        analysis.close()
    prepared = prepare(spec)
    assert data_problems(graph, config, prepared, spec) == []
    torch.manual_seed(0)
    model = netbuilder.build_model(graph).eval()
    namespace: dict = {}
    exec(compile(netbuilder.export_source(graph), "exported.py", "exec"), namespace)
    network = [v for v in namespace.values() if isinstance(v, type) and issubclass(v, torch.nn.Module)][-1]
    exported = network().eval()  # the class named after the document, defined last
    exported.load_state_dict(model.state_dict())
    x = prepared.val[0][:3]
    with torch.no_grad():
        out = model(x)
        assert out.shape == (3, spec.options["seq_len"], prepared.outputs)
        assert torch.equal(out, exported(x))
    nodes = graph.nodes()
    for i, a in enumerate(nodes):  # no two nodes overlap (a node is about 170 x 90 on the canvas)
        for b in nodes[i + 1:]:
            assert abs(a.pos[0] - b.pos[0]) >= 210 or abs(a.pos[1] - b.pos[1]) >= 90, (a.name, b.name)


@pytest.fixture(scope="module", params=NAMES)
def trained(request):
    graph = load(request.param)
    config = TrainConfig.from_dict({**graph.meta["training"], "device": "cpu"})  # the bar is a CPU's
    data = training_data(graph, config)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small networks train fastest on one thread, and leave the other cores alone
    try:
        trainer = Trainer(graph, config, data.train, data.val, test=data.test)
        result = trainer.run()
    finally:
        torch.set_num_threads(threads)
    return graph, trainer, result


def test_template_beats_the_3gram_model(trained):
    graph, _, result = trained
    spec = DataSpec.from_dict(graph.meta["data"])
    bar = ngram_bar(spec, graph.meta["quality"]["below_ngram"])
    assert 1.6 < bar < 2.0 and bar < ngram_bar(spec, 1) - 1  # counting characters in context helps a lot
    assert result.status == "finished", result.message
    assert len(result.epochs) == graph.meta["quality"]["epochs"]
    reached = result.epochs[-1].val_loss
    assert reached < bar, f"{graph.meta['name']}: validation loss {reached:.3f} nats/char, the 3-gram's {bar:.3f}"
    assert result.evaluation is not None and result.evaluation.loss < bar + 0.1  # the held-out test part too


def test_trained_template_writes_text_like_its_own(trained):
    """What it writes reads like the text to the 3-gram model of the training part: far likelier than characters
    drawn at random from the vocabulary (about 4.6 nats each)."""
    graph, trainer, _ = trained
    model = trainer.recipe.text_model()
    made = model.generate("The ", 400, temperature=0.5, seed=1)
    assert len(made.text) == 400 and made.note == ""
    spec = DataSpec.from_dict(graph.meta["data"])
    text, where = text_of(spec.source)
    parts = encode_parts(text, where, spec.val_fraction, spec.test_fraction)
    vocab = len(parts.vocabulary)
    written = model.vocabulary.encode(made.text)
    noise = torch.randint(vocab, (400,), generator=torch.Generator().manual_seed(0))
    assert ngram_loss(parts.parts[0], written, 3, vocab) < 2.5 < 4 < ngram_loss(parts.parts[0], noise, 3, vocab)
