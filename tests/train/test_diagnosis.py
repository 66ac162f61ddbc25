"""Diagnosis: a deep sigmoid MLP vanishes, a huge learning rate explodes, a healthy net is quiet."""
import pytest

from netbuilder import GraphBuilder
from netbuilder.data import digits
from netbuilder.train import Callback, TrainConfig, Trainer
from netbuilder.train.callbacks.diagnosis import Diagnosis, Thresholds


@pytest.fixture(scope="module")
def data():
    return digits(seed=0)


def deep(activation, depth=10, batchnorm=False, residual=False, init="default"):
    b = GraphBuilder()
    h = b.add("Linear", b.add("Flatten", b.add("Input", shape=[1, 8, 8])), out_features=32, init=init)
    for _ in range(depth):
        x = b.add("Linear", h, out_features=32, init=init)
        if batchnorm:
            x = b.add("BatchNorm1d", x)
        x = b.add(activation, x)
        h = b.add("Add", h, x) if residual else x
    b.add("Output", b.add("Linear", h, name="classes", out_features=10))
    return b.graph


def diagnose(graph, data, **config):
    diagnosis = Diagnosis(graph)
    settings = dict(epochs=100, batch_size=64, optimizer="sgd", lr=0.01)
    settings.update(config)
    Trainer(graph, TrainConfig(**settings), *data, callbacks=[diagnosis, StopAfter(150)]).run()
    return diagnosis.problems()


class StopAfter(Callback):
    """A run of a few hundred steps at most, as the diagnosis is meant for."""

    def __init__(self, steps):
        self.steps = steps

    def on_step_end(self, trainer, step):
        if step.global_step + 1 >= self.steps:
            trainer.stop()


def test_deep_sigmoid_mlp_vanishes(data):
    problems = diagnose(deep("Sigmoid"), data)
    assert any("vanishing gradients" in p.message for p in problems)
    assert all(p.severity == "warning" and p.node for p in problems)
    assert any("ReLU" in p.message for p in problems)  # the remedy in plain words


def test_huge_learning_rate_explodes(data):
    problems = diagnose(deep("LeakyReLU", depth=3), data, lr=2.0, optimizer="sgd")
    assert any("exploding gradients" in p.message for p in problems)


def test_healthy_relu_batchnorm_residual_is_quiet(data):
    problems = diagnose(deep("ReLU", depth=10, batchnorm=True, residual=True, init="kaiming"), data)
    assert not [p for p in problems if "vanishing" in p.message or "exploding" in p.message], problems


class Watch(Callback):
    """Records what the diagnosis said at each step, as the UI reads it while training."""

    def __init__(self, diagnosis):
        self.diagnosis, self.seen = diagnosis, []

    def on_step_end(self, trainer, step):
        self.seen.append((step.global_step, len(self.diagnosis.latest)))


def test_the_diagnosis_speaks_during_the_run_not_only_at_its_end(data):
    graph = deep("Sigmoid")
    diagnosis = Diagnosis(graph)
    watch = Watch(diagnosis)
    config = TrainConfig(epochs=100, batch_size=64, optimizer="sgd", lr=0.01)
    Trainer(graph, config, *data, callbacks=[diagnosis, watch, StopAfter(120)]).run()
    first = next(step for step, count in watch.seen if count)
    assert first == diagnosis.t.window - 1  # judged after the first full window of steps
    assert any("vanishing" in p.message for p in diagnosis.latest)


def test_thresholds_come_from_the_document_and_bad_values_fall_back(data):
    graph = deep("Sigmoid")
    graph.meta["diagnosis"] = {"vanishing": 1e-30, "ratio": 1e-30, "window": 40, "dead": "lots",
                               "exploding": float("nan"), "saturated": -1}
    diagnosis = Diagnosis(graph)
    t = diagnosis.t
    assert (t.vanishing, t.ratio, t.window) == (1e-30, 1e-30, 40)
    assert (t.dead, t.exploding, t.saturated) == (Thresholds().dead, Thresholds().exploding,
                                                  Thresholds().saturated)
    config = TrainConfig(epochs=100, batch_size=64, optimizer="sgd", lr=0.01)
    Trainer(graph, config, *data, callbacks=[diagnosis, StopAfter(150)]).run()
    assert not [p for p in diagnosis.latest if "vanishing" in p.message]  # the user raised the bar


def test_remedies_fit_the_network_and_a_loss_spike_is_an_exploding_warning():
    from netbuilder import GraphBuilder
    from netbuilder.train.callbacks.diagnosis import VANISHING_REMEDY, VANISHING_REMEDY_NO_SQUASH
    from netbuilder.train.loop import Step

    b = GraphBuilder()
    h = b.add("ReLU", b.add("Linear", b.add("Input", shape=[4]), name="fc1", out_features=8))
    b.add("Output", b.add("Linear", h, name="fc2", out_features=2))
    relu_only = Diagnosis(b.graph)
    assert relu_only.vanishing_remedy == VANISHING_REMEDY_NO_SQUASH and "sigmoid" not in relu_only.vanishing_remedy

    class Fake:
        class monitor:
            layers = ["fc1", "fc2"]

        class model:
            @staticmethod
            def named_children():
                return []
    relu_only.on_train_start(Fake)
    for i in range(30):
        relu_only.on_step_end(Fake, Step(0, i, i, 100, 8, 0.1, {"loss": 1.0 + 0.01 * i}, [0.1, 0.2]))
    relu_only.on_step_end(Fake, Step(0, 30, 30, 100, 8, 0.1, {"loss": 5000.0}, [9.0, 0.2]))
    spikes = [p for p in relu_only.latest if "jumped" in p.message]
    assert spikes and "exploding" in spikes[0].message and "Lower the learning rate" in spikes[0].message
    assert spikes[0].node == b.graph.by_name("fc1").id  # the layer with the largest gradient
    b2 = GraphBuilder()
    b2.add("Output", b2.add("Sigmoid", b2.add("Linear", b2.add("Input", shape=[4]), out_features=2)))
    assert Diagnosis(b2.graph).vanishing_remedy == VANISHING_REMEDY


def test_the_window_spans_its_steps_when_norms_are_taken_every_few_steps():
    """The trainer takes norms every few steps: the diagnosis judges the same 50 steps from their samples."""
    from netbuilder import GraphBuilder
    from netbuilder.train.loop import Step

    b = GraphBuilder()
    h = b.add("Linear", b.add("Input", shape=[4]), name="fc1", out_features=8)
    b.add("Output", b.add("Linear", h, name="fc2", out_features=2))
    diagnosis = Diagnosis(b.graph)

    class Fake:
        norms_every = 4

        class monitor:
            layers = ["fc1", "fc2"]

        class model:
            @staticmethod
            def named_children():
                return []
    diagnosis.on_train_start(Fake)
    for i in range(49):
        diagnosis.on_step_end(Fake, Step(0, i, i, 100, 8, 0.1, {"loss": 1.0}, [1e-9, 1e-9] if i % 4 == 0 else []))
    assert not diagnosis.latest and len(diagnosis.norms) == 13  # the steps without norms are not counted
    diagnosis.on_step_end(Fake, Step(0, 49, 49, 100, 8, 0.1, {"loss": 1.0}, []))
    vanishing = [p.message for p in diagnosis.latest if "vanishing" in p.message]
    assert vanishing and all("for 49 steps" in m for m in vanishing)
