"""GAN training: telling the two networks apart (and saying why not), alternating updates with both
losses and both networks' gradients per step, stop/pause, NaN, checkpoints, and samples that move
toward the data."""
import math
import threading

import pytest
import torch

from netbuilder import GraphBuilder
from netbuilder.data.synthetic import ring, ring_centres
from netbuilder.graph.problems import GraphError
from netbuilder.train import Callback, TrainConfig, Trainer, TrainingError
from netbuilder.train.loop import parts
from netbuilder.train.recipes.adversarial import (discriminator_accuracy, find_networks, mean_image_distance,
                                                  mode_coverage, near_mode_share, nearest_mode_distance,
                                                  spread_ratio)

GanTrainer = Trainer  # config() chooses the adversarial recipe
from netbuilder.train.callbacks.diagnosis import Diagnosis


pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py


def chain(b, layers):
    last = None
    for layer, name, params in layers:
        last = b.add(layer, *((last,) if last else ()), name=name, **params)
    return last


def generator(b, latent=4, out=2, prefix="g", width=32):
    chain(b, [("Input", f"{prefix}_noise", {"shape": [latent]}),
                 ("Linear", f"{prefix}1", {"out_features": width}), ("ReLU", f"{prefix}_relu", {}),
                 ("Linear", f"{prefix}2", {"out_features": out}), ("Output", "fake", {})])


def discriminator(b, shape=(2,), out=1, prefix="d", width=32):
    chain(b, [("Input", f"{prefix}_sample", {"shape": list(shape)}), ("Flatten", f"{prefix}_flat", {}),
                 ("Linear", f"{prefix}1", {"out_features": width}),
                 ("LeakyReLU", f"{prefix}_act", {"negative_slope": 0.2}),
                 ("Linear", f"{prefix}2", {"out_features": out}), ("Output", "real_or_fake", {})])


def gan(latent=4, data=2, d_shape=None, d_out=1, g_out=None, discriminator_first=False, width=32):
    b = GraphBuilder()
    parts = [lambda: generator(b, latent, g_out or data, width=width),
             lambda: discriminator(b, d_shape or (data,), d_out, width=width)]
    for make in (reversed(parts) if discriminator_first else parts):
        make()
    return b.graph


@pytest.fixture(scope="module")
def ring_data():
    data = ring(n=1024, noise=0.1, seed=0)
    return data.x, data.y


def config(**over):
    return TrainConfig(**{"recipe": "adversarial", "lr": 2e-3, "batch_size": 128, "epochs": 2, "device": "cpu",
                          **over})


class Recorder(Callback):
    def __init__(self, at=None, do=None):
        self.steps, self.epochs, self.calls, self.at, self.do = [], [], [], at, do

    def on_train_start(self, trainer):
        self.calls.append("start")

    def on_step_end(self, trainer, step):
        self.steps.append(step)
        if self.at is not None and step.global_step == self.at:
            self.do(trainer)

    def on_epoch_end(self, trainer, epoch):
        self.epochs.append(epoch)

    def on_train_end(self, trainer, result):
        self.calls.append(result.status)


# ---- which network is which ----------------------------------------------------------------------
@pytest.mark.parametrize("first", [False, True])
def test_the_networks_are_told_apart_by_shape_in_any_order(first):
    found = find_networks(gan(latent=4, data=2, discriminator_first=first), (2,))
    assert (found.generator, found.discriminator, found.latent, found.d_input) == ("fake", "real_or_fake", (4,), (2,))


def test_noise_as_large_as_a_sample_and_a_flat_discriminator_input_still_work():
    assert find_networks(gan(latent=2, data=2), (2,)).generator == "fake"  # [2] -> [2] and [2] -> [1]
    found = find_networks(gan(latent=16, data=64, d_shape=(64,)), (1, 8, 8))  # samples reshaped to it
    assert (found.generator, found.d_input) == ("fake", (64,))


def test_one_network_is_not_a_gan():
    b = GraphBuilder()
    generator(b)
    with pytest.raises(TrainingError, match=r"trains two networks, a generator and a discriminator, but this "
                                            r"document has 1: 'fake' \(Input 'g_noise' \[N, 4\] -> \[N, 2\]\)"):
        find_networks(b.graph, (2,))


def test_a_discriminator_with_two_outputs_is_named_as_missing():
    with pytest.raises(TrainingError, match=r"no network can be the discriminator: it needs an Input shaped like one "
                                            r"sample of the data \(\[N, 2\], 2 values\) and an Output of one value.*"
                                            r"'real_or_fake' \(Input 'd_sample' \[N, 2\] -> \[N, 2\]\)"):
        find_networks(gan(d_out=2), (2,))


def test_a_generator_of_the_wrong_size_is_named_as_missing():
    with pytest.raises(TrainingError, match=r"no network can be the generator: it needs an Input of noise and an "
                                            r"Output shaped like one sample of the data \(\[N, 2\], 2 values\).*"
                                            r"'fake' \(Input 'g_noise' \[N, 4\] -> \[N, 3\]\)"):
        find_networks(gan(g_out=3), (2,))


def test_a_discriminator_that_does_not_take_the_data_is_named_as_missing():
    with pytest.raises(TrainingError, match="no network can be the discriminator"):
        find_networks(gan(data=2), (3,))


def test_two_networks_that_could_each_be_either_are_ambiguous():
    with pytest.raises(TrainingError, match="cannot tell the generator from the discriminator"):
        find_networks(gan(latent=1, data=1), (1,))


def test_a_network_with_problems_is_a_graph_error():
    graph = gan()
    b = GraphBuilder(graph)
    b.add("Linear", name="stray", out_features=3)  # unwired: its input is missing
    with pytest.raises(GraphError):
        find_networks(graph, (2,))


def test_the_trainer_checks_the_networks_against_the_data(ring_data):
    with pytest.raises(TrainingError, match="no network can be the discriminator"):
        GanTrainer(gan(data=3), config(), ring_data)


def test_frozen_generator_says_which_network(ring_data):
    graph = gan()
    for name in ("g1", "g2"):
        graph.node(graph.by_name(name).id).params["trainable"] = False
    with pytest.raises(TrainingError, match="^the generator: every layer is frozen"):
        GanTrainer(graph, config(), ring_data)


# ---- training ------------------------------------------------------------------------------------
def test_each_step_reports_both_losses_and_both_networks_gradients(ring_data):
    rec = Recorder()
    trainer = GanTrainer(gan(), config(epochs=2), ring_data, ring_data, callbacks=[rec])
    result = trainer.run()
    assert result.status == "finished" and rec.calls == ["start", "finished"]
    assert trainer.monitor.layers == ["g1", "g2", "d1", "d2"]  # generator, then discriminator, network order
    assert len(rec.steps) == 2 * (1024 // 128)  # full batches only
    for step in rec.steps:
        losses = parts(step.metrics, "loss")
        assert set(losses) == {"generator", "discriminator"}
        assert step.loss == losses["generator"]
        assert all(math.isfinite(v) and v > 0 for v in losses.values())
        if step.global_step % trainer.norms_every == 0:  # the steps that take norms: both networks' layers
            assert len(step.grad_norms) == 4 and all(v > 0 for v in step.grad_norms)
        assert 0 < step.metrics["real_score"] < 1 and 0 < step.metrics["fake_score"] < 1
    assert len(rec.steps[0].update_ratios) == 4 and all(v > 0 for v in rec.steps[0].update_ratios)
    assert [s.global_step for s in rec.steps] == list(range(16))
    assert rec.epochs == result.epochs and len(result.epochs) == 2
    for epoch in result.epochs:
        assert epoch.train_loss == pytest.approx(epoch.metrics["loss/generator"])
        assert epoch.train_acc is None and epoch.val_acc is None
        assert epoch.val_loss > 0 and 0 <= epoch.metrics["d_accuracy"] <= 1
    # the two losses are different numbers: the discriminator's is the sum of its two halves
    assert rec.steps[0].metrics["loss/discriminator"] == pytest.approx(2 * math.log(2), abs=0.3)
    assert trainer.transferred == [] and trainer.transfer_skipped == [] and trainer.recipe.test_tensors is None


def test_the_same_seed_gives_the_same_run(ring_data):
    runs = [GanTrainer(gan(), config(epochs=1, seed=5), ring_data).run().epochs[-1].metrics for _ in range(2)]
    other = GanTrainer(gan(), config(epochs=1, seed=6), ring_data).run().epochs[-1].metrics
    assert runs[0] == runs[1] and other != runs[0]


def test_each_update_moves_only_its_own_network(ring_data):
    for frozen, moved in (("generator", "discriminator"), ("discriminator", "generator")):
        trainer = GanTrainer(gan(), config(), ring_data)
        nets = trainer.recipe.networks
        before = {k: [p.detach().clone() for p in m.parameters()] for k, m in nets.items()}
        trainer.optimizers[frozen].step = lambda *a, **k: None  # that network's update is skipped
        trainer.recipe.training_step((trainer.recipe.train_tensors[0][:128],))
        assert all(torch.equal(a, b) for a, b in zip(before[frozen], nets[frozen].parameters()))
        assert not any(torch.equal(a, b) for a, b in zip(before[moved], nets[moved].parameters()))


def test_stop_takes_effect_within_one_batch(ring_data):
    rec = Recorder(at=2, do=lambda trainer: trainer.stop())
    result = GanTrainer(gan(), config(epochs=5), ring_data, callbacks=[rec]).run()
    assert result.status == "stopped" and result.message == "stopped during epoch 1"
    assert len(rec.steps) == 3 and rec.calls[-1] == "stopped"


def test_pause_waits_and_resume_goes_on(ring_data):
    resumed = []

    def pause(trainer):
        trainer.pause()
        assert trainer.paused

        def later():
            resumed.append(len(rec.steps))
            trainer.resume()
        threading.Timer(0.2, later).start()

    rec = Recorder(at=1, do=pause)
    result = GanTrainer(gan(), config(epochs=1), ring_data, callbacks=[rec]).run()
    assert result.status == "finished" and resumed == [2] and len(rec.steps) == 8


def test_stop_while_paused_ends_the_run(ring_data):
    trainer = GanTrainer(gan(), config(epochs=3), ring_data)
    trainer.pause()
    threading.Timer(0.1, trainer.stop).start()
    result = trainer.run()
    assert result.status == "stopped" and not trainer.paused


def test_a_nan_loss_ends_the_run_and_names_where(ring_data):
    x, y = ring_data[0].clone(), ring_data[1]
    x[:] = float("nan")
    result = GanTrainer(gan(), config(), (x, y)).run()
    assert result.status == "failed"
    assert result.message.startswith("the discriminator's loss became NaN or infinite at step 1: the training"
                                     " data itself holds NaN or infinite values")
    assert result.bad_layer is None


def test_a_diverging_gan_names_the_layer(ring_data):
    result = GanTrainer(gan(), config(lr=1e30, optimizer="sgd", momentum=0.0), ring_data).run()
    assert result.status == "failed" and "NaN or infinite" in result.message
    assert result.bad_layer in ("g1", "g2", "d1", "d2") and f"'{result.bad_layer}'" in result.message


def test_samples_are_fixed_by_their_seed_and_shaped_like_the_data(ring_data):
    trainer = GanTrainer(gan(latent=16, data=64, d_shape=(64,)), config(), (torch.rand(256, 1, 8, 8),))
    recipe = trainer.recipe
    a, b, c = recipe.samples(10, seed=1), recipe.samples(10, seed=1), recipe.samples(10, seed=2)
    assert a.shape == (10, 1, 8, 8) and torch.equal(a, b) and not torch.equal(a, c)
    assert recipe.generator.training  # eval mode only while sampling
    assert len(recipe.samples()) == 64


def test_samples_move_toward_the_ring_over_training(ring_data):
    centres = ring_centres()
    trainer = GanTrainer(gan(latent=8, width=64), config(epochs=30), ring_data)
    before = nearest_mode_distance(trainer.recipe.samples(500, seed=3), centres).mean().item()
    distances = []

    class Watch(Callback):
        def on_epoch_end(self, t, epoch):
            if (epoch.epoch + 1) % 10 == 0:
                distances.append(nearest_mode_distance(t.recipe.samples(500, seed=3), centres).mean().item())

    trainer.callbacks.append(Watch())
    assert trainer.run().status == "finished"
    assert distances[-1] < 0.6 * before  # from a blob near the centre to the modes on the ring
    assert distances[-1] < distances[0]


def test_diagnosis_watches_both_networks(ring_data):
    graph = gan()
    diagnosis = Diagnosis(graph)
    trainer = GanTrainer(graph, config(epochs=1), ring_data, callbacks=[diagnosis])
    assert trainer.run().status == "finished"
    assert diagnosis.layers == ["g1", "g2", "d1", "d2"]
    assert set(diagnosis.activity) == {"g_relu"}  # its ReLU is watched (LeakyReLU is not)
    assert diagnosis.problems() == []


# ---- checkpoints ---------------------------------------------------------------------------------
def test_resume_goes_on_after_the_last_epoch(ring_data, tmp_path):
    first = GanTrainer(gan(), config(epochs=2), ring_data, checkpoint_dir=tmp_path)
    assert first.run().status == "finished" and (tmp_path / "last.pt").is_file()
    rec = Recorder()
    again = GanTrainer(gan(), config(epochs=3), ring_data, callbacks=[rec], checkpoint_dir=tmp_path)
    again.load_checkpoint(tmp_path / "last.pt")
    assert again.start_epoch == 2
    for a, b in zip(first.model.state_dict().values(), again.model.state_dict().values()):
        assert torch.equal(a, b)
    result = again.run()
    assert [e.epoch for e in result.epochs] == [2] and rec.steps[0].global_step == 16
    done = GanTrainer(gan(), config(epochs=3), ring_data)
    with pytest.raises(TrainingError, match="already has all 3 epochs"):
        done.load_checkpoint(tmp_path / "last.pt")


def test_resume_refuses_other_checkpoints(ring_data, tmp_path):
    trainer = GanTrainer(gan(), config(), ring_data)
    with pytest.raises(TrainingError, match="there is no checkpoint to resume from"):
        trainer.load_checkpoint(tmp_path / "missing.pt")
    b = GraphBuilder()
    b.add("Output", b.add("Linear", b.add("Input", shape=[2]), out_features=8))
    Trainer(b.graph, TrainConfig(epochs=1, device="cpu"), ring_data, checkpoint_dir=tmp_path / "plain").run()
    with pytest.raises(TrainingError, match="it is a checkpoint of a supervised run, and this run is adversarial"):
        trainer.load_checkpoint(tmp_path / "plain" / "last.pt")
    GanTrainer(gan(width=16), config(epochs=1), ring_data, checkpoint_dir=tmp_path / "narrow").run()
    with pytest.raises(TrainingError, match=r"the network has changed since that run \(g1 \(weight is \[16, 4\] there"
                                            r" and \[32, 4\] here\); g2 .*; d1 .*; d2 "):
        trainer.load_checkpoint(tmp_path / "narrow" / "last.pt")


# ---- measures ------------------------------------------------------------------------------------
def test_mode_coverage_counts_the_modes_with_enough_samples_nearby():
    centres = ring_centres()
    assert centres.shape == (8, 2) and torch.allclose(centres.norm(dim=1), torch.tensor(2.0))
    on_four = centres[:4].repeat(25, 1) + 0.05
    assert mode_coverage(on_four, centres, std=0.1) == 0.5
    assert near_mode_share(on_four, centres, std=0.1) == 1.0
    assert mode_coverage(torch.zeros(100, 2), centres, std=0.1) == 0.0  # all at the centre of the ring
    few = torch.cat([centres[:1].repeat(99, 1), centres[1:2]])  # one sample on mode 1: under 2%
    assert mode_coverage(few, centres, std=0.1) == 0.125
    assert mode_coverage(few, centres, std=0.1, min_share=0.01) == 0.25


def test_image_distance_and_spread():
    real = torch.rand(200, 1, 8, 8)
    assert mean_image_distance(real, real) == 0
    assert mean_image_distance(torch.zeros(5, 64), torch.ones(7, 1, 8, 8)) == pytest.approx(8.0)
    assert spread_ratio(real, real) == pytest.approx(1.0)
    assert spread_ratio(real[:1].repeat(50, 1, 1, 1), real) == 0  # collapsed to one image


def test_discriminator_accuracy_is_a_share(ring_data):
    trainer = GanTrainer(gan(), config(epochs=3), ring_data)
    trainer.run()
    accuracy = discriminator_accuracy(trainer, ring_data[0][:300])
    assert 0 <= accuracy <= 1
    assert accuracy == discriminator_accuracy(trainer, ring_data[0][:300])  # fixed noise for a seed
