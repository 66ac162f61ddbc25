"""A VAE written the usual way (tests/fixtures/vae.py) imports with its reparameterisation as the catalog's
Reparameterize layer, holding the two heads' weights: the imported document checks clean, gives the model's mean
path when evaluating, is set to the variational recipe and the digits, and trains with them as `netbuilder train`
trains it. Two heads that are not a VAE's stay as they are."""
import csv
from pathlib import Path

import pytest
import torch

import netbuilder
from netbuilder.analysis import Analysis
from netbuilder.cli import main
from netbuilder.compile.build import _class_name
from netbuilder.compile.importer.model import import_model, load_class, load_file
from netbuilder.graph import io
from netbuilder.layers import check_node

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "vae.py"
SIZES = {"features": 64, "hidden": 32, "latent": 2}


def _model(name, **args):
    torch.manual_seed(3)
    return load_class(FIXTURE, name)(**args).eval()


def _imported(name, tmp_path, **args):
    model = _model(name, **args)
    weights = tmp_path / f"{name}.pt"
    torch.save(model.state_dict(), weights)
    result = import_model(FIXTURE, name, args, [[args.get("features", 16)]], weights)
    analysis = Analysis(result.graph)
    try:
        assert [p.describe() for p in analysis.problems() if p.severity == "error"] == []
    finally:
        analysis.close()
    return model, result


def _built(result):
    built = netbuilder.build_model(result.graph).eval()
    built.load_state_dict(result.state)
    return built


def _mean_path(model, x):
    """The model's reconstruction from the mean of z, computed by its own methods."""
    mu, _ = model.encode(x.view(-1, model.features))
    return model.decode(mu)


@pytest.mark.parametrize("name", ["VAE", "MeanWhenEvaluating"])
def test_the_reparameterisation_becomes_a_reparameterize_layer_with_the_heads_weights(name, tmp_path):
    model, result = _imported(name, tmp_path, **SIZES)
    graph = result.graph
    assert [n.type for n in graph.nodes()] == ["Input", "Linear", "ReLU", "Reparameterize", "Linear", "ReLU",
                                               "Linear", "Sigmoid", "Output"]
    z = graph.by_name("z")
    assert z.params["latent"] == 2 and z.params["evaluating"] == "mean"
    assert torch.equal(result.state["z.mean.weight"], model.fc21.weight)
    assert torch.equal(result.state["z.logvar.bias"], model.fc22.bias)
    assert result.returned == (0,)  # mu and logvar are the layer's own
    assert "fc21 and fc22 (the mean and the log-variance)" in graph.meta["description"]
    x = torch.rand(5, 64)
    with torch.no_grad():
        expected = _mean_path(model, x)
        torch.testing.assert_close(_built(result)(x), expected, rtol=1e-4, atol=1e-6)
        source = tmp_path / "exported.py"
        source.write_text(netbuilder.export_source(graph))
        exported = getattr(load_file(source), _class_name(graph, None))().eval()
        exported.load_state_dict(result.state)
        torch.testing.assert_close(exported(x), expected, rtol=1e-4, atol=1e-6)
        if name == "MeanWhenEvaluating":  # it gives its mean itself when evaluating
            torch.testing.assert_close(model(x)[0], expected)


def test_training_the_layer_samples_as_the_model_does(tmp_path):
    """In training mode both draw z = mean + eps * exp(logvar / 2) with the same eps: the same reconstruction."""
    model, result = _imported("VAE", tmp_path, **SIZES)
    built = _built(result)
    x = torch.rand(5, 64)
    with torch.no_grad():
        torch.manual_seed(4)
        theirs = model.train()(x)[0]
        torch.manual_seed(4)
        ours = built.train()(x)
    torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=1e-6)
    mu, logvar = model.encode(x)
    kl = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=1)).mean()
    torch.testing.assert_close(built.z.kl, kl)  # what the variational recipe adds to the loss


def test_running_the_model_in_training_mode_to_check_it_leaves_its_statistics_as_they_were(tmp_path):
    model = _model("NormedVAE", **SIZES)
    with torch.no_grad():
        model.norm.running_mean.uniform_(-1, 1)
    weights = tmp_path / "normed.pt"
    torch.save(model.state_dict(), weights)
    result = import_model(FIXTURE, "NormedVAE", SIZES, [[64]], weights)
    assert "Reparameterize" in [n.type for n in result.graph.nodes()]
    saved = torch.load(weights)  # the imported weights are the file's, not those of a pass in training mode
    assert torch.equal(result.state["norm.running_mean"], saved["norm.running_mean"])
    assert int(result.state["norm.num_batches_tracked"]) == 0


def test_two_heads_that_are_not_a_vae_stay_as_they_are(tmp_path):
    _, heads = _imported("TwoHeads", tmp_path)  # both returned, nothing reads a latent code
    assert "Reparameterize" not in [n.type for n in heads.graph.nodes()] and heads.returned == (0, 1)
    model, steady = _imported("NoSampling", tmp_path, **SIZES)  # mu + std when evaluating, and when training too
    types = [n.type for n in steady.graph.nodes()]
    assert "Reparameterize" not in types and types.count("Output") == 3
    x = torch.rand(5, 64)
    with torch.no_grad():
        torch.testing.assert_close(_built(steady).train()(x)[0], model.train()(x)[0], rtol=1e-4, atol=1e-6)


def test_an_imported_vae_trains_with_the_variational_recipe_on_the_digits(tmp_path, capsys):
    document = tmp_path / "vae.json"
    assert main(["import", str(FIXTURE), "--class", "VAE", "--args", '{"features": 64, "hidden": 32, "latent": 2}',
                 "--input-shape", "64", "-o", str(document)]) == 0
    assert "forward's results 2, 3 (of the latent code) are inside its Reparameterize layer" in capsys.readouterr().out
    graph = io.load(document, check_node)
    assert graph.meta["training"] == {"recipe": "variational", "loss": "mse"}
    assert graph.meta["data"]["source"] == "digits"  # its 64 values, given back
    out = tmp_path / "run"
    assert main(["train", str(document), "--epochs", "3", "--out", str(out)]) == 0
    with open(out / "metrics.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["epoch"] for r in rows] == ["1", "2", "3"]
    assert all(float(r["kl"]) > 0 for r in rows)  # the KL term of the layer, trained
    assert float(rows[-1]["val_loss"]) < float(rows[0]["val_loss"])
    assert "epoch 3/3" in capsys.readouterr().out


def test_the_layer_can_give_the_mean_plus_one_standard_deviation_when_evaluating():
    """MONAI's VarAutoEncoder evaluates to mu + std (its corpus entry imports so: tests/compile/test_corpus.py)."""
    b = netbuilder.GraphBuilder()
    z = b.add("Reparameterize", b.add("Input", shape=[6]), latent=3, evaluating="mean + std")
    b.add("Output", z)
    model = netbuilder.build_model(b.graph).eval()
    x = torch.randn(4, 6)
    layer = model.get_submodule(b.graph.node(z).name)
    with torch.no_grad():
        expected = layer.mean(x) + torch.exp(0.5 * layer.logvar(x))
        torch.testing.assert_close(model(x), expected)
    assert "evaluating='mean + std'" in netbuilder.export_source(b.graph)
