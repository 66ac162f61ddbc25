"""Tensors as pictures for the Inside tab (RGB arrays in 0..1, then pixmaps): an input or a feature map in grey,
feature maps tiled, a sequence's values over time or an attention matrix as a heat map, a layer's weights
(convolution filters tiled, a weight matrix as a heat map)."""
from __future__ import annotations

import numpy as np
import torch
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap

from ...insight.probes import square

SIZE = 220  # pixels of each picture
MAPS = 16  # feature maps or filters shown at most
CELLS = 256  # values of a vector shown at most


def rgb_pixmap(rgb: np.ndarray, size: int = SIZE) -> QPixmap:
    """RGB [H, W, 3] in 0..1 as a pixmap scaled up without smoothing."""
    pixels = np.ascontiguousarray((np.clip(rgb, 0, 1) * 255).astype(np.uint8))
    image = QImage(pixels.data, pixels.shape[1], pixels.shape[0], pixels.strides[0], QImage.Format.Format_RGB888)
    return QPixmap.fromImage(image.copy()).scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                                                  Qt.TransformationMode.FastTransformation)


def grey(x: torch.Tensor) -> np.ndarray:
    """[C, H, W] or [H, W] stretched to 0..1 as RGB (three channels stay in colour)."""
    x = x.detach().float().cpu()
    colour = x.dim() == 3 and x.shape[0] == 3
    x = x if colour else x.mean(0) if x.dim() == 3 else x
    x = (x - x.min()) / (x.max() - x.min()).clamp_min(1e-12)
    return x.permute(1, 2, 0).numpy() if colour else np.repeat(x.numpy()[..., None], 3, 2)


def heat(x: torch.Tensor) -> np.ndarray:
    """[H, W] as RGB: blue below zero, white at zero, orange above (scaled by the largest size)."""
    v = x.detach().float().cpu().numpy()
    v = np.clip(v / (float(np.abs(v).max()) or 1.0), -1, 1)[..., None]
    high, low = np.array([1.0, 0.5, 0.05]), np.array([0.12, 0.47, 0.71])
    return np.where(v >= 0, 1 + (high - 1) * v, 1 + (low - 1) * -v)


def tiles(pictures: list[np.ndarray]) -> np.ndarray:
    """Pictures of one size [h, w, 3] side by side in a near-square grid, a white line between them."""
    rows, columns = square(len(pictures))
    h, w = pictures[0].shape[:2]
    out = np.ones((rows * (h + 1) - 1, columns * (w + 1) - 1, 3), dtype=np.float32)
    for i, picture in enumerate(pictures):
        r, c = divmod(i, columns)
        out[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = picture
    return out


def input_rgb(x: torch.Tensor) -> np.ndarray:
    """One sample as the network takes it: an image, a sequence [T, F] (time across), or a vector's cells."""
    if x.dim() == 3:
        return grey(x)
    if x.dim() == 2:
        return heat(x.t())
    return vector_rgb(x)


def vector_rgb(x: torch.Tensor) -> np.ndarray:
    values = x.detach().float().reshape(-1)[:CELLS]
    rows, columns = square(len(values))
    cells = torch.zeros(rows * columns)
    cells[:len(values)] = values
    return heat(cells.reshape(rows, columns))


def output_rgb(out: torch.Tensor) -> np.ndarray:
    """A layer's output for one sample: feature maps [C, H, W] tiled (each stretched on its own, dark is
    low), values over time [T, F] with time across (a recurrent layer's state, a Transformer's tokens), an
    attention matrix, or a vector as a strip of cells."""
    if out.dim() == 3:
        return tiles([grey(m) for m in out[:MAPS]])
    if out.dim() == 2:
        return heat(out.t())
    return vector_rgb(out)


def weights_rgb(weight: torch.Tensor) -> np.ndarray | None:
    """A layer's weights: convolution filters tiled (three input channels in colour, else their mean), or a
    weight matrix [out, in] as a heat map; None for other shapes."""
    w = weight.detach().float().cpu()
    if w.dim() == 4:
        return tiles([grey(f) for f in w[:MAPS * 2]])
    if w.dim() == 3:  # Conv1d: [out, in, k]
        return tiles([heat(f) for f in w[:MAPS * 2]])
    if w.dim() == 2:
        return heat(w[:CELLS, :CELLS])
    return None
