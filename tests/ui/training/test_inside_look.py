"""What the Inside tab computes for a layer: an attention layer's matrix, a recurrent layer's input weights,
an autoencoder's reconstruction; an input the network cannot take is said."""
from pathlib import Path

import torch

from netbuilder import build_model, load_graph
from netbuilder.ui.training.inside_look import Looker

TEMPLATES = Path(__file__).resolve().parents[3] / "templates"


def look(template, layer, x, samples=None, loss="cross_entropy"):
    model = build_model(load_graph(TEMPLATES / f"{template}.json")).eval()
    return Looker().look(model, x, layer, "saliency", samples, loss)


def test_an_attention_layer_shows_its_matrix_and_a_recurrent_layer_its_input_weights():
    found = look("transformer_digits_rows", "encoders.1.attention", torch.rand(1, 8, 8), {"task": "classification"})
    assert "encoders.0.attention" in found.layers  # a block's layers are there by their dotted names
    assert found.captions[1] == "encoders.1.attention's attention" and found.pictures[1].shape == (8, 8, 3)
    assert found.answer.startswith("The network says <b>")
    found = look("lstm_digits_rows", "recurrent", torch.rand(1, 8, 8))
    assert found.tips[2] == "recurrent.rnn.weight_ih_l0 [256, 8]"  # 4 gates of 64


def test_an_autoencoder_shows_its_reconstruction_and_a_wrong_input_is_said():
    found = look("autoencoder_digits", "bottleneck", torch.rand(1, 1, 8, 8), loss="mse")
    assert found.reconstruction and found.captions[0] == "its reconstruction"
    assert found.pictures[0].shape == (8, 8, 3) and "mean squared difference" in found.answer
    found = look("cnn_digits", "conv1", torch.rand(1, 3, 5, 5))
    assert found.answer.startswith("The network cannot take this input:")
