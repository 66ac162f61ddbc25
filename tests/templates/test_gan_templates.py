"""The GAN templates: they load and validate, match the script that writes them, read well (generator
above discriminator, a short story), and train to the quality bars in their meta, for two seeds.

Their data comes from the adversarial recipe (training_data wants a document with one Input)."""
import importlib.util
import re
from pathlib import Path

import pytest

from netbuilder.analysis import Analysis
from netbuilder.data.dataset import DataSpec
from netbuilder.data.synthetic import ring_centres
from netbuilder.graph import io
from netbuilder.layers import check_node
from netbuilder.train import TrainConfig, Trainer
from netbuilder.train.recipes.adversarial import (Adversarial, discriminator_accuracy, find_networks,
                                                  mean_image_distance, mode_coverage, spread_ratio)

ROOT = Path(__file__).resolve().parents[2]
NAMES = ["gan_ring", "gan_digits"]


pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py


def load(name):
    return io.load(ROOT / "templates" / f"{name}.json", check_node)


def script():
    spec = importlib.util.spec_from_file_location("make_gan_templates", ROOT / "scripts" / "make_gan_templates.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", NAMES)
def test_the_template_loads_validates_and_is_what_the_script_writes(name):
    graph = load(name)
    analysis = Analysis(graph)
    try:
        assert [p for p in analysis.problems() if p.severity == "error"] == []
        assert analysis.problems() == []  # no warnings either
    finally:
        analysis.close()
    assert graph == getattr(script(), name)()  # run scripts/make_gan_templates.py after changing it


@pytest.mark.parametrize("name", NAMES)
def test_the_meta_tells_a_learner_what_it_is_and_how_to_train_it(name):
    meta = load(name).meta
    assert meta["name"].startswith("GAN")
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", meta["description"]) if s]
    assert 2 <= len(sentences) <= 3 and "mode collapse" in meta["description"].lower()
    assert TrainConfig.from_dict(meta["training"]).problems() == []
    assert meta["training"]["recipe"] == "adversarial"
    assert DataSpec.from_dict(meta["data"]).problems() == []
    assert meta["data"]["normalize"] == "none"  # digits stay in [0, 1], as a Sigmoid draws them
    assert meta["quality"]["epochs"] == meta["training"]["epochs"] and meta["quality"]["note"]


@pytest.mark.parametrize("name", NAMES)
def test_the_generator_sits_above_the_discriminator_each_on_its_row(name):
    graph = load(name)
    data = Adversarial.data(graph, TrainConfig.from_dict(graph.meta["training"]))
    found = find_networks(graph, data.prepared.sample_shape)
    rows = {}
    for part in graph.networks():
        nodes = [graph.node(n) for n in part]
        output = next(n.name for n in nodes if n.type == "Output")
        assert len({n.pos[1] for n in nodes}) == 1  # one row, left to right in data order
        assert [n.pos[0] for n in nodes] == sorted({n.pos[0] for n in nodes})
        rows[output] = nodes[0].pos[1]
    assert rows[found.generator] < rows[found.discriminator]
    assert (found.generator, found.discriminator) == ("fake", "real_or_fake")


def trained(name, seed):
    graph = load(name)
    data = Adversarial.data(graph, TrainConfig.from_dict(graph.meta["training"]))
    config = TrainConfig.from_dict({**graph.meta["training"], "seed": seed, "device": "cpu"})
    trainer = Trainer(graph, config, data.train, data.val)
    return graph, data, trainer


@pytest.mark.parametrize("seed", [0, 1])
def test_gan_ring_covers_the_modes(seed):
    graph, data, trainer = trained("gan_ring", seed)
    q = graph.meta["quality"]
    options = graph.meta["data"]["options"]
    assert options["noise"] == q["std"]
    centres = ring_centres(options.get("classes", 8), options.get("radius", 2.0))
    start = mode_coverage(trainer.recipe.samples(q["samples"], seed=123), centres, q["std"], q["min_share"])
    result = trainer.run()
    assert result.status == "finished" and len(result.epochs) == q["epochs"]
    reached = mode_coverage(trainer.recipe.samples(q["samples"], seed=123), centres, q["std"], q["min_share"])
    assert start < q["mode_coverage_at_least"] <= reached


@pytest.mark.parametrize("seed", [0, 1])
def test_gan_digits_draws_digits_the_discriminator_cannot_always_tell(seed):
    graph, data, trainer = trained("gan_digits", seed)
    q = graph.meta["quality"]
    real = data.val[0]
    before = mean_image_distance(trainer.recipe.samples(q["samples"], seed=7), real)
    assert spread_ratio(trainer.recipe.samples(q["samples"], seed=7), real) < q["spread_ratio_at_least"]
    result = trainer.run()
    assert result.status == "finished" and len(result.epochs) == q["epochs"]
    drawn = trainer.recipe.samples(q["samples"], seed=7)
    assert drawn.shape[1:] == (1, 8, 8) and 0 <= drawn.min() and drawn.max() <= 1
    assert discriminator_accuracy(trainer, real) < q["discriminator_accuracy_below"]
    assert mean_image_distance(drawn, real) <= q["image_distance_ratio_at_most"] * before
    assert spread_ratio(drawn, real) >= q["spread_ratio_at_least"]
