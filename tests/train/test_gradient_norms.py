"""Gradient norms at the rate they are read: every NORMS_EVERY-th step and each epoch's last one (every step
when clipping, which takes them anyway); a gradient that stops being finite is still caught."""
import math

import pytest
import torch

from netbuilder import GraphBuilder
from netbuilder.data import digits
from netbuilder.train import Callback, TrainConfig, Trainer
from netbuilder.train.loop import NORMS_EVERY


def mlp():
    b = GraphBuilder()
    h = b.add("Flatten", b.add("Input", name="image", shape=[1, 8, 8]))
    h = b.add("ReLU", b.add("Linear", h, name="fc1", out_features=32))
    b.add("Output", b.add("Linear", h, name="classes", out_features=10))
    return b.graph


@pytest.fixture(scope="module")
def data():
    (x, y), (vx, vy) = digits(seed=0)
    return (x[:300], y[:300]), (vx[:64], vy[:64])  # 10 steps an epoch at batch 32


class Steps(Callback):
    def __init__(self):
        self.steps = []

    def on_step_end(self, trainer, step):
        self.steps.append(step)


class BreakGradient(Callback):
    """From the end of step `at` on, fc1's weight gets a NaN gradient while the loss stays finite."""

    def __init__(self, at):
        self.at = at

    def on_step_end(self, trainer, step):
        if step.global_step == self.at:
            trainer.model.fc1.weight.register_hook(lambda g: torch.full_like(g, math.nan))


def test_norms_are_taken_every_few_steps_and_at_each_epochs_end(data):
    steps = Steps()
    trainer = Trainer(mlp(), TrainConfig(epochs=2, batch_size=32), *data, callbacks=[steps])
    assert trainer.run().status == "finished"
    per_epoch = trainer.steps_per_epoch
    taken = [s.global_step for s in steps.steps if s.grad_norms]
    expected = [g for g in range(2 * per_epoch) if g % NORMS_EVERY == 0 or g % per_epoch == per_epoch - 1]
    assert NORMS_EVERY > 1 and taken == expected
    assert all(len(s.grad_norms) == 2 and all(v > 0 for v in s.grad_norms) for s in steps.steps if s.grad_norms)
    assert trainer.norms_every == NORMS_EVERY


class Clipped(Callback):
    """Each step's gradient norm before clipping (from its Step) and after (the gradients the step left)."""

    def __init__(self):
        self.pairs = []

    def on_step_end(self, trainer, step):
        after = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in trainer.model.parameters()]))
        self.pairs.append((math.sqrt(sum(v * v for v in step.grad_norms)), float(after)))


def test_clipping_takes_norms_every_step_and_clips_by_them(data):
    clipped = Clipped()
    trainer = Trainer(mlp(), TrainConfig(epochs=1, batch_size=32, clip_norm=0.5), *data, callbacks=[clipped])
    assert trainer.run().status == "finished"
    assert trainer.norms_every == 1 and len(clipped.pairs) == trainer.steps_per_epoch
    assert any(before > 0.5 for before, _ in clipped.pairs)  # some steps were clipped
    for before, after in clipped.pairs:
        assert after == pytest.approx(min(before, 0.5), rel=1e-4)


def test_a_gradient_that_breaks_between_norms_is_caught_by_the_next_steps_loss(data):
    result = Trainer(mlp(), TrainConfig(epochs=2, batch_size=32), *data, callbacks=[BreakGradient(0)]).run()
    # step 2 (global 1) takes no norms: its NaN gradient reaches the weights, and step 3's loss is caught
    assert result.status == "failed" and "loss became NaN or infinite at step 3" in result.message
    assert "'fc1'" in result.message and result.bad_layer == "fc1"


def test_a_gradient_that_breaks_on_a_step_taking_norms_is_caught_on_it(data):
    result = Trainer(mlp(), TrainConfig(epochs=2, batch_size=32), *data,
                     callbacks=[BreakGradient(NORMS_EVERY - 1)]).run()
    assert result.status == "failed" and f"gradient became NaN or infinite at step {NORMS_EVERY + 1}" in result.message
    assert result.bad_layer == "fc1"


def test_clipping_catches_a_broken_gradient_on_its_step(data):
    result = Trainer(mlp(), TrainConfig(epochs=2, batch_size=32, clip_norm=1.0), *data,
                     callbacks=[BreakGradient(0)]).run()
    assert result.status == "failed" and "gradient became NaN or infinite at step 2" in result.message


def test_no_epoch_ends_on_an_unchecked_gradient(data, tmp_path):
    """The epoch's last step takes norms: a gradient broken there fails the run before its checkpoint."""
    per_epoch = 10
    assert (per_epoch - 1) % NORMS_EVERY != 0  # the last step would not be one of the every-few steps
    result = Trainer(mlp(), TrainConfig(epochs=2, batch_size=32), *data, checkpoint_dir=tmp_path,
                     callbacks=[BreakGradient(per_epoch - 2)]).run()
    assert result.status == "failed" and f"gradient became NaN or infinite at step {per_epoch}" in result.message
    assert not result.epochs and not (tmp_path / "last.pt").exists()
