"""Input, Output, dense, dropout, embedding and reshaping layers."""
from __future__ import annotations

import math

from .rules import custom, fix_insert, floats, need_rank, nn
from .spec import Ctor, LayerSpec, Param, ShapeError, TensorType


def _input_shape(p, xs):
    if p["dtype"] == "int":
        return TensorType(tuple(p["shape"]), "int", p["vocab_size"])
    return TensorType(tuple(p["shape"]))


def _linear_shape(p, xs):
    x = xs[0]
    need_rank(x, "Linear", (1, 2), "[N, features]",
              fix=fix_insert("Flatten") if x.rank >= 3 else None)
    return x.with_shape(*x.shape[:-1], p["out_features"])


def _flatten_shape(p, xs):
    x = xs[0]
    start, end = p["start_dim"], p["end_dim"]
    full = (None, *x.shape)  # torch numbering: 0 is the batch
    end = end + len(full) if end < 0 else end
    if not 1 <= start <= end < len(full):
        raise ShapeError(f"Flatten cannot flatten dims {p['start_dim']}..{p['end_dim']} of {x}")
    merged = math.prod(full[start:end + 1])
    return x.with_shape(*full[1:start], merged, *full[end + 1:])


def _reshape_shape(p, xs):
    x, target = xs[0], list(p["shape"])
    total = math.prod(x.shape)
    if target.count(-1) > 1:
        raise ShapeError("Reshape can infer at most one size (-1)")
    if 0 in target or any(t < -1 for t in target):
        raise ShapeError("Reshape sizes must be positive (or one -1)")
    known = math.prod(t for t in target if t != -1)
    if -1 in target:
        if total % known:
            raise ShapeError(f"Reshape cannot turn {x} ({total} values) into {target}")
        target[target.index(-1)] = total // known
    if math.prod(target) != total:
        raise ShapeError(f"Reshape cannot turn {x} ({total} values per sample) into "
                         f"[N, {', '.join(map(str, target))}] ({math.prod(target)} values)")
    return x.with_shape(*target)


def _permute_shape(p, xs):
    x, dims = xs[0], list(p["dims"])
    if sorted(dims) != list(range(1, x.rank + 1)):
        raise ShapeError(f"Permute dims must order 1..{x.rank} (the dims after the batch) "
                         f"for {x}, not {dims}")
    return x.with_shape(*(x.shape[d - 1] for d in dims))


def _embedding_shape(p, xs):
    x = xs[0]
    if x.dtype != "int":
        raise ShapeError(f"Embedding expects integer indices but receives float values {x}:"
                         " set the Input's dtype to int")
    if x.high is not None and x.high > p["num_embeddings"]:
        from .rules import fix_param
        raise ShapeError(f"Embedding has {p['num_embeddings']} rows but its indices reach "
                         f"{x.high - 1}", fix=fix_param("num_embeddings", x.high))
    return TensorType((*x.shape, p["embedding_dim"]))


def _same(layer):
    return lambda p, xs: floats(xs[0], layer)


SPECS = [
    LayerSpec(
        "Input", "Input/Output", "Where data enters the network: one sample's shape, without the batch",
        params=(
            Param("shape", "ints", [1, 28, 28], "Shape of one sample (the batch N is added)", min=1),
            Param("dtype", "choice", "float", "float for values, int for token or class indices",
                  choices=("float", "int")),
            Param("vocab_size", "int", 100, "For int inputs: indices run from 0 to this - 1", min=1),
        ),
        inputs=(), shape=_input_shape, key_params=("shape",)),
    LayerSpec(
        "Output", "Input/Output", "Where the network's result leaves it (a network may have several)",
        outputs=(), shape=lambda p, xs: xs[0], accepts_int=True),
    LayerSpec(
        "Linear", "Core", "Fully connected layer: every output is a weighted sum of all inputs",
        params=(Param("out_features", "int", 64, "Number of outputs", min=1),
                Param("bias", "bool", True, "Add a learned bias")),
        shape=_linear_shape, weights="matrix", key_params=("out_features",),
        module=lambda p, xs: Ctor(nn("Linear"), dict(in_features=xs[0].shape[-1],
                                                     out_features=p["out_features"], bias=p["bias"]))),
    LayerSpec(
        "Dropout", "Regularization", "Zeroes random values while training, to fight overfitting",
        params=(Param("p", "float", 0.5, "Probability of zeroing a value", min=0.0, max=0.99),),
        shape=_same("Dropout"), key_params=("p",),
        module=lambda p, xs: Ctor(nn("Dropout"), dict(p=p["p"]))),
    LayerSpec(
        "Dropout2d", "Regularization", "Zeroes whole random channels of an image while training",
        params=(Param("p", "float", 0.5, "Probability of zeroing a channel", min=0.0, max=0.99),),
        shape=lambda p, xs: need_rank(xs[0], "Dropout2d", (3,), "[N, channels, height, width]"),
        key_params=("p",), module=lambda p, xs: Ctor(nn("Dropout2d"), dict(p=p["p"]))),
    LayerSpec(
        "Embedding", "Core", "Looks up a learned vector for each integer index (words, tokens)",
        params=(Param("num_embeddings", "int", 100, "How many different indices", min=1),
                Param("embedding_dim", "int", 32, "Length of each vector", min=1)),
        shape=_embedding_shape, weights="matrix", accepts_int=True,
        key_params=("embedding_dim",),
        module=lambda p, xs: Ctor(nn("Embedding"), dict(num_embeddings=p["num_embeddings"],
                                                        embedding_dim=p["embedding_dim"]))),
    LayerSpec(
        "Flatten", "Reshape", "Joins dimensions into one, e.g. an image into a vector",
        params=(Param("start_dim", "int", 1, "First dim to join (0 is the batch)", min=1),
                Param("end_dim", "int", -1, "Last dim to join (-1: the last)")),
        shape=_flatten_shape, accepts_int=True,
        module=lambda p, xs: Ctor(nn("Flatten"), dict(start_dim=p["start_dim"], end_dim=p["end_dim"]))),
    LayerSpec(
        "Reshape", "Reshape", "Gives each sample a new shape with the same number of values",
        params=(Param("shape", "ints", [1, 28, 28], "New shape without the batch; one -1 is inferred",
                      min=-1),),
        shape=_reshape_shape, accepts_int=True, key_params=("shape",),
        module=lambda p, xs: Ctor(custom("Reshape"), dict(shape=list(_reshape_shape(p, xs).shape)))),
    LayerSpec(
        "Permute", "Reshape", "Reorders the dimensions after the batch, e.g. [C, L] to [L, C]",
        params=(Param("dims", "ints", [2, 1], "New order of dims 1, 2, ... (0 is the batch)", min=1),),
        shape=_permute_shape, accepts_int=True, key_params=("dims",),
        module=lambda p, xs: Ctor(custom("Permute"), dict(dims=list(p["dims"])))),
]
