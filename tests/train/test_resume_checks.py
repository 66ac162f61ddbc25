"""Resuming from a checkpoint that cannot be gone on from names what is wrong with it: weights of another type or
not finite, an epoch that is not a count; and a checkpoint that is fine still resumes (issue 26)."""
import copy

import pytest
import torch

from netbuilder import GraphBuilder
from netbuilder.data import digits
from netbuilder.train import TrainConfig, Trainer, TrainingError


def mlp():
    b = GraphBuilder()
    h = b.add("Linear", b.add("Flatten", b.add("Input", shape=[1, 8, 8])), out_features=16, name="hidden")
    b.add("Output", b.add("Linear", b.add("ReLU", h), out_features=10, name="classes"))
    return b.graph


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    data = digits(seed=0)
    Trainer(mlp(), TrainConfig(epochs=2, device="cpu"), *data, checkpoint_dir=folder).run()
    return torch.load(folder / "last.pt", weights_only=True), data


def every_float(state, how):
    if isinstance(state, torch.Tensor):
        return how(state) if state.is_floating_point() else state
    if isinstance(state, dict):
        return {k: every_float(v, how) for k, v in state.items()}
    if isinstance(state, list):
        return [every_float(v, how) for v in state]
    return state


def weights_as(dtype):
    return lambda s: s.update(model={k: v.to(dtype) for k, v in s["model"].items()})


@pytest.mark.parametrize("damage, message", [
    (weights_as(torch.float64), r"its weights are float64 \(hidden.weight\) and this network's are float32"),
    (lambda s: s.update(every_float(s, lambda t: t.double())), "its weights are float64"),
    (weights_as(torch.int64), "its weights are int64"),
    (lambda s: s["model"]["classes.bias"].fill_(float("nan")),
     r"its weights hold NaN or infinite values \(classes.bias\): the run had diverged"),
    (lambda s: s["model"]["hidden.weight"].__setitem__((0, 0), float("inf")), "hold NaN or infinite values"),
    (lambda s: s.update(epoch="three"), "its epoch is 'three', not a whole number"),
    (lambda s: s.update(epoch=2.5), "its epoch is 2.5, not a whole number"),
    (lambda s: s.update(epoch=-5), "its epoch is -5: epochs count from 0"),
    (lambda s: s.update(best="low"), "its best value so far is 'low', not a number"),
    (lambda s: s.pop("optimizers"), "it holds no optimizer or schedule state"),
])
def test_a_checkpoint_that_cannot_be_gone_on_from_says_why(tmp_path, trained, damage, message):
    state, data = trained
    state = copy.deepcopy(state)
    damage(state)
    torch.save(state, tmp_path / "damaged.pt")
    trainer = Trainer(mlp(), TrainConfig(epochs=5, device="cpu"), *data)
    with pytest.raises(TrainingError, match=message) as caught:
        trainer.load_checkpoint(tmp_path / "damaged.pt")
    assert "frozen, unfrozen" not in str(caught.value) and trainer.start_epoch == 0


def test_a_sound_checkpoint_resumes_after_its_epoch(tmp_path, trained):
    state, data = trained
    torch.save(state, tmp_path / "last.pt")
    trainer = Trainer(mlp(), TrainConfig(epochs=4, device="cpu"), *data)
    trainer.load_checkpoint(tmp_path / "last.pt")
    assert trainer.start_epoch == 2
    assert [e.epoch for e in trainer.run().epochs] == [2, 3]


def test_changed_lr_scales_still_give_their_own_reason(tmp_path, trained):
    state, data = trained
    torch.save(state, tmp_path / "last.pt")
    graph = mlp()
    graph.by_name("hidden").params["lr_scale"] = 0.1  # two parameter groups now, one in the checkpoint
    with pytest.raises(TrainingError, match="layers were frozen, unfrozen or given another lr_scale"):
        Trainer(graph, TrainConfig(epochs=4, device="cpu"), *data).load_checkpoint(tmp_path / "last.pt")
