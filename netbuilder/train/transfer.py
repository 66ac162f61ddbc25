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


def load_matching(model: nn.Module, path: str | Path) -> tuple[list[str], list[str]]:
    """Copy the checkpoint's weights into the layers of the same name and shape.

    Returns (layers started from the checkpoint, reasons others were skipped). A checkpoint
    that matches no layer at all is an error: training would silently start from scratch."""
    weights = read_weights(path)
    own = model.state_dict()
    loaded, skipped, taken = [], [], {}
    for layer, module in model.named_children():
        keys = [f"{layer}.{k}" for k in module.state_dict()]
        if not keys or not any(k in weights for k in keys):
            continue
        wrong = [k for k in keys if k not in weights or weights[k].shape != own[k].shape]
        if wrong:
            k = wrong[0]
            there = list(weights[k].shape) if k in weights else "missing"
            skipped.append(f"{layer} ({k.split('.', 1)[1]} is {there} in the checkpoint,"
                           f" {list(own[k].shape)} here)")
            continue
        taken.update({k: weights[k] for k in keys})
        loaded.append(layer)
    if not loaded:
        names = sorted({k.split(".", 1)[0] for k in weights})
        raise TransferError(f"no layer here matches the checkpoint '{Path(path).name}' by name and shape"
                            f" (it holds {', '.join(names[:8])}{'…' if len(names) > 8 else ''})"
                            + (f"; skipped: {'; '.join(skipped)}" if skipped else ""))
    with torch.no_grad():
        for k, v in taken.items():
            own[k].copy_(v)
    return loaded, skipped
