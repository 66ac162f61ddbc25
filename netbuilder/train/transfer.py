"""Transfer learning: start layers from a checkpoint's weights, matched by node name."""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from ..errors import UserError
from ..paths import why_missing


class TransferError(UserError):
    pass


def read_weights(path: str | Path) -> dict[str, torch.Tensor]:
    """The weights in a checkpoint: netbuilder's own (with "model") or a bare state dict."""
    path = Path(path)
    if not path.is_file():
        why = why_missing(path) if not path.exists() else "not a regular file"
        raise TransferError(f"the checkpoint '{path}' does not exist" if why == "no such file" else
                            f"the checkpoint '{path}' is {why}")
    if path.stat().st_size == 0:
        raise TransferError(f"the checkpoint '{path.name}' is empty (0 bytes: a write was cut short)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # a truncated or foreign file: torch raises many kinds
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise TransferError(f"the checkpoint '{path.name}' could not be read: {reason}") from None
    if isinstance(state, dict) and isinstance(state.get("model"), dict):
        state = state["model"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise TransferError(f"'{path.name}' is not a checkpoint of weights (a state dict of tensors)")
    bad = not_finite(state)
    if bad:
        raise TransferError(f"the weights in '{path.name}' hold NaN or infinite values ({bad}): the run had diverged"
                            " when they were written; use another checkpoint (a run's best.pt)")
    return state


def not_finite(weights: dict) -> str | None:
    """The name of the first floating-point tensor holding NaN or infinite values (a diverged run's), or None."""
    for key, value in weights.items():
        if isinstance(value, torch.Tensor) and value.is_floating_point() and not bool(torch.isfinite(value).all()):
            return key
    return None


def matching(layers: dict[str, nn.Module], weights: dict[str, torch.Tensor]):
    """(the weights to copy by key, layers they fill, reasons layers of the same name are not filled) of
    `layers` (name: module) from `weights` (a state dict keyed "layer.parameter")."""
    loaded, skipped, taken = [], [], {}
    for layer, module in layers.items():
        own = {f"{layer}.{k}": v for k, v in module.state_dict().items()}
        if not own or not any(k in weights for k in own):
            continue
        wrong = [k for k in own if k not in weights or weights[k].shape != own[k].shape]
        if wrong:
            k = wrong[0]
            there = list(weights[k].shape) if k in weights else "missing"
            skipped.append(f"{layer} ({k.split('.', 1)[1]} is {there} in the checkpoint,"
                           f" {list(own[k].shape)} here)")
            continue
        taken.update({k: weights[k] for k in own})
        loaded.append(layer)
    return taken, loaded, skipped


def _listed(names: list[str], most: int = 8) -> str:
    return ", ".join(names[:most]) + ("…" if len(names) > most else "") if names else "none"


def refusal(path: str | Path, weights: dict, layers: dict[str, nn.Module], skipped: list[str]) -> TransferError:
    """Why no layer starts from the file, naming the layers on both sides."""
    held = sorted({k.split(".", 1)[0] for k in weights})
    own = [name for name, module in layers.items() if any(True for _ in module.parameters())]
    return TransferError(f"no layer here matches the checkpoint '{Path(path).name}' by name and shape"
                         f" (it holds {_listed(held)}; this network's layers with weights are {_listed(own)})"
                         + (f"; skipped: {'; '.join(skipped)}" if skipped else ""))


def load_matching(model: nn.Module, path: str | Path) -> tuple[list[str], list[str]]:
    """Copy the checkpoint's weights into the layers of the same name and shape.

    Returns (layers started from the checkpoint, reasons others were skipped). A checkpoint
    that matches no layer at all is an error: training would silently start from scratch."""
    weights = read_weights(path)
    layers = dict(model.named_children())
    taken, loaded, skipped = matching(layers, weights)
    if not loaded:
        raise refusal(path, weights, layers, skipped)
    own = model.state_dict()
    with torch.no_grad():
        for k, v in taken.items():
            own[k].copy_(v)
    return loaded, skipped
