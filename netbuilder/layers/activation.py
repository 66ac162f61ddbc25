"""Activation functions: elementwise, the output has the input's shape."""
from __future__ import annotations

from .rules import floats, nn
from .spec import Ctor, LayerSpec, Param, ShapeError


def _elementwise(layer, what, params=(), key=()):
    def module(p, xs):
        return Ctor(nn(layer), {k.name: p[k.name] for k in params})
    return LayerSpec(layer, "Activation", what, params=tuple(params),
                     shape=lambda p, xs: floats(xs[0], layer), module=module, key_params=key)


def _softmax(layer, what):
    def shape(p, xs):
        x = floats(xs[0], layer)
        if not -x.rank <= p["dim"] <= x.rank or p["dim"] == 0:
            raise ShapeError(f"{layer} dim must be one of the dims after the batch (1..{x.rank},"
                             f" or -1 for the last) for {x}, not {p['dim']}")
        return x
    dim = Param("dim", "int", -1, "Dim that sums to one (-1: the last)")
    return LayerSpec(layer, "Activation", what, params=(dim,), shape=shape,
                     module=lambda p, xs: Ctor(nn(layer), dict(dim=p["dim"])))


def _prelu_shape(p, xs):
    return floats(xs[0], "PReLU")


SPECS = [
    _elementwise("ReLU", "max(0, x): the default choice for hidden layers"),
    _elementwise("LeakyReLU", "Like ReLU but lets a small slope through for x < 0",
                 (Param("negative_slope", "float", 0.01, "Slope for x < 0", min=0.0, max=1.0),),
                 ("negative_slope",)),
    _elementwise("ELU", "Smooth ReLU that goes to -alpha for very negative x",
                 (Param("alpha", "float", 1.0, "Value approached for very negative x", min=0.0),)),
    _elementwise("GELU", "Smooth ReLU used in Transformers"),
    _elementwise("SiLU", "x * sigmoid(x) (Swish): smooth, used in modern CNNs"),
    _elementwise("Sigmoid", "Squashes to (0, 1); saturates, so gradients vanish in deep stacks"),
    _elementwise("Tanh", "Squashes to (-1, 1); saturates, so gradients vanish in deep stacks"),
    LayerSpec("PReLU", "Activation", "Like LeakyReLU with a learned slope for x < 0 (one, or one per channel)",
              params=(Param("per_channel", "bool", False, "One slope per channel (dim 1) instead of one in all"),
                      Param("slope", "float", 0.25, "The slope for x < 0 it starts from", min=0.0, max=1.0)),
              shape=_prelu_shape, weights="norm", key_params=("per_channel",),
              module=lambda p, xs: Ctor(nn("PReLU"), dict(num_parameters=xs[0].shape[0] if p["per_channel"] else 1,
                                                          init=float(p["slope"])))),
    _softmax("Softmax", "Turns scores into probabilities that sum to one"),
    _softmax("LogSoftmax", "Log of Softmax, for NLL loss"),
]
