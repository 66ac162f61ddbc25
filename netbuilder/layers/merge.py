"""Merge layers: join two or more inputs (skip connections, branches)."""
from __future__ import annotations

from .rules import fix_insert, floats
from .spec import Combine, LayerSpec, Param, ShapeError


def _fix_for(x, want, port):
    """A layer that maps x to want's size on `port`, when one exists."""
    if x.rank == 1 and want.rank == 1:
        return fix_insert("Linear", f"insert Linear with {want.shape[0]} outputs on {port}", port,
                          out_features=want.shape[0])
    if x.rank == 3 and want.rank == 3 and x.shape[1:] == want.shape[1:]:
        return fix_insert("Conv2d", f"insert a 1x1 Conv2d with {want.shape[0]} channels on {port}",
                          port, out_channels=want.shape[0], kernel_size=1)
    return None


def _elementwise(layer):
    def shape(p, xs):
        first = floats(xs[0], layer)
        out = list(first.shape)
        for i, x in enumerate(xs[1:], start=1):
            floats(x, layer)
            if x.rank != len(out) or any(a != b and 1 not in (a, b) for a, b in zip(x.shape, out)):
                raise ShapeError(f"{layer} needs inputs of equal shape (or of size 1 where they differ, as a"
                                 f" [C, 1, 1] per-channel value onto [C, H, W]), but in0 is {first} and in{i} is"
                                 f" {x}", fix=_fix_for(x, first, f"in{i}"), port=f"in{i}")
            out = [max(a, b) if 1 in (a, b) else a for a, b in zip(x.shape, out)]
        return first.with_shape(*out)
    return shape


def _cat_shape(p, xs):
    first, dim = floats(xs[0], "Concatenate"), p["dim"]
    if not -first.rank <= dim <= first.rank or dim == 0:
        raise ShapeError(f"Concatenate dim must be one of 1..{first.rank} (or negative from the"
                         f" end) for {first}, not {dim}")
    axis = dim - 1 if dim > 0 else first.rank + dim
    total = 0
    for i, x in enumerate(xs):
        floats(x, "Concatenate")
        rest = lambda t: t.shape[:axis] + t.shape[axis + 1:]  # noqa: E731
        if x.rank != first.rank or rest(x) != rest(first):
            raise ShapeError(f"Concatenate along dim {dim} needs the other dims equal, but in0 is"
                             f" {first} and in{i} is {x}", port=f"in{i}")
        total += x.shape[axis]
    return first.with_shape(*first.shape[:axis], total, *first.shape[axis + 1:])


SPECS = [
    LayerSpec("Add", "Merge", "Adds inputs of equal shape (skip / residual connections); a size-1 dim is repeated to match",
              shape=_elementwise("Add"), combine=lambda p, xs: Combine(op="+"), variadic=True),
    LayerSpec("Multiply", "Merge", "Multiplies inputs of equal shape elementwise (gating); a size-1 dim is repeated to match",
              shape=_elementwise("Multiply"), combine=lambda p, xs: Combine(op="*"), variadic=True),
    LayerSpec("Concatenate", "Merge", "Joins inputs along one dim (channels by default)",
              params=(Param("dim", "int", 1, "Dim to join along (1: channels or features)"),),
              shape=_cat_shape, variadic=True, key_params=("dim",),
              combine=lambda p, xs: Combine(function="torch.cat", kwargs=dict(dim=p["dim"]))),
]
