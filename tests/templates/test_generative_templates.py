"""The autoencoder and VAE templates: they load, validate, compile, are what their script writes, and
train to the quality bar their file promises (val_loss at most `at_most` after `epochs` epochs)."""
import importlib.util
from pathlib import Path

import pytest
import torch

import netbuilder
from netbuilder.analysis import Analysis
from netbuilder.graph import io
from netbuilder.layers import check_node
from netbuilder.train import TrainConfig, Trainer
from netbuilder.train.generative import latent_grid, reconstructions
from netbuilder.train.fitting import training_data

ROOT = Path(__file__).resolve().parents[2]
NAMES = ["autoencoder_digits", "vae_digits"]


def load(name):
    return io.load(ROOT / "templates" / f"{name}.json", check_node)


def script():
    spec = importlib.util.spec_from_file_location("make_generative_templates",
                                                  ROOT / "scripts" / "make_generative_templates.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", NAMES)
def test_template_loads_validates_and_compiles(name):
    graph = load(name)
    meta = graph.meta
    assert meta["name"] and len(meta["description"]) > 80
    assert meta["data"] == {"source": "digits"}
    assert meta["training"]["recipe"] == {"autoencoder_digits": "reconstruction",
                                          "vae_digits": "variational"}[name]
    config = TrainConfig.from_dict(meta["training"])
    assert config.loss == "mse" and config.problems() == [] and set(meta["training"]) <= set(config.to_dict())
    quality = meta["quality"]
    assert quality["metric"] == "val_loss" and quality["at_most"] > 0 and quality["note"]
    assert quality["epochs"] == config.epochs
    analysis = Analysis(graph)
    try:
        assert [p for p in analysis.problems() if p.severity == "error"] == []
    finally:
        analysis.close()
    model = netbuilder.build_model(graph)
    x = netbuilder.example_inputs(graph, batch_size=3)[0]
    with torch.no_grad():
        assert model(x).shape == x.shape  # it gives back an image like its input
    nodes = graph.nodes()
    for i, a in enumerate(nodes):  # no two nodes overlap (a node is about 170 x 90 on the canvas)
        for b in nodes[i + 1:]:
            assert abs(a.pos[0] - b.pos[0]) >= 210 or abs(a.pos[1] - b.pos[1]) >= 90, (a.name, b.name)


@pytest.mark.parametrize("name", NAMES)
def test_template_is_what_the_script_writes(name):
    module = script()
    made = module.rows(getattr(module, name)())
    assert io.dumps(made) == (ROOT / "templates" / f"{name}.json").read_text(encoding="utf-8"), \
        "templates are stale: run .venv/bin/python scripts/make_generative_templates.py"


@pytest.fixture(scope="module", params=NAMES)
def trained(request):
    graph = load(request.param)
    quality = graph.meta["quality"]
    config = TrainConfig.from_dict({**graph.meta["training"], "epochs": quality["epochs"]})
    data = training_data(graph, config)
    trainer = Trainer(graph, config, data.train, data.val, test=data.test, augment=data.augment)
    untrained = trainer.recipe.evaluate(data.val).loss
    result = trainer.run()
    return graph, trainer, data, result, untrained


def test_template_trains_to_its_bar(trained):
    graph, _, _, result, untrained = trained
    bar = graph.meta["quality"]["at_most"]
    assert result.status == "finished", result.message
    assert len(result.epochs) == graph.meta["quality"]["epochs"]
    assert untrained > bar  # the bar says something: the untrained network misses it
    assert result.epochs[-1].val_loss <= bar
    assert result.evaluation is not None and result.evaluation.loss <= 1.1 * bar  # held-out digits too
    assert result.evaluation.accuracy is None


def test_trained_template_pictures(trained):
    graph, trainer, data, _, _ = trained
    originals, rebuilt = reconstructions(trainer.model, data.val[0], n=10)
    assert originals.shape == rebuilt.shape == (10, 1, 8, 8)
    error = ((originals - rebuilt) ** 2).mean().item()
    assert error < graph.meta["quality"]["at_most"]
    if any(n.type == "Reparameterize" for n in graph.nodes()):
        grid = latent_grid(graph, trainer.model, steps=6)
        assert grid.shape == (36, 1, 8, 8)
        assert torch.equal(grid, latent_grid(graph, trainer.model, steps=6))
        assert grid.std(dim=0).mean() > 0.05  # walking the latent space changes the digit
