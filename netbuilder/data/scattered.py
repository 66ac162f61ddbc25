"""scattered_digits: scikit-learn's 8x8 digits enlarged, turned and placed anywhere on a larger canvas among
stray strokes (quarters of other digits, turned any way) and noise. Made from the seed when it is read, so it
needs no download. Where the 8x8 digits are learned from a hundred labels, these are not: the network must
find the digit, ignore the strokes around it and know it at any place, size and slant. A network that learned
strokes and shapes on thousands of the digits 0 to 4 brings that to the digits 5 to 9 (the transfer lesson).
The exported training script has a copy (deploy/script_template.py; a test keeps the two equal)."""
from __future__ import annotations

import numbers

import numpy as np
import torch
import torch.nn.functional as F

from .builtin import _digits_arrays
from .raw import DataError, RawData
from .synthetic import MAX_VALUES, _generator, _labels

SIZES = (16, 64)  # the canvas side, in pixels
MOST_CLUTTER = 10  # stray strokes a sample may have
DIGIT = (0.43, 0.64)  # a digit's side as a share of the canvas (12 to 18 pixels on 28)
TURN = 20.0  # a digit is turned by up to this many degrees either way
APART = 0.6  # a stray stroke's centre stays this many digit sides from the digit's centre (when it can)


@_generator("The 8x8 digits enlarged, turned and placed anywhere on a larger canvas among stray strokes and noise"
            " (images, size x size, 10 classes)")
def scattered_digits(*, n: int = 8000, noise: float = 0.1, seed: int = 0, size: int = 28,
                     clutter: int = 2) -> RawData:
    for name, value, (low, high) in (("size", size, SIZES), ("clutter", clutter, (0, MOST_CLUTTER))):
        if not (isinstance(value, numbers.Integral) and not isinstance(value, bool) and low <= value <= high):
            raise DataError(f"scattered_digits: {name} must be a whole number from {low} to {high}, not {value!r}")
    if n * size * size > MAX_VALUES:
        raise DataError(f"scattered_digits: n x size x size is {n * size * size:,} values, more than the "
                        f"{MAX_VALUES:,} a generated dataset may have: ask for fewer samples or a smaller size")
    images, labels = _digits_arrays()
    x, y = scattered(images, labels, n, noise, seed, size, clutter)
    return RawData(torch.from_numpy(x), torch.from_numpy(y), "image", "classification", [str(d) for d in range(10)])


def scattered(images: np.ndarray, labels: np.ndarray, n: int, noise: float, seed: int, size: int,
              clutter: int) -> tuple[np.ndarray, np.ndarray]:
    """(x float32 [n, 1, size, size] in 0..1, y int64 [n]): every random number drawn from one seeded generator."""
    rng = np.random.default_rng(seed)
    y = _labels(n, 10, rng)
    base = np.empty(n, dtype=np.int64)
    for digit in range(10):  # each sample enlarges a random one of the digits of its class
        where = np.flatnonzero(y == digit)
        base[where] = rng.choice(np.flatnonzero(labels == digit), len(where))
    digits = (images.reshape(-1, 1, 8, 8) / 16.0).astype(np.float32)
    side = rng.uniform(*DIGIT, n) * size
    cx, cy = rng.uniform(side / 2, size - side / 2), rng.uniform(side / 2, size - side / 2)
    x = _place(digits[base], side, np.radians(rng.uniform(-TURN, TURN, n)), cx, cy, size)
    rows = np.arange(8)
    for _ in range(clutter):
        other = digits[rng.integers(0, len(labels), n)]
        top, left = rng.integers(0, 5, (2, n))  # a random quarter (4x4) of another digit
        keep = ((rows[None, :, None] >= top[:, None, None]) & (rows[None, :, None] < top[:, None, None] + 4)
                & (rows[None, None, :] >= left[:, None, None]) & (rows[None, None, :] < left[:, None, None] + 4))
        stroke_side = rng.uniform(*DIGIT, n) * size
        turn = np.radians(rng.uniform(-180, 180, n))
        fx, fy = rng.uniform(0, size, (2, n))
        for _ in range(20):  # away from the digit, where a few tries find room
            near = np.hypot(fx - cx, fy - cy) < APART * side
            if not near.any():
                break
            fx[near], fy[near] = rng.uniform(0, size, (2, int(near.sum())))
        x = np.maximum(x, _place(other * keep[:, None].astype(np.float32), stroke_side, turn, fx, fy, size))
    x = np.clip(x + rng.normal(0, noise, x.shape), 0, 1) if noise else x
    return x.astype(np.float32), y.astype(np.int64)


def _place(small: np.ndarray, side: np.ndarray, angle: np.ndarray, cx: np.ndarray, cy: np.ndarray,
           size: int) -> np.ndarray:
    """8x8 pictures [m, 1, 8, 8] drawn side pixels wide, turned by angle (radians), centred at (cx, cy) on
    size x size canvases (bilinear, zero outside)."""
    scale, cos, sin = size / side, np.cos(angle), np.sin(angle)
    shift_x, shift_y = (cx - size / 2) / (size / 2), (cy - size / 2) / (size / 2)
    theta = np.zeros((len(small), 2, 3))
    theta[:, 0, 0], theta[:, 0, 1] = scale * cos, scale * sin
    theta[:, 1, 0], theta[:, 1, 1] = -scale * sin, scale * cos
    theta[:, 0, 2] = -(theta[:, 0, 0] * shift_x + theta[:, 0, 1] * shift_y)
    theta[:, 1, 2] = -(theta[:, 1, 0] * shift_x + theta[:, 1, 1] * shift_y)
    theta = torch.from_numpy(theta.astype(np.float32))
    grid = F.affine_grid(theta, [len(small), 1, size, size], align_corners=False)
    return F.grid_sample(torch.from_numpy(small), grid, align_corners=False).numpy()
