"""The denoising recipe (a diffusion model): the schedule, the forward noising in closed form, DDPM and DDIM
steps back, and the recipe's checks of the network it feeds."""
import math

import pytest
import torch

from netbuilder import GraphBuilder
from netbuilder.data.dataset import DataSpec, prepare
from netbuilder.train import TrainConfig, TrainingError, make_trainer
from netbuilder.train.applies import applies
from netbuilder.train.diffusion import Schedule, betas, reverse, timesteps
from netbuilder.train.fitting import data_problems

pytestmark = pytest.mark.usefixtures("one_thread")


def test_the_schedules_are_the_papers():
    linear = betas("linear", 1000)
    assert linear[0].item() == pytest.approx(1e-4) and linear[-1].item() == pytest.approx(0.02)
    assert betas("linear", 100)[-1].item() == pytest.approx(0.2)  # fewer steps, each larger: as far in the end
    s = Schedule.make("cosine", 50)
    t = torch.arange(1, 51, dtype=torch.float64) / 50
    f = lambda u: torch.cos((u + 0.008) / 1.008 * math.pi / 2) ** 2  # noqa: E731
    expected = (f(t) / f(torch.zeros(1, dtype=torch.float64))).clamp(min=1e-12)
    assert torch.allclose(s.alpha_bars[:-1].double(), expected[:-1], rtol=1e-4)  # the last beta is capped at 0.999
    assert (s.betas > 0).all() and (s.betas <= 0.999).all()
    with pytest.raises(ValueError, match="noise_schedule must be one of linear, cosine"):
        betas("quadratic", 10)


@pytest.mark.parametrize("kind", ["linear", "cosine"])
def test_forward_noising_matches_the_closed_form(kind):
    """Noising step by step, x_t = sqrt(1 - beta_t) x_{t-1} + sqrt(beta_t) eps, gives what noised() gives at once:
    mean sqrt(ab_t) x0 and variance 1 - ab_t."""
    s = Schedule.make(kind, 40)
    gen = torch.Generator().manual_seed(0)
    x0 = torch.tensor([1.5, -0.5]).repeat(200_000, 1)
    x = x0.clone()
    for t in range(40):
        x = (1 - s.betas[t]).sqrt() * x + s.betas[t].sqrt() * torch.randn(x.shape, generator=gen)
        if t in (0, 9, 39):
            ab = s.alpha_bars[t]
            assert torch.allclose(x.mean(0), ab.sqrt() * x0[0], atol=0.01)
            assert torch.allclose(x.var(0), (1 - ab).expand(2), atol=0.01)
            eps = torch.randn(x0.shape, generator=gen)
            at_once = s.noised(x0, torch.full((len(x0),), t), eps)
            assert torch.allclose(at_once, ab.sqrt() * x0 + (1 - ab).sqrt() * eps)
            assert torch.allclose(at_once.mean(0), x.mean(0), atol=0.01)
            assert torch.allclose(at_once.var(0), x.var(0), atol=0.01)


def _predict():
    """A fixed stand-in for a network: some noise prediction that depends on x and t."""
    w = torch.randn(2, 2, generator=torch.Generator().manual_seed(3))
    return lambda x, t: torch.tanh(x @ w) * (1 + t.float().reshape(-1, 1) / 100)


@pytest.mark.parametrize("clip", [None, (-3.0, 3.0)])
def test_ddim_through_every_step_with_eta_one_is_ddpm(clip):
    s = Schedule.make("linear", 30)
    predict = _predict()
    for mean_path in (True, False):
        a, path_a = reverse(predict, s, (64, 2), "ddpm", generator=torch.Generator().manual_seed(1), keep=5,
                            mean_path=mean_path, clip=clip)
        b, path_b = reverse(predict, s, (64, 2), "ddim", steps=30, eta=1.0, generator=torch.Generator().manual_seed(1),
                            keep=5, mean_path=mean_path, clip=clip)
        assert torch.allclose(a, b, atol=1e-5)
        assert [t for t, _ in path_a] == [t for t, _ in path_b] and len(path_a) == 5
        assert all(torch.allclose(x, y, atol=1e-5) for (_, x), (_, y) in zip(path_a, path_b))
    # DDIM's own path (eta 0) is deterministic, and not DDPM's
    c = reverse(predict, s, (64, 2), "ddim", steps=30, generator=torch.Generator().manual_seed(1))[0]
    d = reverse(predict, s, (64, 2), "ddim", steps=30, generator=torch.Generator().manual_seed(1))[0]
    assert torch.equal(c, d) and not torch.allclose(c, a, atol=1e-3)


def test_one_step_back_agrees_in_its_two_forms():
    """DDPM's mean from the predicted noise equals the posterior's mean from the predicted x0 (nothing clipped),
    and clipping x0 keeps it inside the range."""
    s = Schedule.make("cosine", 20)
    x, eps = torch.randn(16, 2), torch.randn(16, 2)
    for t in (0, 5, 19):
        assert torch.allclose(s.ddpm_mean(x, t, eps), s.ddpm_mean(x, t, eps, clip=(-1e9, 1e9)), atol=1e-4)
        assert s.predicted_x0(x, t, eps, clip=(-1.0, 1.0)).abs().max() <= 1.0


def test_ddim_visits_fewer_steps_evenly():
    assert timesteps(10, None) == list(range(9, -1, -1))
    assert timesteps(100, 5) == [99, 74, 50, 25, 0]
    assert timesteps(10, 50) == list(range(9, -1, -1))


# ---- the recipe -------------------------------------------------------------------------------------
def ring_denoiser(vocab=50, two_inputs=True):
    b = GraphBuilder()
    x = b.add("Input", name="noisy", shape=[2])
    h = b.add("Linear", x, out_features=32)
    if two_inputs:
        t = b.add("Input", name="step", shape=[1], dtype="int", vocab_size=vocab)
        h = b.add("Add", h, b.add("Linear", b.add("TimestepEmbedding", t, dim=16), out_features=32))
    h = b.add("SiLU", h)
    b.add("Output", b.add("Linear", h, out_features=2), name="noise")
    graph = b.graph
    graph.meta["data"] = {"source": "ring", "options": {"n": 600, "noise": 0.1}}
    return graph


def config(**changes):
    return TrainConfig(**{"recipe": "denoising", "epochs": 3, "batch_size": 64, "lr": 3e-3, "device": "cpu",
                          "diffusion_steps": 50, **changes})


def test_the_recipe_trains_the_network_to_see_the_noise(tmp_path):
    trainer, data = make_trainer(ring_denoiser(), config(epochs=8), checkpoint_dir=tmp_path)
    result = trainer.run()
    assert result.status == "finished", result.message
    losses = [e.metrics["loss"] for e in result.epochs]
    assert losses[-1] < 0.9 * losses[0] and result.epochs[-1].val_loss is not None
    made = trainer.recipe.samples(100, seed=4)
    assert made.shape == (100, 2) and torch.isfinite(made).all()
    assert torch.equal(made, trainer.recipe.samples(100, seed=4))  # a seed gives the same samples
    fast = trainer.recipe.samples(100, seed=4, method="ddim", steps=10)
    assert fast.shape == (100, 2) and not torch.equal(fast, made)
    caption, points, real, strip = trainer.recipe.pictures(8)
    assert "DDPM in 50 steps" in caption and points.shape == (500, 2) and real.shape[1] == 2
    assert [label for label, _ in strip][0] == "step 50" and strip[-1][0] == "step 0"
    assert torch.equal(strip[-1][1], points)
    assert (tmp_path / "last.pt").is_file()


def test_a_resumed_run_draws_the_same_noise(tmp_path):
    """The recipe's random steps and noise are checkpointed: two epochs then one more equals three at once."""
    whole, _ = make_trainer(ring_denoiser(), config(epochs=3), checkpoint_dir=tmp_path / "a")
    losses = [e.metrics["loss"] for e in whole.run().epochs]
    first, _ = make_trainer(ring_denoiser(), config(epochs=2), checkpoint_dir=tmp_path / "b")
    first.run()
    rest, _ = make_trainer(ring_denoiser(), config(epochs=3), checkpoint_dir=tmp_path / "b")
    rest.load_checkpoint(tmp_path / "b" / "last.pt")
    assert rest.run().epochs[-1].metrics["loss"] == pytest.approx(losses[-1], rel=1e-5)


def test_a_network_of_one_input_is_told_what_to_add():
    with pytest.raises(TrainingError, match=r"two Inputs, the noisy sample \[2\] and its timestep \[1\]"):
        make_trainer(ring_denoiser(two_inputs=False), config())


def test_the_timestep_input_must_reach_the_last_step():
    graph = ring_denoiser(vocab=10)
    spec = DataSpec.from_dict(graph.meta["data"])
    found = data_problems(graph, config(), prepare(spec), spec)
    assert len(found) == 1 and "indices below 10, but the steps run to 49" in found[0].message
    assert found[0].fix.value == 50 and found[0].node == graph.by_name("step").id
    with pytest.raises(TrainingError, match="the steps run to 49"):
        make_trainer(graph, config())


def test_its_settings_apply_to_it_alone_and_are_checked():
    assert applies(config(), "noise_schedule") and applies(config(), "ddim_steps")
    assert not applies(TrainConfig(), "diffusion_steps") and not applies(config(), "loss")
    assert config(sampling="ddim", ddim_steps=60).problems() == ["ddim_steps (60) must be at most diffusion_steps (50)"]
    assert "noise_schedule must be one of linear, cosine" in config(noise_schedule="square").problems()[0]


def test_samples_come_from_a_running_average_of_the_weights():
    trainer, _ = make_trainer(ring_denoiser(), config(epochs=1, ema_decay=0.9))
    trainer.run()
    recipe = trainer.recipe
    assert recipe.ema_steps == trainer.global_step
    before = [p.clone() for p in recipe.ema.parameters()]
    assert any(not torch.equal(a, b) for a, b in zip(before, recipe.model.parameters()))
    recipe.ema_steps = 1000  # past the first steps' faster decay: 0.9 itself
    recipe.average()
    for a, b, now in zip(before, recipe.model.parameters(), recipe.ema.parameters()):
        assert torch.allclose(now, a + 0.1 * (b - a))
    plain, _ = make_trainer(ring_denoiser(), config(epochs=1, ema_decay=0.0))
    plain.run()
    assert plain.recipe.ema is None and "ema" not in plain.recipe.state_dict()


def test_ddim_samples_with_eta_draw_noise_on_the_way_and_without_do_not():
    trainer, _ = make_trainer(ring_denoiser(), config(epochs=1))
    trainer.run()
    recipe = trainer.recipe
    plain = recipe.samples(16, seed=1, method="ddim", steps=10)
    assert torch.equal(plain, recipe.samples(16, seed=1, method="ddim", steps=10, eta=0.0))  # eta 0: the default
    drawn = [recipe.samples(16, seed=1, method="ddim", steps=10, eta=1.0) for _ in range(2)]
    assert torch.equal(drawn[0], drawn[1])  # a seed gives the same samples
    assert not torch.equal(drawn[0], plain)  # eta 1 adds noise at each step: a path of its own
    recipe.config = config(epochs=1, sampling="ddim", ddim_steps=10, ddim_eta=1.0)  # the setting says the same
    assert torch.equal(recipe.samples(16, seed=1), drawn[0]) and "DDIM in 10 steps, eta 1" in recipe.pictures(1)[0]
    assert applies(config(), "ddim_eta") and not applies(TrainConfig(), "ddim_eta")
    assert config(ddim_eta=1.5).problems() == ["ddim_eta must be a number from 0 to 1, not 1.5"]


def test_unit_range_trains_on_the_data_mapped_onto_minus_one_to_one_and_maps_the_samples_back():
    trainer, data = make_trainer(ring_denoiser(), config(epochs=1, unit_range=True))
    trainer.run()
    recipe, x = trainer.recipe, data.train[0]
    low, high = x.min().item(), x.max().item()
    trained = recipe.train_tensors[0]
    assert trained.min().item() == pytest.approx(-1) and trained.max().item() == pytest.approx(1)
    assert recipe.clip == pytest.approx((-1, 1))
    assert torch.allclose(recipe.unmapped(trained), x.reshape(trained.shape), atol=1e-5)
    made, path = recipe.sample_path(300, seed=2, keep=3)
    # the predicted clean sample is kept in the data's range, and the last step lands there
    assert low - 1e-4 <= made.min().item() and made.max().item() <= high + 1e-4 and made.abs().max() > 1.05
    assert torch.equal(path[-1][1], made)
    _, real, _ = recipe.pictures(1)[1:]
    assert torch.allclose(real, x.reshape(-1, 2), atol=1e-5)  # the real points under the samples, as they are
    plain, _ = make_trainer(ring_denoiser(), config(epochs=1))
    assert plain.recipe.unmapped(x) is x and plain.recipe.clip == (low, high)
    assert "unit_range must be true or false" in config(unit_range="yes").problems()[0]


def test_snr_gamma_weights_each_steps_loss_by_min_snr():
    trainer, data = make_trainer(ring_denoiser(), config(epochs=1, snr_gamma=5.0))
    recipe = trainer.recipe
    x0 = recipe.train_tensors[0][:200]
    gen = torch.Generator().manual_seed(1)
    t, eps = torch.randint(0, 50, (200,), generator=gen), torch.randn(x0.shape, generator=gen)
    ab = recipe.schedule.alpha_bars[t]
    snr = ab / (1 - ab)
    assert (snr > 5).any() and (snr < 5).any()  # both sides of gamma are drawn
    per = ((recipe.predict(recipe.schedule.noised(x0, t, eps), t) - eps) ** 2).mean(1)
    expected = (per * torch.minimum(snr, torch.tensor(5.0)) / snr).mean()
    assert recipe.objective(x0, t, eps).item() == pytest.approx(expected.item(), rel=1e-5)
    recipe.config.snr_gamma = 0.0  # off: the plain mean squared error
    assert recipe.objective(x0, t, eps).item() == pytest.approx(per.mean().item(), rel=1e-5)
    assert trainer.run().status == "finished"
    recipe.config.snr_gamma = 5.0  # what predicting no noise scores: each step's weight, averaged over the steps
    ab = recipe.schedule.alpha_bars
    assert recipe.baseline()["loss"] == pytest.approx((torch.minimum(ab / (1 - ab), torch.tensor(5.0)) / (ab / (1 - ab))).mean().item())
    assert 0.3 < recipe.baseline()["loss"] < 1
    assert "snr_gamma must be a number from 0 to 100000" in config(snr_gamma=-1).problems()[0]


def test_use_dataset_fits_the_sample_input_and_the_last_linear():
    from netbuilder.graph import SetParam
    from netbuilder.train.fitting import use_dataset

    graph = ring_denoiser()
    graph.meta["training"] = config().to_dict()
    graph.apply(SetParam(graph, graph.by_name("noisy").id, "shape", [3]))
    last = next(n for n in graph.nodes() if n.type == "Linear" and n.params["out_features"] == 2)
    graph.apply(SetParam(graph, last.id, "out_features", 3))
    spec = DataSpec.from_dict(graph.meta["data"])
    edit, left = use_dataset(graph, spec, prepare(spec))
    graph.apply(edit)
    assert graph.by_name("noisy").params["shape"] == [2] and graph.node(last.id).params["out_features"] == 2
    assert graph.by_name("step").params["shape"] == [1]  # the step's Input is left as it is
