"""Arithmetic on every value: a scale by constants and torch's elementwise functions (exp, log, sqrt, abs,
clamp). The output has the input's shape."""
from __future__ import annotations

from .rules import custom, floats
from .spec import Ctor, LayerSpec, Param, ShapeError

FUNCTIONS = {
    "Exp": ("exp", "eˣ of every value (a log-variance to a variance, scores to rates)"),
    "Log": ("log", "The natural log of every value (NaN below zero, −inf at zero)"),
    "Sqrt": ("sqrt", "The square root of every value (NaN below zero)"),
    "Abs": ("abs", "The absolute value of every value"),
}


def _function(layer: str) -> LayerSpec:
    fn, what = FUNCTIONS[layer]
    return LayerSpec(layer, "Math", what, shape=lambda p, xs: floats(xs[0], layer),
                     module=lambda p, xs: Ctor(custom("Elementwise"), dict(fn=fn)))


def _clamp_shape(p, xs):
    x = floats(xs[0], "Clamp")
    if p["limits"] == "both" and p["min"] > p["max"]:
        raise ShapeError(f"Clamp's min ({p['min']}) is above its max ({p['max']})")
    return x


def _clamp_module(p, xs):
    low = p["min"] if p["limits"] in ("both", "min") else None
    high = p["max"] if p["limits"] in ("both", "max") else None
    return Ctor(custom("Clamp"), {"min": low, "max": high})


SPECS = [
    LayerSpec("Scale", "Math", "Multiplies every value by a constant and adds one: 0.5 · x, x / 255, 1 − x",
              params=(Param("scale", "float", 1.0, "What every value is multiplied by"),
                      Param("shift", "float", 0.0, "What is added after")),
              shape=lambda p, xs: floats(xs[0], "Scale"), key_params=("scale",),
              module=lambda p, xs: Ctor(custom("Scale"), dict(scale=float(p["scale"]), shift=float(p["shift"])))),
    *(_function(layer) for layer in FUNCTIONS),
    LayerSpec("Clamp", "Math", "Keeps every value between a minimum and a maximum",
              params=(Param("limits", "choice", "both", "Which limits apply: both, only the minimum or only the"
                            " maximum", choices=("both", "min", "max")),
                      Param("min", "float", 0.0, "Values below become this"),
                      Param("max", "float", 1.0, "Values above become this")),
              shape=_clamp_shape, module=_clamp_module, key_params=("limits",)),
]
