"""Synthetic datasets made on the spot: toy tables to watch a decision boundary form, and sequences
for recurrent networks. Every generator takes keyword options only (n, noise, seed and its own),
checks them (DataError naming the generator, the option and the bad value), gives the same tensors
for the same seed, balances its classes (n // classes each, the remainder spread) and shuffles."""
from __future__ import annotations

import functools
import inspect
import math
import numbers
from typing import Callable

import numpy as np
import torch

from .builtin import _digits_arrays
from .raw import DataError, RawData

GENERATORS: dict[str, Callable[..., RawData]] = {}
_DESCRIPTIONS: dict[str, str] = {}
# option -> (whole number?, lowest, highest allowed value); any other option is checked by its generator
_RULES = {"n": (True, 1, 2_000_000), "classes": (True, 2, 1000), "steps": (True, 2, 10_000),
          "features": (True, 1, 10_000), "seed": (True, 0, 2**63 - 1), "noise": (False, 0, 1e6),
          "turns": (False, 0, 1000)}
MAX_VALUES = 50_000_000  # n x features x steps: 200 MB of float32, a generated set may not be larger


def _check(name: str, key: str, value) -> None:
    if key not in _RULES:
        return
    whole, low, high = _RULES[key]
    kind = "whole number" if whole else "number"
    ok = isinstance(value, numbers.Integral if whole else numbers.Real) and not isinstance(value, bool)
    ok = ok and math.isfinite(value) and low <= value <= high
    if not ok:
        raise DataError(f"{name}: {key} must be a {kind} from {low:,} to {high:,}, not {value!r}")


def _generator(description: str):
    """Register a generator under its function name, with its options checked before it runs."""
    def wrap(func):
        name, signature = func.__name__, inspect.signature(func)

        @functools.wraps(func)
        def checked(**options) -> RawData:
            unknown = sorted(set(options) - set(signature.parameters))
            if unknown:
                raise DataError(f"{name}: unknown option{'s' * (len(unknown) > 1)} {', '.join(unknown)}; "
                                f"it accepts {', '.join(signature.parameters)}")
            for key, value in options.items():
                _check(name, key, value)
            bound = signature.bind(**options)
            bound.apply_defaults()
            size = math.prod(int(bound.arguments.get(k, 1)) for k in ("n", "features", "steps"))
            if size > MAX_VALUES:
                raise DataError(f"{name}: n x features x steps is {size:,} values, more than the {MAX_VALUES:,}"
                                " a generated dataset may have: ask for fewer samples")
            data = func(**options)
            data.notes.append(f"synthetic {name}: " + ", ".join(f"{k}={v}" for k, v in bound.arguments.items()))
            return data

        GENERATORS[name], _DESCRIPTIONS[name] = checked, description
        return checked
    return wrap


def describe(name: str) -> str:
    """One line for a list of generators."""
    _known(name)
    return _DESCRIPTIONS[name]


def option_defaults(name: str) -> dict:
    """The options the generator called `name` takes, with the value each has when it is not given."""
    return {k: p.default for k, p in inspect.signature(GENERATORS[_known(name)]).parameters.items()}


def make(name: str, **options) -> RawData:
    """The dataset of the generator called `name`, made with these options."""
    return GENERATORS[_known(name)](**options)


def _known(name: str) -> str:
    if name not in GENERATORS:
        raise DataError(f"no synthetic dataset called {name!r}; the known ones are {', '.join(GENERATORS)}")
    return name


def _labels(n: int, classes: int, rng: np.random.Generator) -> np.ndarray:
    """n balanced class indices (n // classes each, the first classes one more), shuffled."""
    return rng.permutation(np.arange(n) % classes)


def _table(x: np.ndarray, labels: np.ndarray, classes: int) -> RawData:
    return RawData(torch.from_numpy(x.astype(np.float32)), torch.from_numpy(labels.astype(np.int64)), "table",
                   "classification", [str(c) for c in range(classes)], [f"x{i + 1}" for i in range(x.shape[1])])


def _on_circle(angle: np.ndarray) -> np.ndarray:
    return np.stack([np.cos(angle), np.sin(angle)], axis=1)


@_generator("Two interleaving half circles (2 features, 2 classes)")
def moons(*, n: int = 1000, noise: float = 0.1, seed: int = 0) -> RawData:
    rng = np.random.default_rng(seed)
    labels = _labels(n, 2, rng)
    t = rng.uniform(0, math.pi, n)
    upper = _on_circle(t)  # class 0: the upper half of the unit circle
    lower = np.array([1.0, 0.5]) - upper  # class 1: the lower half circle centred on (1, 0.5)
    x = np.where(labels[:, None] == 0, upper, lower) + rng.normal(0, noise, (n, 2))
    return _table(x, labels, 2)


@_generator("Interleaved spiral arms, one per class (2 features)")
def spirals(*, n: int = 1000, noise: float = 0.1, seed: int = 0, classes: int = 2, turns: float = 1.5) -> RawData:
    rng = np.random.default_rng(seed)
    labels = _labels(n, classes, rng)
    radius = rng.uniform(0, 1, n)  # arms fit in the unit disc
    angle = 2 * math.pi * (turns * radius + labels / classes)
    x = radius[:, None] * _on_circle(angle) + rng.normal(0, noise, (n, 2))
    return _table(x, labels, classes)


@_generator("Two concentric circles: class 0 of radius 1, class 1 of radius factor (2 features)")
def circles(*, n: int = 1000, noise: float = 0.05, seed: int = 0, factor: float = 0.5) -> RawData:
    if not (isinstance(factor, numbers.Real) and not isinstance(factor, bool) and 0 < factor < 1):
        raise DataError(f"circles: factor must be a number between 0 and 1 (both excluded), not {factor!r}")
    rng = np.random.default_rng(seed)
    labels = _labels(n, 2, rng)
    radius = np.where(labels == 0, 1.0, factor)
    x = radius[:, None] * _on_circle(rng.uniform(0, 2 * math.pi, n)) + rng.normal(0, noise, (n, 2))
    return _table(x, labels, 2)


@_generator("Gaussian blobs around random centres, one per class (noise is their spread)")
def blobs(*, n: int = 1000, noise: float = 1.0, seed: int = 0, classes: int = 3, features: int = 2) -> RawData:
    rng = np.random.default_rng(seed)
    labels = _labels(n, classes, rng)
    centres = rng.uniform(-10, 10, (classes, features))
    return _table(centres[labels] + rng.normal(0, noise, (n, features)), labels, classes)


@_generator("Regression of y = sin(2x) + 0.3x on x in [-3, 3] (1 feature)")
def regression_1d(*, n: int = 1000, noise: float = 0.1, seed: int = 0) -> RawData:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, (n, 1))
    y = np.sin(2 * x) + 0.3 * x + rng.normal(0, noise, (n, 1))
    return RawData(torch.from_numpy(x.astype(np.float32)), torch.from_numpy(y.astype(np.float32)), "table",
                   "regression", feature_names=["x"])


@_generator("Sine waves of random frequency and phase: predict the next value (sequence)")
def sine_forecast(*, n: int = 1000, noise: float = 0.05, seed: int = 0, steps: int = 30) -> RawData:
    rng = np.random.default_rng(seed)
    frequency = rng.uniform(0.2, 0.8, (n, 1))  # radians per step: periods of about 8 to 31 steps
    phase = rng.uniform(0, 2 * math.pi, (n, 1))
    series = np.sin(frequency * np.arange(steps + 1) + phase) + rng.normal(0, noise, (n, steps + 1))
    x = torch.from_numpy(series[:, :steps, None].astype(np.float32))
    return RawData(x, torch.from_numpy(series[:, steps:].astype(np.float32)), "sequence", "regression")


@_generator("The adding problem: sum the two marked values of a long sequence (sequence)")
def adding_problem(*, n: int = 1000, seed: int = 0, steps: int = 50, noise: float = 0.0) -> RawData:
    rng = np.random.default_rng(seed)
    values = rng.uniform(0, 1, (n, steps))
    first = rng.integers(0, steps, n)
    marked = np.stack([first, (first + rng.integers(1, steps, n)) % steps], axis=1)  # two distinct steps
    markers = np.zeros((n, steps))
    np.put_along_axis(markers, marked, 1.0, axis=1)
    y = np.take_along_axis(values, marked, axis=1).sum(axis=1, keepdims=True) + rng.normal(0, noise, (n, 1))
    x = torch.from_numpy(np.stack([values, markers], axis=2).astype(np.float32))
    return RawData(x, torch.from_numpy(y.astype(np.float32)), "sequence", "regression")


@_generator("The 8x8 handwritten digits read row by row (sequence of 8 steps, 10 classes)")
def digits_rows(*, n: int = 1797, noise: float = 0.0, seed: int = 0) -> RawData:
    images, labels = _digits_arrays()
    if n > len(labels):
        raise DataError(f"digits_rows: n must be at most {len(labels)} (the digits there are), not {n!r}")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(labels))  # then the k-th of each class before the (k+1)-th of any
    by_class = np.argsort(labels[order], kind="stable")
    rank = np.empty(len(labels), dtype=np.int64)
    rank[by_class] = np.arange(len(labels)) - np.searchsorted(labels[order][by_class], labels[order][by_class])
    chosen = rng.permutation(order[np.argsort(rank, kind="stable")[:n]])
    x = images[chosen].reshape(-1, 8, 8) / 16.0 + rng.normal(0, noise, (n, 8, 8))
    return RawData(torch.from_numpy(x.astype(np.float32)), torch.from_numpy(labels[chosen].astype(np.int64)),
                   "sequence", "classification", [str(d) for d in range(10)])


def ring_centres(classes: int = 8, radius: float = 2.0) -> torch.Tensor:
    """The centres of the ring's modes [classes, 2]: mode c at angle 2 pi c / classes."""
    angle = 2 * math.pi * np.arange(classes) / classes
    return torch.from_numpy((radius * _on_circle(angle)).astype(np.float32))


@_generator("A ring of Gaussian modes, one class per mode (2 features): what a GAN must cover")
def ring(*, n: int = 1000, noise: float = 0.05, seed: int = 0, classes: int = 8, radius: float = 2.0) -> RawData:
    if not (isinstance(radius, numbers.Real) and not isinstance(radius, bool) and math.isfinite(radius)
            and radius > 0):
        raise DataError(f"ring: radius must be a number above 0, not {radius!r}")
    rng = np.random.default_rng(seed)
    labels = _labels(n, classes, rng)
    centres = ring_centres(classes, radius).double().numpy()
    return _table(centres[labels] + rng.normal(0, noise, (n, 2)), labels, classes)


from . import scattered  # noqa: E402,F401 - registers scattered_digits (its own file: images, not tables)
