"""The Boundary callback: the last epoch is always drawn; a regression gets a reason instead."""
from pathlib import Path

from netbuilder import GraphBuilder
from netbuilder.data.synthetic import moons
from netbuilder.train import TrainConfig, Trainer
from netbuilder.insight.boundary import Boundary


def mlp(outputs):
    b = GraphBuilder()
    h = b.add("ReLU", b.add("Linear", b.add("Input", shape=[2]), out_features=16))
    b.add("Output", b.add("Linear", h, out_features=outputs))
    return b.graph


def test_the_last_epoch_is_drawn_and_a_regression_says_why_not():
    raw = moons(n=300)
    boundary = Boundary(size=40)
    Trainer(mlp(2), TrainConfig(epochs=3, device="cpu"), (raw.x[:240], raw.y[:240]), (raw.x[240:], raw.y[240:]),
            callbacks=[boundary]).run()
    assert boundary.latest.epoch == 3 and boundary.latest.classes.shape == (40, 40)
    assert len(boundary.latest.points) == 60 and set(boundary.latest.labels.tolist()) <= {0, 1}
    regression = Boundary()
    total = raw.x.sum(dim=1, keepdim=True)
    Trainer(mlp(1), TrainConfig(epochs=1, loss="mse", device="cpu"), (raw.x[:240], total[:240]),
            (raw.x[240:], total[240:]), callbacks=[regression]).run()
    assert regression.latest is None and "regression" in regression.why_not


def two_networks():
    b = GraphBuilder()
    for name in ("left", "right"):
        b.add("Output", b.add("Linear", b.add("ReLU", b.add("Linear", b.add("Input", shape=[2]), out_features=8)),
                              out_features=2), name=name)
    return b.graph


def test_a_comparison_of_classifiers_is_not_called_a_regression():
    """The lesson's networks classify digits: no boundary, because the digits are not points on a plane
    (and networks side by side have no one boundary), never because of a regression."""
    from netbuilder.graph import io
    from netbuilder.layers import check_node
    from netbuilder.train.recipes import recipe_class
    from netbuilder.insight.boundary import why_not
    import torch

    lesson = io.load(Path(__file__).parents[2] / "templates" / "vanishing_lesson.json", check_node)
    config = TrainConfig.from_dict({**lesson.meta["training"], "device": "cpu"})
    recipe = recipe_class("compare")(lesson, config)
    digits = (torch.zeros(5, 1, 8, 8), torch.zeros(5, dtype=torch.long))
    said = why_not(recipe, digits)
    assert "regression" not in said and "two features" in said and "1x8x8" in said

    raw = moons(n=200)
    boundary = Boundary(size=20)
    Trainer(two_networks(), TrainConfig(recipe="compare", epochs=1, device="cpu"), (raw.x[:160], raw.y[:160]),
            (raw.x[160:], raw.y[160:]), callbacks=[boundary]).run()
    assert boundary.latest is None and "2 side by side" in boundary.why_not
