"""Histograms of each layer's weights, activations and gradients, taken on the training thread once an epoch
(as TensorBoard's histograms), within 1% of the training time: drawn as a ridge over the epochs they show
a layer's weights spreading, its activations saturating or dying, its gradients fading. Activations are the layer's outputs for a fixed
probe of validation samples; gradients are those of the epoch's last batch. A run keeps at most KEEP epochs
of them (spread evenly over the run), so a run of a thousand epochs costs what one of sixty does."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import fx

from .probes import layer_names, layer_outputs
from ..train.callbacks import Budgeted

BINS = 40
KEEP = 60  # epochs kept per layer and kind
PROBE = 64  # validation samples whose activations are counted
KINDS = ("weights", "activations", "gradients")
BUDGET = 0.01  # of the training time: a tiny network's epochs are skipped now and then (the last never)


@dataclass(frozen=True)
class Histogram:
    epoch: int
    low: float
    high: float
    counts: np.ndarray  # [bins] over equal bins from low to high

    @property
    def edges(self) -> np.ndarray:
        return np.linspace(self.low, self.high, len(self.counts) + 1, dtype=np.float32)


def histogram(values: torch.Tensor, epoch: int, bins: int = BINS) -> Histogram | None:
    """The finite values' counts in `bins` equal bins from their lowest to their highest."""
    flat = values.detach().flatten().float()
    low, high = (v.item() for v in torch.aminmax(flat))
    if not (math.isfinite(low) and math.isfinite(high)):  # a NaN or an infinity: count the rest
        flat = flat[torch.isfinite(flat)]
        if not len(flat):
            return None
        low, high = (v.item() for v in torch.aminmax(flat))
    high = high if high > low else low + 1e-6
    counts = torch.histc(flat, bins=bins, min=low, max=high).cpu()
    return Histogram(epoch, low, high, counts.numpy())


def thin(kept: list, keep: int = KEEP, epoch=lambda h: h.epoch) -> list:
    """At most `keep` of a list of epochs' values: those of every epoch while they fit, then of every 2nd,
    4th, 8th... epoch (the stride doubling as the run grows), and always the newest."""
    latest = epoch(kept[-1])
    stride = 1
    while latest // stride > keep - 1:
        stride *= 2
    return [h for h in kept[:-1] if epoch(h) % stride == 0] + [kept[-1]]


class LayerStats(Budgeted):
    """`latest` maps (layer, kind) to its histograms over epochs; replaced whole, so the window may read it."""

    budget = BUDGET

    def __init__(self):
        self.latest: dict[tuple[str, str], list[Histogram]] = {}
        self._probe = None

    def on_train_start(self, trainer) -> None:
        super().on_train_start(trainer)
        data = trainer.recipe.val_tensors or trainer.recipe.train_tensors
        # one network called on its inputs: a GAN's or a comparison's networks are not one module's forward
        if isinstance(trainer.model, fx.GraphModule) and data and len(data) >= 2:
            self._probe = tuple(t[:PROBE] for t in data[:-1])

    def capture(self, trainer, number: int) -> None:
        found: dict[tuple[str, str], Histogram] = {}
        names = layer_names(trainer.model)  # a block, then its layers each on their own (blocks.0.conv_a)
        for name in names:
            module = trainer.model.get_submodule(name)
            params = [p for p in module.parameters() if p.requires_grad]
            if not params:
                continue
            found[(name, "weights")] = histogram(torch.cat([p.detach().flatten() for p in params]), number)
            grads = [p.grad.detach().flatten() for p in params if p.grad is not None]
            if grads:
                found[(name, "gradients")] = histogram(torch.cat(grads), number)
        if self._probe is not None:
            try:
                outputs = layer_outputs(trainer.model, self._probe, names)
            except (RuntimeError, ValueError, TypeError):  # a network that cannot take the probe: no activations
                outputs, self._probe = {}, None
            for name in names:  # (an attention layer's weights come as '<name>.attention' too: not these)
                if name in outputs:
                    found[(name, "activations")] = histogram(outputs[name], number)
        latest = dict(self.latest)
        for key, value in found.items():
            if value is not None:
                latest[key] = thin(latest.get(key, []) + [value])
        self.latest = latest
