"""The Deep SVDD recipe: found by name with its declarations; layers with a bias are problems with a fix (and
training refuses them); the centre is the first pass's mean output and stays fixed; the score is the distance."""
from pathlib import Path

import pytest
import torch

from netbuilder.analysis.fixes import fix_edit
from netbuilder.graph import io
from netbuilder.layers import check_node
from netbuilder.train import TrainConfig, Trainer, TrainingError
from netbuilder.train.fitting import data_problems, training_data
from netbuilder.train.recipes import recipe_class, recipe_names

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.usefixtures("one_thread")


def svdd(epochs=3):
    graph = io.load(ROOT / "templates" / "deep_svdd_digits.json", check_node)
    graph.meta["training"] = {**graph.meta["training"], "epochs": epochs, "lr": 0.001}
    return graph, TrainConfig.from_dict(graph.meta["training"])


def test_it_is_a_registered_recipe_that_declares_its_score():
    cls = recipe_class("deep_svdd")
    assert "deep_svdd" in recipe_names() and cls.scores == ("distance to the centre",)
    assert cls.losses == () and "centre" in cls.summary and not cls.script


def test_layers_with_a_bias_are_problems_with_a_fix_and_training_refuses_them():
    graph = io.load(ROOT / "templates" / "anomaly_digits.json", check_node)
    graph.meta["training"] = {**graph.meta["training"], "recipe": "deep_svdd"}
    config = TrainConfig.from_dict(graph.meta["training"])
    from netbuilder.data.dataset import DataSpec, prepare

    spec = DataSpec.from_dict(graph.meta["data"])
    found = data_problems(graph, config, prepare(spec), spec)
    biased = [n.name for n in graph.nodes() if n.params.get("bias")]
    assert sorted(graph.node(p.node).name for p in found) == sorted(biased) and len(biased) == 6
    assert all("without a learned bias" in p.message and p.fix.label == "turn bias off" for p in found)
    with pytest.raises(TrainingError, match="'conv1' has bias on .*: turn bias off"):
        training_data(graph, config)
    with pytest.raises(TrainingError, match="'conv1' has bias on .*: turn bias off \\(and 5 more layers\\)"):
        recipe_class("deep_svdd")(graph, config)  # a trainer given tensors directly refuses it too
    graph.apply(fix_edit(graph, found[0].fix))
    assert graph.node(found[0].node).params["bias"] is False


def test_the_centre_is_the_first_pass_mean_and_stays_fixed_while_the_distance_falls():
    graph, config = svdd()
    data = training_data(graph, config)
    trainer = Trainer(graph, config, data.train, data.val)
    recipe = trainer.recipe
    with torch.no_grad():
        recipe.model.eval()
        start = recipe.model(data.train[0]).mean(0)
    result = trainer.run()
    assert result.status == "finished", result.message
    c = recipe.center
    far = start.abs() >= 0.1
    assert torch.allclose(c[far], start[far], atol=1e-5) and (c[~far].abs() == 0.1).all()
    assert result.epochs[-1].train_loss < result.epochs[0].train_loss
    x = data.val[0][:5]
    recipe.model.eval()
    with torch.no_grad():
        scores = recipe.score_batch((x,))["distance to the centre"]
        assert torch.allclose(scores, ((recipe.model(x) - c) ** 2).sum(1))
    state = recipe.state_dict()
    again = recipe_class("deep_svdd")(graph, config)
    again.load_state_dict(state)
    assert torch.equal(again.center, c)
