"""Per-layer gradient magnitudes: for each network, a heatmap of layers by steps (log colour) and
the current bars. Each network has its own colour range: a GAN's discriminator and generator
live on different scales."""
from __future__ import annotations

import math
import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from .. import theme
from .layer_axis import LayerAxis

REDRAW_MS = 100  # at most ten redraws a second
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
        self.heat = pg.PlotWidget(title=f"{prefix}gradient norm per layer (log10), input side at the top",
                                  axisItems={"left": LayerAxis(layers)})
        self.image = pg.ImageItem()
        self.heat.addItem(self.image)
        self.colors = pg.ColorBarItem(colorMap=COLORMAP, interactive=False, width=12, label="log10 norm")
        self.colors.setImageItem(self.image, insert_in=self.heat.plotItem)
        self.heat.invertY(True)
        self.heat.setLabel("bottom", "sampled steps (rolling window)")
        self.bar_plot = pg.PlotWidget(title="current gradient norm (log10)", axisItems={"left": LayerAxis(layers)})
        self.bars = pg.BarGraphItem(x0=[], y=[], height=0.6, width=[], brush=(38, 139, 210))
        self.bar_plot.addItem(self.bars)
        self.bar_plot.invertY(True)
        for plot in (self.heat, self.bar_plot):
            plot.setBackground(theme.canvas_background())
            plot.setTitle(plot.plotItem.titleLabel.text, color=theme.text_color())
            for axis in ("left", "bottom"):
                plot.getAxis(axis).setTextPen(theme.text_color())
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


def log_window(state) -> np.ndarray | None:
    """The run's recent gradient norms as log10, steps x layers (non-finite and zero at -12)."""
    if state is None or not state.gradients:
        return None
    norms = np.array(state.gradients, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.isfinite(norms) & (norms > 0), np.log10(norms), -12.0)


def groups(state) -> list[tuple[str, list[int]]]:
    """(network, indices into state.layers) for each network of the run that has watched layers."""
    where = {name: i for i, name in enumerate(state.layers)}
    found = [(title, [where[n] for n in names if n in where]) for title, names in state.networks]
    return [g for g in found if g[1]] or ([("network", list(range(len(state.layers))))] if state.layers else [])


def tints(state) -> dict[str, QColor]:
    """Each layer's colour for the canvas: its latest gradient within its network's recent range."""
    logs = log_window(state)
    if logs is None:
        return {}
    found = {}
    for _, idx in groups(state):
        part = logs[:, idx]
        low, high = float(part.min()), float(part.max())
        found.update({state.layers[i]: tint(state.gradients[-1][i], low, high) for i in idx})
        inside: dict[str, list[float]] = {}  # a block's layers (blocks.0.conv_a): the block is tinted by their mean
        for i in idx:
            if "." in state.layers[i]:
                inside.setdefault(state.layers[i].split(".")[0], []).append(float(logs[-1, i]))
        found.update({block: tint(10 ** float(np.mean(v)), low, high) for block, v in inside.items()})
    return found


class GradientView(QWidget):
    """The current run's gradients, one heatmap and bar chart per network; it subscribes to the runs."""

    def __init__(self):
        super().__init__()
        self.runs = None
        self.layers: list[str] = []
        self.shown_groups: list[tuple[str, list[int]]] = []
        self.views: list[NetworkGradients] = []
        self.rows = QVBoxLayout()
        self.legend = QLabel("Nodes are tinted by gradient magnitude: blue = smallest, red = largest"
                             " in the last steps of their network.")
        self.legend.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.rows, 1)
        layout.addWidget(self.legend)
        self._timer = QTimer(self, singleShot=True, interval=REDRAW_MS)
        self._timer.timeout.connect(self.redraw)

    def set_runs(self, runs) -> None:
        if self.runs is not None:
            self.runs.currentChanged.disconnect(self._changed)
            self.runs.runUpdated.disconnect(self._changed)
        self.runs = runs
        if runs is not None:
            runs.currentChanged.connect(self._changed)
            runs.runUpdated.connect(self._changed)
        self.redraw()

    def _changed(self, *_) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.redraw()

    def _reset(self, state) -> None:
        self.layers = list(state.layers) if state else []
        self.shown_groups = groups(state) if state else []
        for view in self.views:
            self.rows.removeWidget(view)
            view.deleteLater()
        several = len(self.shown_groups) > 1  # name the networks only when there is more than one
        self.views = [NetworkGradients(title if several else "", [self.layers[i] for i in idx])
                      for title, idx in self.shown_groups]
        for view in self.views:
            self.rows.addWidget(view, 1)

    def redraw(self) -> None:
        if not self.isVisible():
            return  # drawn when shown: a hidden tab costs the window nothing
        state = self.runs.current if self.runs is not None else None
        if state is None or list(state.layers) != self.layers or groups(state) != self.shown_groups:
            self._reset(state)
        logs = log_window(state)
        if logs is None:
            return
        for view, (_, idx) in zip(self.views, self.shown_groups):
            view.draw(logs[:, idx])
