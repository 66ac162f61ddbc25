"""Per-layer gradient statistics: one fused norm call per step, before clipping."""
from __future__ import annotations

import math

import torch
from torch import nn


class GradientMonitor:
    """The L2 norm of each layer's gradient and its update-to-weight ratio, every step.

    Layers are the model's direct children that have trainable parameters (one per node),
    in network order."""

    def __init__(self, model: nn.Module):
        self.layers: list[str] = []
        self._params: list[torch.Tensor] = []
        self._owner: list[int] = []
        for name, module in model.named_children():
            params = [p for p in module.parameters() if p.requires_grad]
            if params:
                self.layers.append(name)
                self._params += params
                self._owner += [len(self.layers) - 1] * len(params)
        self._owner_t = torch.tensor(self._owner, dtype=torch.long)
        self._before: list[torch.Tensor] | None = None

    def grad_norms(self) -> list[float]:
        """Per-layer gradient L2 norms: one fused norm over every tensor, one copy to the host."""
        grads = [p.grad for p in self._params]
        owners = self._owner
        if any(g is None for g in grads):  # a layer the loss does not reach
            owners = [o for g, o in zip(grads, owners) if g is not None]
            grads = [g for g in grads if g is not None]
        squares = [0.0] * len(self.layers)
        if grads:
            for owner, norm in zip(owners, torch.stack(torch._foreach_norm(grads)).tolist()):
                squares[owner] += norm * norm
        return [math.sqrt(v) for v in squares]

    def remember_weights(self) -> None:
        self._before = [p.detach().clone() for p in self._params]

    def update_ratios(self) -> torch.Tensor:
        """||W_after - W_before|| / ||W_before|| per layer, after the optimizer step."""
        if self._before is None or not self._params:
            return torch.zeros(len(self.layers))
        after = [p.detach() for p in self._params]
        delta = torch.stack(torch._foreach_norm(torch._foreach_sub(after, self._before))) ** 2
        base = torch.stack(torch._foreach_norm(self._before)) ** 2
        owner = self._owner_t.to(delta.device)
        zeros = torch.zeros(len(self.layers), device=delta.device, dtype=delta.dtype)
        d = zeros.clone().index_add_(0, owner, delta).sqrt()
        b = zeros.index_add_(0, owner, base).sqrt()
        return d / b.clamp_min(1e-12)
