"""Seeing inside a network (no Qt): what each layer gives for a sample, the attention a layer pays, the
decision boundary of a classifier of two features and what a hidden unit does over that plane, the
network's answer for an input, and which parts of the input drove it (Captum: saliency, Integrated
Gradients, Grad-CAM). Everything runs in eval mode without keeping gradients, and puts the modules'
training flags back."""
from __future__ import annotations

import math
from contextlib import contextmanager

import torch
from torch import nn

from ..compile.build import layer_units
from ..train.generative import evaluating

ATTRIBUTIONS = ("saliency", "ig", "gradcam")


class InsightError(ValueError):
    """What cannot be shown, in words (e.g. Grad-CAM of a network without convolutions)."""


def layer_outputs(model: nn.Module, inputs: tuple, names: list[str] | None = None) -> dict[str, torch.Tensor]:
    """Each named layer's output (all of them by default) for `inputs`, on the CPU. A recurrent layer gives
    its outputs over time; an attention layer also gives its weights, under '<name>.attention' [N, T, T]."""
    device = _device(model)
    with watching(model, names) as found, evaluating(model):
        model(*(t.to(device) for t in inputs))
    return found


def layer_names(model: nn.Module) -> list[str]:
    """The model's layers, and after each block (a nested GraphModule, or nn.Sequential of them when stacked)
    the block's layers as dotted names ("encoders.0.attention")."""
    inner = [n for n, _ in layer_units(model) if "." in n]
    found = []
    for name, _ in model.named_children():
        found += [name] + [n for n in inner if n.startswith(name + ".")]
    return found


@contextmanager
def watching(model: nn.Module, names: list[str] | None = None):
    """Forward hooks that keep each named layer's latest output (all top-level layers by default; a layer
    inside a block by its dotted name) in the dict given."""
    found: dict[str, torch.Tensor] = {}
    chosen = [n for n, _ in model.named_children()] if names is None else names
    hooks = [model.get_submodule(name).register_forward_hook(_keep(found, name)) for name in chosen
             if _has(model, name)]
    try:
        yield found
    finally:
        for hook in hooks:
            hook.remove()


def _has(model: nn.Module, name: str) -> bool:
    try:
        model.get_submodule(name)
    except AttributeError:
        return False
    return True


def _keep(found: dict, name: str):
    def hook(module, args, out):
        value = out[0] if isinstance(out, tuple) else out
        if isinstance(value, torch.Tensor):
            found[name] = value.detach().float().cpu()
        weights = _attention(module, args[0]) if args and isinstance(args[0], torch.Tensor) else None
        if weights is not None:
            found[f"{name}.attention"] = weights
    return hook


def _attention(module: nn.Module, x: torch.Tensor) -> torch.Tensor | None:
    """The attention weights [N, T, T] (averaged over heads) an attention layer gave its input x."""
    if isinstance(module, nn.TransformerEncoderLayer):
        attention, q = module.self_attn, module.norm1(x) if module.norm_first else x
        mask = None
    elif isinstance(getattr(module, "attn", None), nn.MultiheadAttention):
        attention, q = module.attn, x
        mask = torch.ones(x.shape[1], x.shape[1], dtype=torch.bool, device=x.device).triu(1) \
            if getattr(module, "causal", False) else None
    else:
        return None
    _, weights = attention.forward(q, q, q, need_weights=True, average_attn_weights=True, attn_mask=mask)
    return weights.detach().float().cpu()


def _device(model: nn.Module) -> torch.device:
    return next((p.device for p in model.parameters()), torch.device("cpu"))


# ---- a classifier of two features ----------------------------------------------------------------------
def plane(points: torch.Tensor, size: int = 120, margin: float = 0.15) -> tuple[torch.Tensor, tuple]:
    """A size x size grid over the data's range (plus a margin): points [size * size, 2], row by row from the
    bottom, and the extent (x low, x high, y low, y high)."""
    if points.dim() != 2 or points.shape[1] != 2:
        raise InsightError(f"a boundary needs samples of two features, not {list(points.shape[1:])}")
    low, high = points.min(dim=0).values, points.max(dim=0).values
    pad = (high - low).clamp_min(1e-6) * margin
    low, high = low - pad, high + pad
    extent = (low[0].item(), high[0].item(), low[1].item(), high[1].item())
    return grid(extent, size), extent


def grid(extent: tuple, size: int) -> torch.Tensor:
    """The size x size points over an extent (x low, x high, y low, y high), row by row from the bottom."""
    xs, ys = torch.linspace(extent[0], extent[1], size), torch.linspace(extent[2], extent[3], size)
    return torch.stack(torch.meshgrid(xs, ys, indexing="xy"), dim=-1).reshape(-1, 2)


def class_scores(model: nn.Module, x: torch.Tensor, batch: int = 4096) -> torch.Tensor:
    """Class probabilities [N, classes] (softmax; two classes from one logit with a sigmoid)."""
    device, parts = _device(model), []
    with evaluating(model):
        for start in range(0, len(x), batch):
            out = model(x[start:start + batch].to(device)).float().reshape(min(batch, len(x) - start), -1)
            if out.shape[1] == 1:
                p = torch.sigmoid(out)
                out = torch.cat([1 - p, p], dim=1)
            else:
                out = torch.softmax(out, dim=1)
            parts.append(out.cpu())
    return torch.cat(parts)


# ---- answers and attributions ----------------------------------------------------------------------------
def top_classes(model: nn.Module, x: torch.Tensor, k: int = 3) -> list[list[tuple[int, float]]]:
    """For each sample, the k likeliest classes with their probabilities."""
    scores = class_scores(model, x)
    values, indices = scores.topk(min(k, scores.shape[1]), dim=1)
    return [list(zip(i.tolist(), v.tolist())) for i, v in zip(indices, values)]


def last_conv(model: nn.Module) -> str | None:
    """The name of the last convolution of the network, for Grad-CAM."""
    found = None
    for name, module in model.named_children():
        if isinstance(module, (nn.Conv1d, nn.Conv2d)):
            found = name
    return found


def attribution(model: nn.Module, x: torch.Tensor, target: int, method: str = "saliency") -> torch.Tensor:
    """Which parts of the samples x [N, ...] drove the score of class `target`, shaped like x, computed
    with Captum: saliency (the gradient's size), Integrated Gradients (from a zero input), or Grad-CAM (the
    last convolution's map, scaled to the input)."""
    from captum.attr import IntegratedGradients, LayerAttribution, LayerGradCam, Saliency

    if method not in ATTRIBUTIONS:
        raise InsightError(f"attribution must be one of {', '.join(ATTRIBUTIONS)}, not {method!r}")
    device = _device(model)
    batch = x.to(device).float().requires_grad_(True)
    with evaluating(model), torch.enable_grad():
        wrapped = _Scores(model)
        if method == "saliency":
            found = Saliency(wrapped).attribute(batch, target=target, abs=True)
        elif method == "ig":
            found = IntegratedGradients(wrapped).attribute(batch, torch.zeros_like(batch), target=target, n_steps=32)
        else:
            layer = last_conv(model)
            if layer is None:
                raise InsightError("Grad-CAM looks at a convolution's feature maps, and this network has no Conv1d"
                                   " or Conv2d layer: use saliency or Integrated Gradients")
            cam = LayerGradCam(wrapped, model.get_submodule(layer)).attribute(batch, target=target,
                                                                              relu_attributions=True)
            spatial = batch.shape[2:] if batch.dim() >= 3 else batch.shape[1:]
            found = LayerAttribution.interpolate(cam, tuple(spatial), "bilinear") if cam.dim() == 4 else cam
            found = found.expand_as(batch) if found.shape[1] == 1 and batch.dim() == found.dim() else found
    return found.detach().cpu()


class _Scores(nn.Module):
    """The network's class scores as [N, classes] (one logit becomes two: -z and z)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x):
        out = self.model(x).reshape(len(x), -1)
        return torch.cat([-out, out], dim=1) if out.shape[1] == 1 else out


def square(n: int) -> tuple[int, int]:
    """Rows and columns of a grid of n pictures."""
    columns = math.ceil(math.sqrt(n))
    return math.ceil(n / columns), columns
