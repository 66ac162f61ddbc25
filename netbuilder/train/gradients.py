"""Per-layer gradient statistics, taken on the device: one fused norm call per network and step,
before clipping; update-to-weight ratios every few steps."""
from __future__ import annotations

import torch
from torch import nn


class _Network:
    """The layers of one network (its direct children with trainable parameters, in network order)."""

    def __init__(self, model: nn.Module):
        self.layers: list[str] = []
        self.params: list[torch.Tensor] = []
        owner: list[int] = []
        for name, module in model.named_children():
            params = [p for p in module.parameters() if p.requires_grad]
            if params:
                self.layers.append(name)
                self.params += params
                owner += [len(self.layers) - 1] * len(params)
        self.owner = torch.tensor(owner, dtype=torch.long)
        self._before: list[torch.Tensor] | None = None

    def _per_layer(self, values: torch.Tensor, owner: torch.Tensor) -> torch.Tensor:
        """sqrt of the sum of squares per layer, from one value per parameter tensor."""
        zeros = torch.zeros(len(self.layers), device=values.device, dtype=values.dtype)
        return zeros.index_add_(0, owner.to(values.device), values.square()).sqrt()

    def norms(self) -> torch.Tensor:
        grads = [p.grad for p in self.params]
        owner = self.owner
        if any(g is None for g in grads):  # a layer the loss does not reach
            kept = [i for i, g in enumerate(grads) if g is not None]
            if not kept:
                return torch.zeros(len(self.layers))
            grads, owner = [grads[i] for i in kept], owner[kept]
        return self._per_layer(torch.stack(torch._foreach_norm(grads)).float(), owner)

    def remember_weights(self) -> None:
        self._before = [p.detach().clone() for p in self.params]

    def update_ratios(self) -> torch.Tensor:
        """||W_after - W_before|| / ||W_before|| per layer, after the optimizer step."""
        if self._before is None or not self.params:
            return torch.zeros(len(self.layers))
        after = [p.detach() for p in self.params]
        delta = self._per_layer(torch.stack(torch._foreach_norm(torch._foreach_sub(after, self._before))).float(),
                                self.owner)
        base = self._per_layer(torch.stack(torch._foreach_norm(self._before)).float(), self.owner)
        self._before = None
        return delta / base.clamp_min(1e-12)


class GradientMonitor:
    """Gradient norms of every network of a run. `layers` lists each network's layers in turn;
    `networks` maps a network's name to its layers. Values stay on the device as tensors."""

    def __init__(self, networks: dict[str, nn.Module]):
        self.parts = {name: _Network(model) for name, model in networks.items()}
        self.layers = [layer for part in self.parts.values() for layer in part.layers]
        self.networks = {name: list(part.layers) for name, part in self.parts.items()}
        self.offsets, start = {}, 0
        for name, part in self.parts.items():
            self.offsets[name] = (start, start + len(part.layers))
            start += len(part.layers)
