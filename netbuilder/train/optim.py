"""What every recipe builds its training from: the device, the loss, the optimizer and the schedule."""
from __future__ import annotations

import math

import torch
from torch import nn

from .errors import TrainingError
from ..graph.model import Graph
from .config import CLASSIFICATION, TrainConfig

__all__ = ["CLASSIFICATION", "pick_device", "make_loss", "make_optimizer", "lr_factor",
           "batch_bounds"]


def pick_device(name: str) -> torch.device:
    mps = getattr(torch.backends, "mps", None)
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if mps and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise TrainingError("device 'cuda' was chosen but no CUDA GPU is available")
    if name == "mps" and not (mps and mps.is_available()):
        raise TrainingError("device 'mps' was chosen but Apple's MPS is not available")
    return torch.device(name)


def make_loss(name: str) -> nn.Module:
    return {"cross_entropy": nn.CrossEntropyLoss, "bce_with_logits": nn.BCEWithLogitsLoss,
            "mse": nn.MSELoss, "l1": nn.L1Loss, "nll": nn.NLLLoss}[name]()


def make_optimizer(config: TrainConfig, model: nn.Module, graph: Graph,
                   betas: tuple[float, float] | None = None) -> torch.optim.Optimizer:
    """One parameter group per learning-rate scale (a node's lr_scale); frozen layers left out."""
    scales: dict[float, list] = {}
    for name, module in model.named_children():
        node = graph.by_name(name)
        scale = float(node.params.get("lr_scale", 1.0)) if node else 1.0
        scales.setdefault(scale, []).extend(p for p in module.parameters() if p.requires_grad)
    groups = [{"params": params, "lr": config.lr * scale} for scale, params in scales.items() if params]
    if not groups:
        if not any(True for _ in model.parameters()):
            raise TrainingError("the network has no parameters to train (no Linear, Conv or other weighted"
                                " layer): add one")
        raise TrainingError("every layer is frozen (trainable is off): there is nothing to train")
    c, fused = config, fusable(model)
    if c.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=c.lr, momentum=c.momentum, nesterov=c.nesterov and c.momentum > 0,
                               weight_decay=c.weight_decay, fused=fused)
    if c.optimizer == "adam":
        return torch.optim.Adam(groups, lr=c.lr, weight_decay=c.weight_decay, betas=betas or (0.9, 0.999), fused=fused)
    if c.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=c.lr, weight_decay=c.weight_decay, betas=betas or (0.9, 0.999),
                                 fused=fused)
    return torch.optim.RMSprop(groups, lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay)  # (torch has no fused RMSprop)


def fusable(model: nn.Module) -> bool | None:
    """True where torch's fused optimizer step (one kernel over every weight instead of a handful of kernels per
    weight) is used: float weights on the CPU, where the CNN template trains about 12% faster with it than with
    the default (bench/bench_trainer.py, its two plain loops); no layer with sparse gradients (an Embedding's
    sparse=True), which it does not take. None elsewhere: torch's default (on CUDA its multi-tensor step; fused
    is not measured there)."""
    params = list(model.parameters())
    if any(p.device.type != "cpu" or not p.is_floating_point() for p in params):
        return None
    return None if any(getattr(m, "sparse", False) is True for m in model.modules()) else True


def lr_factor(config: TrainConfig, epoch: int) -> float:
    """The learning-rate multiplier for an epoch: linear warmup, then the schedule."""
    c = config
    if epoch < c.warmup_epochs:
        return (epoch + 1) / c.warmup_epochs
    e = epoch - c.warmup_epochs
    if c.schedule == "step":
        return c.gamma ** (e // c.step_size)
    if c.schedule == "exponential":
        return c.gamma ** e
    if c.schedule == "cosine":
        span = max(1, c.epochs - c.warmup_epochs)
        return 0.5 * (1 + math.cos(math.pi * min(e, span) / span))
    return 1.0


def batch_bounds(n: int, size: int, drop_last: bool = False) -> list[tuple[int, int]]:
    """(start, end) of each batch of an epoch over n samples. A last batch of one sample joins the one
    before it (BatchNorm cannot normalise a single sample); drop_last keeps full batches only (one
    batch of all when there are fewer samples than a batch)."""
    if n <= size:
        return [(0, n)]
    if drop_last:
        return [(i, i + size) for i in range(0, n - size + 1, size)]
    bounds = [(i, min(n, i + size)) for i in range(0, n, size)]
    if bounds[-1][1] - bounds[-1][0] == 1:
        bounds[-2:] = [(bounds[-2][0], n)]
    return bounds



def batch_statistics_of_one(graph: Graph, names=None) -> list[tuple[str, str]]:
    """(type, name) of the BatchNorm layers that would see one value per channel in a batch of one sample (a
    block's by 'block.layer'): they normalise over the batch and its positions, and torch refuses to when that
    is a single value. `names`: only the document's layers of these names (those the run trains)."""
    from ..analysis import Analysis
    from ..analysis.blocks import BLOCK, sized

    analysis = Analysis(graph)
    analysis.close()
    found = []
    for node in graph.nodes():
        if names is not None and node.name not in names:
            continue
        ins = analysis.input_list(node.id)
        if node.type.startswith("BatchNorm") and ins and math.prod(ins[0].shape[1:]) == 1:
            found.append((node.type, node.name))
        elif node.type == BLOCK and node.params.get("block") in graph.blocks and ins:
            inner = batch_statistics_of_one(sized(graph.blocks[node.params["block"]], ins))
            found += [(kind, f"{node.name}.{name}") for kind, name in inner]
    return found
