"""The Boundary callback: the last epoch is always drawn; a regression gets a reason instead."""
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
