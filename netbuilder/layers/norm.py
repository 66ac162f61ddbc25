"""Normalization layers."""
from __future__ import annotations

import math

from .rules import fix_insert, fix_param, need_rank, nn
from .spec import Ctor, LayerSpec, Param, ShapeError

_EPS = Param("eps", "float", 1e-5, "Added to the variance to avoid dividing by zero", min=1e-12, max=1.0)
_MOMENTUM = Param("momentum", "float", 0.1, "How fast the running statistics follow the data",
                  min=0.0, max=1.0)
_AFFINE = Param("affine", "bool", True, "Learn a scale and shift after normalizing")


def _bn1d(p, xs):
    x = xs[0]
    if x.rank == 3:
        raise ShapeError(f"BatchNorm1d expects [N, features] or [N, channels, length] but receives {x}:"
                         " use BatchNorm2d for images")
    return need_rank(x, "BatchNorm1d", (1, 2), "[N, features] or [N, channels, length]")


def _bn2d(p, xs):
    x = xs[0]
    if x.rank in (1, 2):
        raise ShapeError(f"BatchNorm2d expects [N, channels, height, width] but receives {x}:"
                         " use BatchNorm1d here")
    return need_rank(x, "BatchNorm2d", (3,), "[N, channels, height, width]")


def _bn_module(layer):
    return lambda p, xs: Ctor(nn(layer), dict(num_features=xs[0].shape[0], eps=p["eps"],
                                             momentum=p["momentum"], affine=p["affine"]))


def _layernorm(p, xs):
    x = xs[0]
    return need_rank(x, "LayerNorm", (1, 2, 3), "a float tensor",
                     fix=fix_insert("Flatten") if x.rank > 3 else None)


def _instance(layer, dims):
    what = "[N, channels, length]" if dims == 1 else "[N, channels, height, width]"

    def shape(p, xs):
        x = need_rank(xs[0], layer, (dims + 1,), what)
        positions = x.shape[1:]
        if all(isinstance(n, int) for n in positions) and math.prod(positions) == 1:
            raise ShapeError(f"{layer} normalizes each channel over its positions, but {x} has one position per"
                             " channel: nothing to normalize over (PyTorch refuses it in training); use LayerNorm"
                             " or BatchNorm here")
        return x

    def module(p, xs):
        return Ctor(nn(layer), dict(num_features=xs[0].shape[0], eps=p["eps"], momentum=p["momentum"],
                                    affine=p["affine"], track_running_stats=p["track_running_stats"]))
    return LayerSpec(layer, "Normalization", f"Normalizes each channel of each sample over its positions"
                     f" ({'style transfer, GANs' if dims == 2 else 'signals'}): no batch statistics",
                     params=(_EPS, _MOMENTUM, Param("affine", "bool", False, "Learn a scale and shift per channel"),
                             Param("track_running_stats", "bool", False, "Keep running statistics and use them when"
                                   " evaluating (as BatchNorm does)")),
                     shape=shape, module=module, weights="norm")


def _groupnorm(p, xs):
    x = need_rank(xs[0], "GroupNorm", (1, 2, 3, 4), "[N, channels, ...]")
    channels, groups = x.shape[0], p["num_groups"]
    if channels % groups:
        best = min((d for d in range(1, channels + 1) if channels % d == 0), key=lambda d: (abs(d - groups), d))
        raise ShapeError(f"GroupNorm's num_groups ({groups}) must divide the channels ({channels}) of {x}",
                         fix=fix_param("num_groups", best))
    return x


SPECS = [
    LayerSpec("BatchNorm1d", "Normalization",
              "Normalizes each feature over the batch: steadier, faster training",
              params=(_EPS, _MOMENTUM, _AFFINE), shape=_bn1d, module=_bn_module("BatchNorm1d"),
              weights="norm"),
    LayerSpec("BatchNorm2d", "Normalization",
              "Normalizes each image channel over the batch: steadier, faster training",
              params=(_EPS, _MOMENTUM, _AFFINE), shape=_bn2d, module=_bn_module("BatchNorm2d"),
              weights="norm"),
    LayerSpec("LayerNorm", "Normalization",
              "Normalizes each sample over its last dimension (used in Transformers)",
              params=(_EPS, Param("elementwise_affine", "bool", True, "Learn a scale and shift")),
              shape=_layernorm, weights="norm",
              module=lambda p, xs: Ctor(nn("LayerNorm"), dict(
                  normalized_shape=xs[0].shape[-1], eps=p["eps"],
                  elementwise_affine=p["elementwise_affine"]))),
    _instance("InstanceNorm1d", 1),
    _instance("InstanceNorm2d", 2),
    LayerSpec("GroupNorm", "Normalization",
              "Normalizes each sample over groups of channels: independent of the batch size",
              params=(Param("num_groups", "int", 8, "Groups the channels are split into; must divide them", min=1),
                      _EPS, Param("affine", "bool", True, "Learn a scale and shift per channel")),
              shape=_groupnorm, weights="norm", key_params=("num_groups",),
              module=lambda p, xs: Ctor(nn("GroupNorm"), dict(num_groups=p["num_groups"], num_channels=xs[0].shape[0],
                                                               eps=p["eps"], affine=p["affine"]))),
]
