"""Per-layer gradient statistics. On the device, one fused norm call per network on the steps that take them
(train/loop.py: NORMS_EVERY; before clipping) gives a norm per parameter tensor; they become per-layer norms on
the host, when the loop fetches them. Update-to-weight ratios are taken every RATIO_EVERY steps the same way."""
from __future__ import annotations

import math

import torch
from torch import nn

from ..compile.build import layer_units


class _Network:
    """The layers of one network with trainable parameters, in network order (a block's layers each on its own,
    by dotted names: blocks.0.conv_a)."""

    def __init__(self, model: nn.Module):
        self.layers: list[str] = []
        self.params: list[torch.Tensor] = []
        self.owner: list[int] = []  # the layer of each parameter tensor
        for name, module in layer_units(model):
            params = [p for p in module.parameters() if p.requires_grad]
            if params:
                self.layers.append(name)
                self.params += params
                self.owner += [len(self.layers) - 1] * len(params)
        self._before: list[torch.Tensor] | None = None

    def norms(self) -> list[torch.Tensor]:
        """The gradient norm of each parameter tensor (0-d tensors on the device; 0 where there is none)."""
        grads = [p.grad for p in self.params]
        try:
            return torch._foreach_norm(grads)
        except (TypeError, RuntimeError):  # a layer the loss does not reach has no gradient
            return torch._foreach_norm([g if g is not None else torch.zeros(1, device=p.device)
                                        for g, p in zip(grads, self.params)])

    def per_layer(self, values) -> list[float]:
        """Per-layer norms on the host from per-parameter ones: the root of the summed squares."""
        squares = [0.0] * len(self.layers)
        for owner, value in zip(self.owner, values):
            squares[owner] += value * value
        return [math.sqrt(v) for v in squares]

    def remember_weights(self) -> None:
        self._before = torch._foreach_mul([p.detach() for p in self.params], 1.0)

    def update_ratios(self) -> torch.Tensor:
        """||W_after - W_before|| and ||W_before|| per parameter tensor [2, parameters], after the step."""
        before, self._before = self._before, None
        after = [p.detach() for p in self.params]
        return torch.stack([torch.stack(torch._foreach_norm(torch._foreach_sub(after, before))),
                            torch.stack(torch._foreach_norm(before))])

    def ratios(self, values) -> list[float]:
        """Per-layer update-to-weight ratios on the host from update_ratios()'s values."""
        change, base = self.per_layer(values[0]), self.per_layer(values[1])
        return [c / max(b, 1e-12) for c, b in zip(change, base)]


class GradientMonitor:
    """Gradient norms of every network of a run. `layers` lists each network's layers in turn;
    `networks` maps a network's name to its layers."""

    def __init__(self, networks: dict[str, nn.Module]):
        self.parts = {name: _Network(model) for name, model in networks.items()}
        self.layers = [layer for part in self.parts.values() for layer in part.layers]
        self.networks = {name: list(part.layers) for name, part in self.parts.items()}
