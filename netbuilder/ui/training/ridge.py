"""A ridge of histograms over epochs (as TensorBoard draws them): one filled curve per epoch, the oldest at the
bottom and palest, each shifted up by its epoch, so a layer's weights spreading or its gradients fading show
as a change of shape up the ridge."""
from __future__ import annotations

import pyqtgraph as pg

from .curves import style

HEIGHT = 2.5  # a histogram's peak, in rows of the ridge
ROWS = 16  # histograms drawn at most (spread over the epochs, the newest always): more would not be read


class RidgePlot(pg.PlotWidget):
    def __init__(self):
        super().__init__()
        style(self)
        self.setMouseEnabled(x=True, y=False)
        self.setLabel("left", "epoch")
        self.shown = None  # the histograms drawn, to redraw only when they change

    def show_histograms(self, histograms: list, what: str) -> None:
        if histograms is self.shown:
            return
        self.shown = histograms
        if len(histograms) > ROWS:
            step = (len(histograms) - 1) / (ROWS - 1)
            histograms = [histograms[round(i * step)] for i in range(ROWS)]
        self.clear()
        self.setLabel("bottom", what)
        count = len(histograms)
        for row, h in enumerate(histograms):
            centres = (h.edges[:-1] + h.edges[1:]) / 2
            peak = float(h.counts.max()) or 1.0
            y = row + h.counts / peak * HEIGHT
            shade = 0.25 + 0.75 * (row + 1) / count  # the newest is the strongest
            colour = (255, 127, 14)
            ridge = pg.PlotCurveItem(centres, y, pen=pg.mkPen(*colour, int(255 * shade), width=1.2),
                                     fillLevel=float(row), brush=pg.mkBrush(*colour, int(110 * shade)))
            ridge.setZValue(count - row)  # a row's peak rises over the rows above it: lower rows in front
            self.addItem(ridge)
        ticks = [(row, str(h.epoch)) for row, h in enumerate(histograms)]
        step = max(1, count // 8)
        self.getAxis("left").setTicks([ticks[::step]])
        if count:
            self.setYRange(0, count - 1 + HEIGHT, padding=0.02)
