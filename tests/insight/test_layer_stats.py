"""LayerStats: each layer's weights, activations and gradients counted once an epoch, at most KEEP epochs kept."""
from pathlib import Path

import torch

from netbuilder.data.builtin import digits
from netbuilder.graph.io import load
from netbuilder.layers import check_node
from netbuilder.train import TrainConfig, Trainer
from netbuilder.insight.layer_stats import KEEP, LayerStats, thin

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_each_layer_is_counted_once_an_epoch():
    graph = load(TEMPLATES / "cnn_digits.json", check_node)
    train, val = digits(seed=0)
    stats = LayerStats()
    trainer = Trainer(graph, TrainConfig(epochs=2, batch_size=64, device="cpu"), train, val, callbacks=[stats])
    trainer.run()
    conv = trainer.model.conv1
    weights = stats.latest[("conv1", "weights")]
    assert [h.epoch for h in weights] == [1, 2]
    assert weights[-1].counts.sum() == conv.weight.numel() + conv.bias.numel()
    assert weights[-1].edges[0] <= conv.weight.min().item() and weights[-1].edges[-1] >= conv.weight.max().item()
    activations = stats.latest[("conv1", "activations")][-1]
    assert activations.counts.sum() == 64 * 16 * 8 * 8  # the probe's 64 samples, 16 maps of 8x8
    assert stats.latest[("conv1", "gradients")][-1].counts.sum() == conv.weight.numel() + conv.bias.numel()
    assert not any(layer.startswith("relu") and kind != "activations" for layer, kind in stats.latest)


def test_a_long_run_keeps_its_first_last_and_evenly_spread_epochs():
    kept = []
    for epoch in range(1, 1001):
        kept = thin(kept + [epoch], epoch=int)
        assert len(kept) <= KEEP and kept[-1] == epoch
    assert kept == sorted(set(kept)) and kept[0] <= 32
    gaps = torch.tensor(kept).diff().float()
    assert gaps.max() <= 3 * gaps.mean()  # spread over the run, not crowded at its end


def test_a_blocks_layers_have_histograms_of_their_own():
    graph = load(TEMPLATES / "resnet_digits.json", check_node)  # ResBlock, stacked twice
    train, val = digits(seed=0)
    stats = LayerStats()
    Trainer(graph, TrainConfig(epochs=1, batch_size=64, device="cpu"), train, val, callbacks=[stats]).run()
    for layer in ("blocks", "blocks.1.conv_b"):  # the block as one, and each of its layers
        assert {kind for name, kind in stats.latest if name == layer} == {"weights", "gradients", "activations"}
    assert ("blocks.0.relu_a", "activations") in stats.latest
