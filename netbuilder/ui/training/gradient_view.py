"""Per-layer gradient magnitudes: a heatmap of layers by steps (log colour) and the current bars."""
from __future__ import annotations

import math
from collections import deque

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from .. import theme

WINDOW = 200  # steps shown: axes follow this rolling window, not all-time extremes
COLORMAP = pg.colormap.get("viridis")


def log_norm(value: float) -> float:
    return math.log10(value) if value > 0 and math.isfinite(value) else -12.0


def tint(value: float, low: float, high: float) -> QColor:
    """A light colour for a node: blue for the smallest gradients in the window, red for the largest."""
    t = 0.5 if high <= low else min(1.0, max(0.0, (log_norm(value) - low) / (high - low)))
    color = QColor.fromHsvF(0.66 * (1 - t), 0.45, 1.0 if not theme.is_dark() else 0.45)
    return color


class GradientView(QWidget):
    def __init__(self):
        super().__init__()
        self.layers: list[str] = []
        self.history: deque[list[float]] = deque(maxlen=WINDOW)
        self.heat = pg.PlotWidget(title="gradient norm per layer (log10), input side at the top")
        self.image = pg.ImageItem()
        self.heat.addItem(self.image)
        self.heat.invertY(True)
        self.heat.setLabel("bottom", "step (rolling window)")
        self.bar_plot = pg.PlotWidget(title="current gradient norm (log10)")
        self.bars = pg.BarGraphItem(x0=[], y=[], height=0.6, width=[], brush=(38, 139, 210))
        self.bar_plot.addItem(self.bars)
        self.bar_plot.invertY(True)
        self.legend = QLabel("Nodes are tinted by gradient magnitude: blue = smallest, red = largest"
                             " in the last steps.")
        self.legend.setWordWrap(True)
        for plot in (self.heat, self.bar_plot):
            plot.setBackground(theme.canvas_background())
            for axis in ("left", "bottom"):
                plot.getAxis(axis).setTextPen(theme.text_color())
        row = QHBoxLayout()
        row.addWidget(self.heat, 3)
        row.addWidget(self.bar_plot, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row, 1)
        layout.addWidget(self.legend)

    def reset(self, layers: list[str]) -> None:
        self.layers = list(layers)
        self.history.clear()
        ticks = [list(enumerate(self.layers))]
        for plot in (self.heat, self.bar_plot):
            plot.getAxis("left").setTicks(ticks)
        self.image.clear()
        self.bars.setOpts(x0=[], y=[], width=[])

    def add(self, norms_per_step: list[list[float]]) -> tuple[float, float]:
        """Append steps; redraw; return the (low, high) log range of the window for tints."""
        for norms in norms_per_step:
            if len(norms) == len(self.layers):
                self.history.append(norms)
        if not self.history or not self.layers:
            return (0.0, 0.0)
        norms = np.array(self.history, dtype=float)  # steps x layers
        with np.errstate(divide="ignore", invalid="ignore"):
            data = np.where(np.isfinite(norms) & (norms > 0), np.log10(norms), -12.0)
        low, high = float(data.min()), float(data.max())
        self.image.setImage(data, levels=(low, high if high > low else low + 1))
        self.image.setColorMap(COLORMAP)
        self.image.setRect(QRectF(0, -0.5, data.shape[0], data.shape[1]))  # rows centred on their ticks
        current = data[-1]
        self.bars.setOpts(x0=np.full(len(current), min(low, current.min())), y=np.arange(len(current)),
                          width=current - min(low, current.min()), height=0.6)
        return low, high
