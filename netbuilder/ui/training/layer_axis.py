"""An axis that names a plot's rows after layers (row i centred on i), readable at any number of layers: names
too long are elided in the middle (blocks.0.co…_a keeps both ends), and when the rows are closer than a line of
text only every k-th is named (the first always), so no two names overlap."""
from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics

NAME_WIDTH = 140  # pixels: a longer layer name is elided
LINE_ROOM = 1.15  # a named row gets at least this many lines of text


class LayerAxis(pg.AxisItem):
    def __init__(self, names: list[str], orientation: str = "left", name_width: int = NAME_WIDTH):
        super().__init__(orientation)
        self.names = list(names)
        self.name_width = name_width

    def _metrics(self) -> QFontMetrics:
        return QFontMetrics(self.style["tickFont"] or QFont())

    def tickValues(self, minVal: float, maxVal: float, size: float):
        low, high = sorted((minVal, maxVal))  # an inverted view (input side at the top) gives them reversed
        count = len(self.names)
        if not count or size <= 0 or high <= low:
            return []
        per_row = size / (high - low)  # pixels between two rows
        step = max(1, math.ceil(LINE_ROOM * self._metrics().height() / per_row))
        return [(step, [float(i) for i in range(0, count, step) if low <= i <= high])]

    def tickStrings(self, values, scale, spacing):
        metrics = self._metrics()
        return [metrics.elidedText(self.names[int(round(v))], Qt.TextElideMode.ElideMiddle, self.name_width)
                if 0 <= int(round(v)) < len(self.names) else "" for v in values]
