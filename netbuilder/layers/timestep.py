"""The diffusion step as a vector: what a denoising network adds to its features to know how noisy its
input is (the denoising recipe feeds the step to an Input of shape [1])."""
from __future__ import annotations

from .rules import custom, fix_param
from .spec import Ctor, LayerSpec, Param, ShapeError, TensorType


def _timestep_shape(p, xs):
    x = xs[0]
    if x.shape != (1,):
        raise ShapeError(f"TimestepEmbedding expects one step per sample, [N, 1], but receives {x}")
    if p["dim"] % 2:
        raise ShapeError(f"TimestepEmbedding's dim ({p['dim']}) must be even: half sines, half cosines",
                         fix=fix_param("dim", p["dim"] + 1))
    return TensorType((p["dim"],))


SPECS = [
    LayerSpec(
        "TimestepEmbedding", "Generative",
        "Turns a diffusion step t into a vector of sines and cosines (as a Transformer encodes positions):"
        " follow it with Linear and SiLU, and add it to a denoising network's features",
        params=(Param("dim", "int", 32, "Length of the vector (even: half sines, half cosines)", min=2),
                Param("max_period", "float", 10000.0, "The slowest wave's period, in steps", min=1.0)),
        shape=_timestep_shape, accepts_int=True, key_params=("dim",),
        module=lambda p, xs: Ctor(custom("TimestepEmbedding"), dict(dim=p["dim"], max_period=p["max_period"]))),
]
