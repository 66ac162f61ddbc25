"""Padding layers: zeros, a mirror image or a copy of the edge added around a signal or an image."""
from __future__ import annotations

from .rules import need_rank, nn
from .spec import Ctor, LayerSpec, Param, ShapeError

KINDS = {"Zero": "zeros", "Reflection": "the values mirrored at the edge", "Replication": "copies of the edge value"}


def sides(p: dict, dims: int) -> tuple[int, ...]:
    """(left, right) or (left, right, top, bottom) from the padding parameter (one number: every side)."""
    values = list(p["padding"])
    if len(values) == 1:
        return tuple(values * 2 * dims)
    if len(values) != 2 * dims:
        raise ShapeError(f"padding takes one number (every side) or {2 * dims}"
                         f" ({'left, right' if dims == 1 else 'left, right, top, bottom'}), not {len(values)}")
    return tuple(values)


def _shape(layer: str, kind: str, dims: int):
    def rule(p, xs):
        x = need_rank(xs[0], layer, (dims + 1,), "[N, channels, length]" if dims == 1
                      else "[N, channels, height, width]")
        pads = sides(p, dims)
        sizes = list(x.shape[1:])[::-1]  # width first, as the padding is given
        if kind == "Reflection":
            for axis, size in enumerate(sizes):
                if max(pads[2 * axis:2 * axis + 2]) >= size:
                    raise ShapeError(f"{layer} mirrors at most {size - 1} values on a side of a dim of {size}"
                                     f" in {x}: use ReplicationPad or ZeroPad for more")
        grown = [size + pads[2 * axis] + pads[2 * axis + 1] for axis, size in enumerate(sizes)]
        return x.with_shape(x.shape[0], *grown[::-1])
    return rule


def _pad(kind: str, dims: int) -> LayerSpec:
    layer = f"{kind}Pad{dims}d"
    where = "each end of a signal" if dims == 1 else "the borders of an image"
    return LayerSpec(
        layer, "Padding", f"Adds {KINDS[kind]} at {where}",
        params=(Param("padding", "ints", [1], "One number for every side, or [left, right"
                      + ("]" if dims == 1 else ", top, bottom]"), min=0, max=4096, max_len=2 * dims),),
        shape=_shape(layer, kind, dims), key_params=("padding",),
        module=lambda p, xs: Ctor(nn(layer), dict(padding=sides(p, dims))))


SPECS = [_pad(kind, dims) for kind in KINDS for dims in (1, 2)]
