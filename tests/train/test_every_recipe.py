"""Every recipe goes through the one loop: stop within a batch, pause, resume from its checkpoint, and the
non-finite rule names where it happened."""
import threading

import pytest
import torch

from netbuilder import GraphBuilder
from netbuilder.data import digits
from netbuilder.data.synthetic import ring
from netbuilder.train import Callback, TrainConfig, Trainer
from netbuilder.train.callbacks.checkpoints import Checkpoints


pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py


def chain(b, *layers):
    last = None
    for layer, name, params in layers:
        last = b.add(layer, *((last,) if last else ()), name=name, **params)


def classifier(b, prefix="", act="ReLU"):
    chain(b, ("Input", f"{prefix}image", {"shape": [1, 8, 8]}), ("Flatten", f"{prefix}flat", {}),
          ("Linear", f"{prefix}fc1", {"out_features": 16}), (act, f"{prefix}act", {}),
          ("Linear", f"{prefix}fc2", {"out_features": 10}), ("Output", f"{prefix}out", {}))


def autoencoder(b, variational=False):
    middle = [("Linear", "mu_logvar", {"out_features": 8}), ("Reparameterize", "z", {})] if variational \
        else [("Linear", "bottleneck", {"out_features": 4})]
    chain(b, ("Input", "image", {"shape": [1, 8, 8]}), ("Flatten", "flat", {}),
          ("Linear", "enc", {"out_features": 16}), ("ReLU", "enc_act", {}), *middle,
          ("Linear", "dec", {"out_features": 64}), ("Reshape", "back", {"shape": [1, 8, 8]}), ("Output", "out", {}))


def gan(b):
    chain(b, ("Input", "noise", {"shape": [4]}), ("Linear", "g1", {"out_features": 16}), ("ReLU", "g_act", {}),
          ("Linear", "g2", {"out_features": 2}), ("Output", "fake", {}))
    chain(b, ("Input", "sample", {"shape": [2]}), ("Linear", "d1", {"out_features": 16}),
          ("LeakyReLU", "d_act", {}), ("Linear", "d2", {"out_features": 1}), ("Output", "real_or_fake", {}))


def document(recipe):
    b = GraphBuilder()
    if recipe == "supervised":
        classifier(b)
    elif recipe in ("reconstruction", "variational"):
        autoencoder(b, recipe == "variational")
    elif recipe == "adversarial":
        gan(b)
    elif recipe == "next_token":
        chain(b, ("Input", "characters", {"shape": [8], "dtype": "int", "vocab_size": 6}),
              ("Embedding", "embed", {"num_embeddings": 6, "embedding_dim": 8}),
              ("Recurrent", "recurrent", {"cell": "GRU", "hidden_size": 16}),
              ("Linear", "next_character", {"out_features": 6}), ("Output", "scores", {}))
    else:
        classifier(b, "a_")
        classifier(b, "b_", act="Sigmoid")
    return b.graph


@pytest.fixture(scope="module")
def data():
    (x, y), val = digits(seed=0)
    points = ring(n=512, noise=0.1, seed=0)
    ids = torch.arange(4000) % 5 + (torch.arange(4000) % 7 == 0)  # a text of 6 characters with a rhythm
    windows = torch.arange(0, 3990, 4)[:, None] + torch.arange(8)
    text = (ids[windows], ids[windows + 1])
    return {"digits": ((x[:640], y[:640]), (val[0][:128], val[1][:128])), "ring": ((points.x, points.y), None),
            "text": ((text[0][:800], text[1][:800]), (text[0][800:], text[1][800:]))}


RECIPES = ["supervised", "reconstruction", "variational", "adversarial", "compare", "next_token"]
SOURCE = {"adversarial": "ring", "next_token": "text"}


def trainer(recipe, data, **settings):
    loss = "mse" if recipe in ("reconstruction", "variational") else "cross_entropy"
    config = TrainConfig(recipe=recipe, loss=loss, batch_size=64, device="cpu", **{"epochs": 2, **settings})
    train, val = data[SOURCE.get(recipe, "digits")]
    return Trainer(document(recipe), config, train, val)


class At(Callback):
    def __init__(self, step, do):
        self.step, self.do, self.steps = step, do, []

    def on_step_end(self, trainer, step):
        self.steps.append(step)
        if step.global_step == self.step:
            self.do(trainer)


@pytest.mark.parametrize("recipe", RECIPES)
def test_stop_takes_effect_within_one_batch(recipe, data):
    t = trainer(recipe, data, epochs=5)
    watch = At(3, lambda tr: tr.stop())
    t.callbacks.append(watch)
    result = t.run()
    assert result.status == "stopped" and len(watch.steps) == 4


@pytest.mark.parametrize("recipe", RECIPES)
def test_pause_waits_and_resume_goes_on(recipe, data):
    t = trainer(recipe, data, epochs=1)
    t.pause()
    done = []
    thread = threading.Thread(target=lambda: done.append(t.run()))
    thread.start()
    thread.join(0.3)
    assert thread.is_alive() and not done
    t.resume()
    thread.join(60)
    assert done[0].status == "finished"


@pytest.mark.parametrize("recipe", RECIPES)
def test_resume_goes_on_from_the_checkpoint(recipe, data, tmp_path):
    first = trainer(recipe, data, epochs=2)
    first.callbacks.insert(0, Checkpoints(tmp_path))
    assert first.run().status == "finished" and (tmp_path / "last.pt").is_file()
    again = trainer(recipe, data, epochs=3)
    again.load_checkpoint(tmp_path / "last.pt")
    assert again.start_epoch == 2
    for a, b in zip(first.model.state_dict().values(), again.model.state_dict().values()):
        assert torch.equal(a, b)
    result = again.run()
    assert [e.epoch for e in result.epochs] == [2]


# next_token is left out: its scores come from a bounded recurrent output, so a huge step gives huge but finite
# logits and a finite cross-entropy (tests/train/test_next_token.py covers it)
@pytest.mark.parametrize("recipe", [r for r in RECIPES if r != "next_token"])
def test_a_diverging_run_names_the_layer(recipe, data):
    result = trainer(recipe, data, optimizer="sgd", lr=1e30, momentum=0.0, epochs=3).run()
    assert result.status == "failed" and "NaN or infinite" in result.message, result.message
    assert result.bad_layer is not None and f"'{result.bad_layer}'" in result.message
