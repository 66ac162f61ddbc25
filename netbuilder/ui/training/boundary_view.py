"""The Boundary tab: for a classifier of two features, the class the network gives each point of the plane
(coloured by class, paler where it is less sure) with the validation samples on top, redrawn after every
epoch so the learner watches the boundary form. Selecting a hidden layer on the canvas paints its first
unit's output over the plane instead (as TensorFlow Playground does), during the run and after it. Other
networks get a line saying why there is none."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from .curves import scrolled, style

CLASS_COLOURS = np.array([(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
                          (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)],
                         dtype=np.float32)
NONE_YET = "Train a classifier of two features (the moons or spirals data, a two-column CSV) to watch its" \
           " decision boundary form here."


def unit_rgb(values: np.ndarray) -> np.ndarray:
    """[size, size, 3] uint8: a unit's output, orange above zero and blue below, white at zero."""
    scale = float(np.abs(values).max()) or 1.0
    v = np.clip(values / scale, -1, 1)[..., None]
    high, low = CLASS_COLOURS[1], CLASS_COLOURS[0]
    return np.where(v >= 0, 255 + (high - 255) * v, 255 + (low - 255) * -v).astype(np.uint8)


def boundary_rgb(classes: np.ndarray, sureness: np.ndarray) -> np.ndarray:
    """[size, size, 3] uint8: each class's colour, blended towards white where the network is unsure."""
    colours = CLASS_COLOURS[classes % len(CLASS_COLOURS)]
    chance = 1.0 / max(2, int(classes.max()) + 1)
    weight = np.clip((sureness - chance) / (1 - chance), 0, 1)[..., None] * 0.75 + 0.1
    return (colours * weight + 255 * (1 - weight)).astype(np.uint8)


class BoundaryView(QWidget):
    def __init__(self):
        super().__init__()
        self.message = QLabel(NONE_YET)
        self.message.setWordWrap(True)
        self.plot = pg.PlotWidget()
        self.plot.setLabel("bottom", "feature 1")
        self.plot.setLabel("left", "feature 2")
        style(self.plot)  # the light or dark palette, as the other plots
        self.image = pg.ImageItem(axisOrder="row-major")
        self.points = pg.ScatterPlotItem(size=6, pen=pg.mkPen(40, 40, 40, 160))
        self.plot.addItem(self.image)
        self.plot.addItem(self.points)
        self.plot.setAspectLocked(True)  # the plane as it is, not stretched into a strip by a low dock
        self.plot.setMinimumHeight(220)
        self.plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)  # fills the dock, no more
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addWidget(self.message)
        layout.addWidget(self.plot, 1)
        scrolled(self, content)
        self.shown = None
        self._points = None  # the samples drawn
        self.state = None
        self.layer = None  # the layer whose unit is painted (selected on the canvas), or None: the classes
        self.hovered = None  # the layer under the mouse on the canvas, painted while it is there

    def select_layer(self, name: str | None) -> None:
        """Paint this layer's first unit (None: the classes)."""
        self.layer = name
        self.shown = None
        self.show_run(self.state)

    def hover_layer(self, name: str | None) -> None:
        """While the mouse is over a layer on the canvas, paint its first unit (as Playground does); then
        the selected layer's again."""
        if name != self.hovered:
            self.hovered = name
            self.shown = None
            if self.isVisible():
                self.show_run(self.state)

    def show_run(self, state) -> None:
        self.state = state
        picture = state.boundary if state is not None else None
        if picture is None:
            why = state.boundary_why_not if state is not None else ""
            self.message.setText(f"No boundary: {why}." if why else NONE_YET)
            self.plot.setVisible(False)
            self.shown = None
            return
        self.plot.setVisible(True)
        if picture is self.shown:
            return
        self.shown = picture
        layer = self.hovered if self.hovered in picture.units else self.layer
        unit = picture.units.get(layer) if layer else None
        if unit is not None:
            self.message.setText(f"{state.run.name}, epoch {picture.epoch}: the first unit of '{layer}' over"
                                 " the plane (orange above zero, blue below), and the validation samples. Select"
                                 " the Output to see the classes again.")
            rgb = unit_rgb(unit)
        else:
            self.message.setText(f"{state.run.name}, epoch {picture.epoch}: the class the network gives each point"
                                 " (paler where it is less sure), and the validation samples. Select a hidden"
                                 " layer on the canvas to see what its first unit does.")
            rgb = boundary_rgb(picture.classes, picture.sureness)
        x0, x1, y0, y1 = picture.extent
        self.image.setImage(rgb, autoLevels=False)
        self.image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
        if picture.points is not self._points:  # the same samples every epoch of a run: drawn once
            self._points = picture.points
            brushes = [pg.mkBrush(*c) for c in CLASS_COLOURS.astype(int).tolist()]  # shared: one symbol per class
            self.points.setData(picture.points[:, 0], picture.points[:, 1],
                                brush=[brushes[c % len(brushes)] for c in picture.labels.astype(int).tolist()])
        self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
