"""Seeing inside: layer outputs and attention, the decision boundary of two features and a unit's map,
top classes, and Captum attributions shaped like the input (Grad-CAM refused without convolutions)."""
import pytest
import torch

from netbuilder import GraphBuilder, build_model
from netbuilder.data import digits
from netbuilder.data.synthetic import make
from netbuilder.graph.io import load
from netbuilder.layers import check_node
from netbuilder.train import TrainConfig, Trainer
from netbuilder.insight.probes import InsightError, attribution, class_scores, last_conv, layer_names, layer_outputs, plane, top_classes
from netbuilder.insight.boundary import Boundary
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_feature_maps_of_the_cnns_first_conv_have_its_output_shape():
    graph = load(TEMPLATES / "cnn_digits.json", check_node)
    model = build_model(graph)
    (x, _), _ = digits(seed=0)
    outputs = layer_outputs(model, (x[:4],))
    assert outputs["conv1"].shape == (4, 16, 8, 8) and outputs["fc2"].shape == (4, 10)
    assert last_conv(model) == "conv2"


def test_an_attention_layer_gives_its_weights():
    graph = load(TEMPLATES / "transformer_digits_rows.json", check_node)
    model = build_model(graph)
    x = torch.rand(3, 8, 8)
    names = [n for n in layer_names(model) if n.endswith("attention")]  # inside the EncoderLayer block
    assert names == ["encoders.0.attention", "encoders.1.attention"]
    weights = layer_outputs(model, (x,), names)[f"{names[1]}.attention"]
    assert weights.shape == (3, 8, 8)
    assert torch.allclose(weights.sum(dim=-1), torch.ones(3, 8), atol=1e-5)  # each row a distribution


def moons_mlp():
    b = GraphBuilder()
    h = b.add("Linear", b.add("Input", shape=[2]), name="hidden", out_features=16)
    b.add("Output", b.add("Linear", b.add("Tanh", h, name="act"), name="classes", out_features=2))
    return b.graph


def test_the_boundary_of_a_trained_mlp_separates_the_moons():
    data = make("moons", n=600, noise=0.1, seed=0)
    x, y = data.x, data.y
    boundary = Boundary(size=80)
    trainer = Trainer(moons_mlp(), TrainConfig(epochs=60, lr=0.02, batch_size=32, device="cpu"),
                      (x[:500], y[:500]), (x[500:], y[500:]), callbacks=[boundary])
    result = trainer.run()
    model = trainer.model
    grid, extent = plane(x, size=80)
    assert grid.shape == (6400, 2) and extent[0] < x[:, 0].min().item()
    scores = class_scores(model, grid)
    assert scores.shape == (6400, 2) and torch.allclose(scores.sum(1), torch.ones(6400))
    # the painted class at each data point (its nearest grid cell) is the model's answer there
    painted = scores.argmax(1).reshape(80, 80)
    cols = ((x[:, 0] - extent[0]) / (extent[1] - extent[0]) * 79).round().long()
    rows = ((x[:, 1] - extent[2]) / (extent[3] - extent[2]) * 79).round().long()
    grid_accuracy = (painted[rows, cols] == y).float().mean().item()
    model_accuracy = (class_scores(model, x).argmax(1) == y).float().mean().item()
    assert model_accuracy > 0.95 and abs(grid_accuracy - model_accuracy) < 0.03
    drawn = boundary.latest
    grid, _ = plane(x[500:], size=80)  # the callback's plane is over the validation samples
    assert drawn.epoch == 60 and (drawn.classes == class_scores(model, grid).argmax(1).reshape(80, 80).numpy()).all()
    with torch.no_grad():
        expected = torch.tanh(model.hidden(grid))[:, 0].reshape(80, 80)
    assert torch.allclose(torch.from_numpy(drawn.units["act"]), expected, atol=1e-5)  # a unit's map is its output
    assert result.status == "finished"


def test_attributions_have_the_inputs_shape_and_gradcam_needs_a_conv():
    graph = load(TEMPLATES / "cnn_digits.json", check_node)
    model = build_model(graph)
    (x, _), _ = digits(seed=0)
    for method in ("saliency", "ig", "gradcam"):
        found = attribution(model, x[:1], target=3, method=method)
        assert found.shape == x[:1].shape, method
    assert [c for c, _ in top_classes(model, x[:2], k=3)[0]].__len__() == 3
    mlp = build_model(moons_mlp())
    with pytest.raises(InsightError, match="Grad-CAM .* no Conv1d or Conv2d layer"):
        attribution(mlp, torch.rand(1, 2), target=0, method="gradcam")
    assert attribution(mlp, torch.rand(3, 2), target=1, method="ig").shape == (3, 2)
