"""The lesson of unstructured pruning (torch.nn.utils.prune): the smallest weights of each Conv and Linear layer
(by magnitude, L1), or the smallest over the whole network, set to zero. The network keeps its shape: its file is
as large and it runs as fast, because dense kernels multiply the zeros like any other number; only the count of
non-zero parameters falls. Structured pruning (prune.py) removes whole channels and is what makes a network
smaller and faster; this is offered to show the difference, labelled so."""
from __future__ import annotations

import copy

from torch import nn
from torch.nn.utils import prune as torch_prune

from .source import OptimizeError

LAYERS = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.Linear)
HONEST = ("zeros only: the smallest weights set to zero (torch.nn.utils.prune); the same size on disk and the same"
          " speed, since dense kernels multiply zeros too; only the non-zero parameters fall")


def sparsify(model: nn.Module, ratio: float, global_pruning: bool = False) -> nn.Module:
    """A copy of `model` with `ratio` (0 < ratio < 1) of the weights of its Conv and Linear layers set to zero:
    of each layer, or the smallest over all of them (global). The zeros are written into the weights (no masks
    are left behind), so the copy is an ordinary network with the same state dict's keys and shapes."""
    if not 0 < ratio < 1:
        raise OptimizeError(f"the share of weights set to zero is above 0 and below 1, not {ratio}")
    sparse = copy.deepcopy(model).eval()
    layers = [m for m in sparse.modules() if isinstance(m, LAYERS) and getattr(m, "weight", None) is not None]
    if not layers:
        raise OptimizeError("the network has no Conv or Linear layer whose weights could be set to zero")
    if global_pruning:
        torch_prune.global_unstructured([(m, "weight") for m in layers], torch_prune.L1Unstructured, amount=ratio)
    else:
        for m in layers:
            torch_prune.l1_unstructured(m, "weight", amount=ratio)
    for m in layers:
        torch_prune.remove(m, "weight")
    return sparse
