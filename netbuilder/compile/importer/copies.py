"""Whether the document holds the model's weights as the model does: a weight one layer of the model holds is held
by one layer of the document. A weight several layers of the model share (tied, as a language model's embedding
and output layer) is said: the document gives each of those layers its own copy, equal at import, trained apart.
A weight held by more layers than that (two Code layers each computing the same matrix product) is said too."""
from __future__ import annotations

import logging

import torch
from torch import nn

log = logging.getLogger(__name__)


def tensor_key(t: torch.Tensor):
    """What one tensor of the model is known by, in its state dict's copies too (None for an empty one)."""
    return (t.data_ptr(), t.dtype, tuple(t.shape), t.stride()) if t.numel() else None


def holders(model: nn.Module, buffers: bool = True) -> dict[tuple, list[str]]:
    """Each weight of the model: the names it has, one per module holding it (a module registered under two
    names, as unet's conv_layer and block[0], holds its weights once)."""
    found: dict[tuple, dict[int, str]] = {}
    for path, module in model.named_modules(remove_duplicate=False):
        tensors = list(module.named_parameters(recurse=False))
        if buffers:
            tensors += list(module.named_buffers(recurse=False))
        for key, t in tensors:
            if tensor_key(t) is not None:
                found.setdefault(tensor_key(t), {}).setdefault(id(module), f"{path}.{key}" if path else key)
    return {k: list(names.values()) for k, names in found.items()}


def tied(model: nn.Module, name: str) -> list[str]:
    """Weights that are one tensor in several layers of the model (tied)."""
    return [f"{' and '.join(repr(k) for k in keys)} are one tensor in {name} (tied weights); here each layer has its"
            " own copy, equal now but trained apart." for keys in holders(model, buffers=False).values()
            if len(keys) > 1]


def copied(model: nn.Module, state: dict) -> list[str]:
    """Weights of the model held by more layers of the document (`state`: its weights, the model's tensors under
    the document's names) than of the model; none when the import is right."""
    names = holders(model)
    held: dict[tuple, list[str]] = {}
    for key, t in state.items():
        if tensor_key(t) in names:
            held.setdefault(tensor_key(t), []).append(key)
    notes = []
    for found, keys in held.items():
        if len(keys) > len(names[found]):
            notes.append(f"{names[found][0]!r} of the model is held by {len(keys)} layers here"
                         f" ({', '.join(k.rpartition('.')[0] for k in keys)}): copies, trained apart.")
            log.warning("%s", notes[-1])
    return notes
