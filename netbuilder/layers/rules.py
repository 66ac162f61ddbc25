"""Shared pieces of shape rules: rank checks, convolution arithmetic, suggested fixes."""
from __future__ import annotations

import math
from typing import Sequence

from ..graph.problems import Fix
from .spec import ShapeError, TensorType



# Fixes are made without the node id; the analysis fills it in for the node whose rule raised.
def fix_insert(layer: str, label: str | None = None, port: str = "in", **params) -> Fix:
    return Fix(label or f"insert {layer}", "insert", "", port=port, layer=layer, params=params)


def fix_param(param: str, value, label: str | None = None) -> Fix:
    return Fix(label or f"set {param} to {value}", "set_param", "", param=param, value=value)


def floats(x: TensorType, layer: str) -> TensorType:
    if x.dtype != "float":
        raise ShapeError(f"{layer} expects float values but receives integer indices {x}:"
                         " put an Embedding first to turn indices into vectors")
    return x


def need_rank(x: TensorType, layer: str, ranks: Sequence[int], shape_text: str,
              fix: Fix | None = None) -> TensorType:
    floats(x, layer)
    if x.rank not in ranks:
        raise ShapeError(f"{layer} expects {shape_text} but receives {x}", fix=fix)
    return x


def pair(v) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def conv_len(size: int, k: int, s: int, p: int, d: int = 1) -> int:
    return math.floor((size + 2 * p - d * (k - 1) - 1) / s + 1)


def sliding(x: TensorType, p: dict, layer: str, dims: int, dilation: bool = False) -> tuple[int, ...]:
    """Output spatial sizes of a conv or pooling window over the last `dims` axes of x."""
    ks = pair(p["kernel_size"]) if dims == 2 else (p["kernel_size"],)
    ss = pair(p["stride"]) if dims == 2 else (p["stride"],)
    ps = pair(p["padding"]) if dims == 2 else (p["padding"],)
    ds = (pair(p["dilation"]) if dims == 2 else (p["dilation"],)) if dilation else (1,) * dims
    sizes = x.shape[-dims:]
    out = []
    for axis, (n, k, s, pad, d) in enumerate(zip(sizes, ks, ss, ps, ds)):
        reach = d * (k - 1) + 1
        if reach > n + 2 * pad:
            best = max(1, (n + 2 * pad - 1) // d + 1)
            value = best if dims == 1 or ks[0] == ks[1] else [best if i == axis else ks[i] for i in range(2)]
            raise ShapeError(
                f"{layer}'s kernel ({k}) is larger than its input ({n}"
                f"{' + padding' if pad else ''}) in {x}",
                fix=fix_param("kernel_size", value))
        out.append(conv_len(n, k, s, pad, d))
    return tuple(out)


def square_reshape(x: TensorType, rank: int) -> Fix | None:
    """For flat features going into an image layer: a Reshape fix when the size is a square."""
    if x.rank == 1:
        side = math.isqrt(x.shape[0])
        if side * side == x.shape[0] and rank == 3:
            return fix_insert("Reshape", f"insert Reshape to [N, 1, {side}, {side}]",
                              shape=[1, side, side])
        if rank == 2:
            return fix_insert("Reshape", f"insert Reshape to [N, 1, {x.shape[0]}]",
                              shape=[1, x.shape[0]])
    return None


def nn(name: str) -> type:
    """A torch.nn class, imported only when a module is built (checking a file needs no torch)."""
    import torch.nn

    return getattr(torch.nn, name)


def custom(name: str) -> type:
    """One of netbuilder's own modules (layers/modules.py)."""
    from . import modules

    return getattr(modules, name)
