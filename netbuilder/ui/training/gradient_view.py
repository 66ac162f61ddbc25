"""Per-layer gradient magnitudes: for each network, a heatmap of layers by steps (log colour) and
the current bars. Each network has its own colour range: a GAN's discriminator and generator
live on different scales."""
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
TINT_LEVELS = 12


def log_norm(value: float) -> float:
    return math.log10(value) if value > 0 and math.isfinite(value) else -12.0


def tint(value: float, low: float, high: float) -> QColor:
    """A light colour for a node: blue for the smallest gradients in the window, red for the largest."""
    t = 0.5 if high <= low else min(1.0, max(0.0, (log_norm(value) - low) / (high - low)))
    t = round(t * TINT_LEVELS) / TINT_LEVELS  # a node repaints only when its colour visibly changes
    return QColor.fromHsvF(0.66 * (1 - t), 0.45, 1.0 if not theme.is_dark() else 0.45)


class NetworkGradients(QWidget):
    """One network's heatmap (layers by steps, input side at the top) and current bars."""

    def __init__(self, title: str, layers: list[str]):
        super().__init__()
        self.layers = layers
        prefix = f"{title}: " if title else ""
        self.heat = pg.PlotWidget(title=f"{prefix}gradient norm per layer (log10), input side at the top")
        self.image = pg.ImageItem()
        self.heat.addItem(self.image)
        self.colors = pg.ColorBarItem(colorMap=COLORMAP, interactive=False, width=12, label="log10 norm")
        self.colors.setImageItem(self.image, insert_in=self.heat.plotItem)
        self.heat.invertY(True)
        self.heat.setLabel("bottom", "step (rolling window)")
        self.bar_plot = pg.PlotWidget(title="current gradient norm (log10)")
        self.bars = pg.BarGraphItem(x0=[], y=[], height=0.6, width=[], brush=(38, 139, 210))
        self.bar_plot.addItem(self.bars)
        self.bar_plot.invertY(True)
        ticks = [list(enumerate(layers))]
        for plot in (self.heat, self.bar_plot):
            plot.setBackground(theme.canvas_background())
            plot.setTitle(plot.plotItem.titleLabel.text, color=theme.text_color())
            for axis in ("left", "bottom"):
                plot.getAxis(axis).setTextPen(theme.text_color())
            plot.getAxis("left").setTicks(ticks)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.heat, 3)
        row.addWidget(self.bar_plot, 2)

    def draw(self, data: np.ndarray) -> tuple[float, float]:
        """data: log10 norms, steps x these layers. Returns the (low, high) range of the window."""
        low, high = float(data.min()), float(data.max())
        levels = (low, high if high > low else low + 1)
        self.image.setImage(data, levels=levels)
        self.colors.setLevels(levels)
        self.image.setRect(QRectF(0, -0.5, data.shape[0], data.shape[1]))  # rows centred on their ticks
        current = data[-1]
        base = min(low, current.min())
        self.bars.setOpts(x0=np.full(len(current), base), y=np.arange(len(current)),
                          width=current - base, height=0.6)
        return low, high


class GradientView(QWidget):
    def __init__(self):
        super().__init__()
        self.layers: list[str] = []
        self.groups: list[tuple[str, list[int]]] = []  # (network, indices into layers)
        self.history: deque[list[float]] = deque(maxlen=WINDOW)
        self.views: list[NetworkGradients] = []
        self.rows = QVBoxLayout()
        self.legend = QLabel("Nodes are tinted by gradient magnitude: blue = smallest, red = largest"
                             " in the last steps of their network.")
        self.legend.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.rows, 1)
        layout.addWidget(self.legend)

    def reset(self, layers: list[str], networks: list[tuple[str, list[str]]] | None = None) -> None:
        """Start over with these layers; `networks` splits them into (name, layers) views."""
        self.layers = list(layers)
        self.history.clear()
        where = {name: i for i, name in enumerate(self.layers)}
        networks = networks or [("network", self.layers)]
        self.groups = [(title, [where[n] for n in names if n in where]) for title, names in networks]
        self.groups = [g for g in self.groups if g[1]]
        for view in self.views:
            self.rows.removeWidget(view)
            view.deleteLater()
        several = len(self.groups) > 1  # name the networks only when there is more than one
        self.views = [NetworkGradients(title if several else "", [self.layers[i] for i in idx])
                      for title, idx in self.groups]
        for view in self.views:
            self.rows.addWidget(view, 1)

    def add(self, norms_per_step: list[list[float]]) -> dict[str, tuple[float, float]]:
        """Append steps; redraw if shown; return each layer's network (low, high) log range, for tints."""
        for norms in norms_per_step:
            if len(norms) == len(self.layers):
                self.history.append(norms)
        return self.redraw(draw=self.isVisible())

    def redraw(self, draw: bool = True) -> dict[str, tuple[float, float]]:
        if not self.history:
            return {}
        norms = np.array(self.history, dtype=float)  # steps x layers
        with np.errstate(divide="ignore", invalid="ignore"):
            logs = np.where(np.isfinite(norms) & (norms > 0), np.log10(norms), -12.0)
        ranges = {}
        for view, (_, idx) in zip(self.views, self.groups):
            part = logs[:, idx]
            span = view.draw(part) if draw else (float(part.min()), float(part.max()))
            ranges.update({self.layers[i]: span for i in idx})
        return ranges


def network_names(graph) -> list[tuple[str, list[str]]]:
    """(name, layer names) per network of the document, named after its Output (or first node)."""
    named = []
    for part in graph.networks():
        nodes = [graph.node(i) for i in part]
        title = next((n.name for n in nodes if n.type == "Output"), nodes[0].name)
        named.append((title, [n.name for n in nodes]))
    return named
