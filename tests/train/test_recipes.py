"""The reconstruction (autoencoder) and variational (VAE) recipes: the target is the input, labels are not
used, the VAE's loss holds kl_weight x the KL term of its Reparameterize layers, and the supervised recipe
is unchanged. Also the Reparameterize layer itself and the decoder helpers of train/generative.py."""
import math

import pytest
import torch
import torch.nn.functional as F

import netbuilder
from netbuilder import GraphBuilder
from netbuilder.data import digits
from netbuilder.data.dataset import DataSpec, prepare
from netbuilder.layers.modules import Reparameterize
from netbuilder.train import Callback, TrainConfig, Trainer, TrainingError
from netbuilder.train.generative import decode, decoder, encode, latent_grid, reconstructions
from netbuilder.train.fitting import training_data, use_dataset


def autoencoder(code=8, flat_output=False, sigmoid=True):
    b = GraphBuilder()
    h = b.add("Flatten", b.add("Input", name="image", shape=[1, 8, 8]))
    h = b.add("ReLU", b.add("Linear", h, name="encoder", out_features=32))
    h = b.add("Linear", h, name="bottleneck", out_features=code)
    h = b.add("Linear", b.add("ReLU", b.add("Linear", h, name="decoder", out_features=32)), name="pixels",
              out_features=64)
    h = b.add("Sigmoid", h) if sigmoid else h
    b.add("Output", h if flat_output else b.add("Reshape", h, name="to_image", shape=[1, 8, 8]))
    return b.graph


def vae(latent=2, hidden=32):
    b = GraphBuilder()
    h = b.add("Flatten", b.add("Input", name="image", shape=[1, 8, 8]))
    h = b.add("ReLU", b.add("Linear", h, name="encoder", out_features=hidden))
    z = b.add("Reparameterize", h, name="z", latent=latent)
    h = b.add("ReLU", b.add("Linear", z, name="decoder", out_features=hidden))
    h = b.add("Sigmoid", b.add("Linear", h, name="pixels", out_features=64))
    b.add("Output", b.add("Reshape", h, name="to_image", shape=[1, 8, 8]), name="reconstruction")
    return b.graph


def config(recipe, **kw):
    return TrainConfig(**{"recipe": recipe, "loss": "mse", "lr": 3e-3, "batch_size": 32, "epochs": 2,
                          "device": "cpu", **kw})


@pytest.fixture(scope="module")
def data():
    return digits(seed=0)


class Recorder(Callback):
    def __init__(self):
        self.steps, self.epochs = [], []

    def on_step_end(self, trainer, step):
        self.steps.append(step)

    def on_epoch_end(self, trainer, epoch):
        self.epochs.append(epoch)


# ---- the Reparameterize layer ----------------------------------------------------------------

def test_reparameterize_samples_while_training_and_gives_the_mean_when_evaluating():
    torch.manual_seed(0)
    layer = Reparameterize(in_features=6, latent=3)
    x = torch.randn(5, 6)
    mean, logvar = layer.mean(x), layer.logvar(x)
    layer.train()
    a, b = layer(x), layer(x)
    assert a.shape == (5, 3) and not torch.equal(a, b)  # sampled: z = mean + eps * std
    torch.manual_seed(1)
    eps = torch.randn(5, 3)
    torch.manual_seed(1)
    assert torch.allclose(layer(x), mean + eps * torch.exp(0.5 * logvar))
    layer.eval()
    assert torch.equal(layer(x), mean) and torch.equal(layer(x), layer(x))
    expected = (-0.5 * (1 + logvar - mean ** 2 - logvar.exp()).sum(dim=1)).mean()
    assert torch.allclose(layer.kl, expected) and layer.kl > 0


def test_kl_is_zero_at_the_prior():
    layer = Reparameterize(in_features=4, latent=2)
    for head in (layer.mean, layer.logvar):
        torch.nn.init.zeros_(head.weight)
        torch.nn.init.zeros_(head.bias)
    layer(torch.randn(7, 4))
    assert layer.kl.item() == 0.0


def test_compiled_vae_in_eval_mode_is_deterministic_and_exports():
    torch.manual_seed(0)
    graph = vae()
    model = netbuilder.build_model(graph).eval()
    x = torch.rand(6, 1, 8, 8)
    with torch.no_grad():
        assert torch.equal(model(x), model(x))
    namespace: dict = {}
    exec(compile(netbuilder.export_source(graph), "exported.py", "exec"), namespace)
    exported = namespace["Net"]().eval()
    exported.load_state_dict(model.state_dict())
    with torch.no_grad():
        assert torch.equal(exported(x), model(x))
    assert torch.allclose(exported.z.kl, model.z.kl)


# ---- reconstruction --------------------------------------------------------------------------

def test_reconstruction_target_is_the_input(data):
    graph = autoencoder()
    trainer = Trainer(graph, config("reconstruction", epochs=1), *data)
    seen = []
    trainer.model.register_forward_pre_hook(lambda m, args: seen.append(("input", args[0])))
    loss_fn = trainer.recipe.loss_fn
    trainer.recipe.loss_fn = lambda out, target: seen.append(("target", target)) or loss_fn(out, target)
    result = trainer.run()
    assert result.status == "finished"
    pairs = [(seen[i][1], seen[i + 1][1]) for i in range(0, 10, 2)]
    assert all(kind == ("input", "target")[i % 2] for i, (kind, _) in enumerate(seen[:10]))
    for x, target in pairs:
        assert target.shape == x.shape and torch.equal(target, x)
    e = result.epochs[0]
    assert e.train_acc is None and e.val_acc is None and "kl" not in e.metrics


def test_labels_are_not_used(data):
    (x, y), val = data
    wrong = (x, torch.randint(0, 3, (len(x),)).float())  # other labels give the same run
    a = Trainer(autoencoder(), config("reconstruction"), (x, y), val).run()
    b = Trainer(autoencoder(), config("reconstruction"), wrong, (val[0], val[1] * 0)).run()
    assert [e.train_loss for e in a.epochs] == [e.train_loss for e in b.epochs]
    assert [e.val_loss for e in a.epochs] == [e.val_loss for e in b.epochs]


def test_reconstruction_evaluation_is_the_reconstruction_loss(data):
    (x, y), (vx, vy) = data
    graph = autoencoder(flat_output=True)  # the output is flat: the target is the input reshaped to it
    trainer = Trainer(graph, config("reconstruction", epochs=3, loss="l1"), (x, y), (vx, vy), test=(vx, vy))
    result = trainer.run()
    assert result.status == "finished" and result.epochs[-1].train_loss < result.epochs[0].train_loss
    model = trainer.model.eval()
    with torch.no_grad():
        expected = F.l1_loss(model(vx), vx.flatten(1)).item()
    assert result.evaluation.loss == pytest.approx(expected, rel=1e-5)
    assert result.evaluation.accuracy is None and result.evaluation.confusion is None
    assert result.epochs[-1].val_loss == pytest.approx(expected, rel=1e-5)
    assert trainer.recipe.evaluate((vx, vy * 0)).loss == pytest.approx(expected, rel=1e-5)


def test_autoencoder_learns(data):
    result = Trainer(autoencoder(), config("reconstruction", epochs=15), *data).run()
    losses = [e.val_loss for e in result.epochs]
    assert losses[-1] < 0.6 * losses[0] and losses[-1] < 0.04  # the average digit scores about 0.07


@pytest.mark.parametrize("loss", ["cross_entropy", "nll"])
def test_reconstruction_needs_a_loss_that_compares_values(data, loss):
    with pytest.raises(TrainingError, match="choose the mse loss"):
        Trainer(autoencoder(), config("reconstruction", loss=loss), *data)


def test_reconstruction_output_must_match_the_input(data):
    b = GraphBuilder()
    b.add("Output", b.add("Linear", b.add("Flatten", b.add("Input", name="image", shape=[1, 8, 8])),
                          out_features=10), name="logits")
    with pytest.raises(TrainingError, match=r"'logits' gives \[N, 10\] \(10 values\).*64 values"):
        Trainer(b.graph, config("reconstruction"), *data)


def test_bce_with_logits_reconstruction(data):
    graph = autoencoder(flat_output=True, sigmoid=False)  # bce_with_logits takes scores, no Sigmoid
    rec = Recorder()
    result = Trainer(graph, config("reconstruction", loss="bce_with_logits", epochs=3), *data,
                     callbacks=[rec]).run()
    assert result.status == "finished" and result.epochs[-1].train_acc is None
    assert result.epochs[-1].train_loss < result.epochs[0].train_loss


# ---- variational -----------------------------------------------------------------------------

def first_step(data, graph, **kw):
    rec = Recorder()
    Trainer(graph, config("variational", epochs=1, **kw), *data, callbacks=[rec]).run()
    return rec.steps[0]


def test_kl_term_is_added_with_its_weight(data):
    """Same seed, same weights, same batch and noise: the losses differ by exactly kl_weight x KL."""
    plain = first_step(data, vae(), kl_weight=0.0)
    weighted = first_step(data, vae(), kl_weight=0.5)
    kl = weighted.metrics["kl"]
    assert plain.metrics["kl"] == pytest.approx(kl) and kl > 0
    assert weighted.loss - plain.loss == pytest.approx(0.5 * kl, rel=1e-4)


def test_kl_term_matches_the_layer(data):
    (x, _), _ = data
    trainer = Trainer(vae(), config("variational", kl_weight=2.0), *data)
    trainer.model.train()
    torch.manual_seed(5)
    out = trainer.model(x[:40])
    loss = trainer.recipe.objective(out, x[:40])["loss"]
    kl = trainer.model.z.kl
    torch.manual_seed(5)
    again = trainer.model(x[:40])
    assert torch.equal(out, again)
    assert loss.item() == pytest.approx(F.mse_loss(again, x[:40]).item() + 2.0 * kl.item(), rel=1e-5)


def test_vae_loss_goes_down_and_reports_its_kl(data):
    rec = Recorder()
    result = Trainer(vae(), config("variational", epochs=12, kl_weight=0.005), *data, callbacks=[rec]).run()
    assert result.status == "finished"
    first, last = result.epochs[0], result.epochs[-1]
    assert last.train_loss < 0.8 * first.train_loss and last.val_loss < 0.8 * first.val_loss
    assert all(e.metrics.get("kl", 0) > 0 for e in result.epochs)
    assert all("kl" in s.metrics for s in rec.steps) and last.train_acc is None
    steps = [s for s in rec.steps if s.epoch == last.epoch]
    mean = sum(s.metrics["kl"] * s.samples for s in steps) / sum(s.samples for s in steps)
    assert last.metrics["kl"] == pytest.approx(mean)


def test_vae_validation_is_deterministic_and_holds_the_kl(data):
    _, (vx, vy) = data
    trainer = Trainer(vae(), config("variational", epochs=2, kl_weight=0.1), *data)
    trainer.run()
    a, b = trainer.recipe.evaluate((vx, vy)), trainer.recipe.evaluate((vx, vy))
    assert a.loss == b.loss
    model = trainer.model.eval()
    with torch.no_grad():
        out = model(vx)
    expected = F.mse_loss(out, vx).item() + 0.1 * model.z.kl.item()
    assert a.loss == pytest.approx(expected, rel=1e-5)


def test_variational_needs_a_reparameterize_layer(data):
    with pytest.raises(TrainingError, match="needs a Reparameterize layer"):
        Trainer(autoencoder(), config("variational"), *data)


def test_reconstruction_recipe_ignores_the_kl(data):
    rec = Recorder()
    Trainer(vae(), config("reconstruction", epochs=1), *data, callbacks=[rec]).run()
    assert "kl" not in rec.steps[0].metrics and "kl" not in rec.epochs[0].metrics


def test_supervised_steps_report_no_kl(data):
    b = GraphBuilder()
    b.add("Output", b.add("Linear", b.add("Flatten", b.add("Input", shape=[1, 8, 8])), out_features=10))
    rec = Recorder()
    result = Trainer(b.graph, TrainConfig(epochs=1, device="cpu"), *data, callbacks=[rec]).run()
    assert result.epochs[0].train_acc is not None and "kl" not in result.epochs[0].metrics
    assert "kl" not in rec.steps[0].metrics


# ---- the document's data ---------------------------------------------------------------------

def test_training_data_accepts_mse_on_digits_for_reconstruction():
    graph = autoencoder()
    for recipe in ("reconstruction", "variational"):
        data = training_data(graph, config(recipe))
        assert data.train[0].shape[1:] == (1, 8, 8)
    with pytest.raises(TrainingError, match="classification task"):
        training_data(graph, TrainConfig(loss="mse"))  # supervised: unchanged
    with pytest.raises(TrainingError, match="choose the mse loss"):
        training_data(graph, config("reconstruction", loss="cross_entropy"))


def test_use_dataset_keeps_an_autoencoder_an_autoencoder():
    from netbuilder.graph import SetParam

    graph = autoencoder()
    graph.meta["training"] = {"recipe": "reconstruction", "loss": "cross_entropy"}
    graph.apply(SetParam(graph, graph.by_name("image").id, "shape", [30]))
    graph.apply(SetParam(graph, graph.by_name("pixels").id, "out_features", 10))
    graph.apply(SetParam(graph, graph.by_name("to_image").id, "shape", [2, 5]))
    spec = DataSpec(source="digits")
    edit, left = use_dataset(graph, spec, prepare(spec))
    graph.apply(edit)
    assert left == []
    assert graph.by_name("image").params["shape"] == [1, 8, 8]
    assert graph.by_name("pixels").params["out_features"] == 64
    assert graph.by_name("to_image").params["shape"] == [1, 8, 8]
    assert graph.meta["training"] == {"recipe": "reconstruction", "loss": "mse"}
    Trainer(graph, config("reconstruction", epochs=1), *digits(seed=0))  # fits now


# ---- decoder, encoder, reconstructions, latent grid ------------------------------------------

@pytest.fixture(scope="module")
def trained_vae(data):
    graph = vae(latent=3)
    trainer = Trainer(graph, config("variational", epochs=3, kl_weight=0.01), *data)
    trainer.run()
    return graph, trainer.model


def test_decoding_the_code_gives_the_network_output(trained_vae, data):
    graph, model = trained_vae
    _, (vx, _) = data
    model.train()  # the helpers evaluate, then put the mode back
    z = encode(graph, model, vx[:10])
    assert z.shape == (10, 3)
    rebuilt = decode(graph, model, z)
    assert model.training and model.z.training
    with torch.no_grad():
        assert torch.allclose(rebuilt, model.eval()(vx[:10]))
    model.train()
    assert decoder(graph, model) is decoder(graph, model)  # built once per network
    assert set(dict(decoder(graph, model).named_children())) == {"decoder", "relu2", "pixels", "sigmoid1",
                                                                  "to_image"}


def test_decoder_from_a_named_layer_of_a_plain_autoencoder():
    torch.manual_seed(0)
    graph = autoencoder()
    model = netbuilder.build_model(graph).eval()
    x = torch.rand(4, 1, 8, 8)
    code = encode(graph, model, x, start="bottleneck")
    assert code.shape == (4, 8)
    with torch.no_grad():
        assert torch.allclose(decode(graph, model, code, start="bottleneck"), model(x))
    with pytest.raises(ValueError, match="no Reparameterize layer"):
        decode(graph, model, code)


def test_no_decoder_around_a_skip_connection():
    b = GraphBuilder()
    h = b.add("Flatten", b.add("Input", shape=[1, 8, 8]))
    z = b.add("Reparameterize", h, name="z", latent=2)
    b.add("Output", b.add("Add", b.add("Linear", z, out_features=64), h))
    model = netbuilder.build_model(b.graph)
    with pytest.raises(ValueError, match="comes before 'z'"):
        decoder(b.graph, model)


def test_reconstructions_are_images(trained_vae, data):
    graph, model = trained_vae
    _, (vx, _) = data
    originals, rebuilt = reconstructions(model, vx, n=8)
    assert originals.shape == rebuilt.shape == (8, 1, 8, 8)
    again = reconstructions(model, vx, n=8)[1]
    assert torch.equal(rebuilt, again)  # the mean, not a sample
    picked = torch.linspace(0, len(vx) - 1, 8).round().long()
    assert torch.equal(originals, vx[picked])
    flat = reconstructions(netbuilder.build_model(autoencoder(flat_output=True)), vx, n=3)
    assert flat[0].shape == flat[1].shape == (3, 1, 8, 8)


def test_latent_grid(trained_vae):
    graph, model = trained_vae
    grid = latent_grid(graph, model, steps=5)
    assert grid.shape == (25, 1, 8, 8)
    assert torch.equal(grid, latent_grid(graph, model, steps=5))
    assert 0 <= grid.min() and grid.max() <= 1  # the Sigmoid's pixels
    # the grid's middle cell is z = 0 (latent dims 1, 2 and 3), the corners differ from it
    middle = decode(graph, model, torch.zeros(1, 3))
    assert torch.allclose(grid[12], middle.reshape(1, 8, 8))
    assert not torch.allclose(grid[0], grid[24])
    top_left = torch.distributions.Normal(0.0, 1.0).icdf(torch.tensor([0.025, 0.975]))
    z = torch.tensor([[top_left[0], top_left[1], 0.0]])
    assert torch.allclose(grid[0], decode(graph, model, z).reshape(1, 8, 8), atol=1e-6)
    assert not math.isnan(grid.sum().item())
