"""A small canvas to draw an input on with the mouse (a digit for a network of one-channel images): the
drawing is kept at the network's own resolution, each stroke painting a soft round brush, and shown
scaled up. `changed` fires when a stroke ends."""
from __future__ import annotations

import numpy as np
import torch
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QWidget

from .inside_pictures import rgb_pixmap


class DrawPad(QWidget):
    changed = Signal()

    def __init__(self, size: int = 220):
        super().__init__()
        self.setFixedSize(size, size)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Draw with the left button, erase with the right; Clear starts again")
        self.pixels = np.zeros((8, 8), dtype=np.float32)
        self._erase = False

    def set_resolution(self, height: int, width: int) -> None:
        if self.pixels.shape != (height, width):
            self.pixels = np.zeros((height, width), dtype=np.float32)
            self.update()

    def clear(self) -> None:
        self.pixels[:] = 0
        self.update()
        self.changed.emit()

    def drawing(self) -> torch.Tensor:
        """[1, H, W] in 0..1."""
        return torch.from_numpy(self.pixels.copy()).unsqueeze(0)

    def paint_at(self, point: QPointF, erase: bool = False) -> None:
        """One dab of the brush at a widget position: a soft disc about an eighth of the pad wide."""
        h, w = self.pixels.shape
        cx, cy = point.x() / self.width() * w, point.y() / self.height() * h
        radius = max(0.8, min(h, w) / 8)
        ys, xs = np.mgrid[0:h, 0:w] + 0.5
        dab = np.clip(1.5 - np.hypot(xs - cx, ys - cy) / radius, 0, 1).astype(np.float32)
        self.pixels = np.clip(self.pixels - dab, 0, 1) if erase else np.maximum(self.pixels, dab)
        self.update()

    def mousePressEvent(self, event) -> None:
        self._erase = event.button() == Qt.MouseButton.RightButton
        self.paint_at(event.position(), self._erase)

    def mouseMoveEvent(self, event) -> None:
        if event.buttons() & (Qt.MouseButton.LeftButton | Qt.MouseButton.RightButton):
            self.paint_at(event.position(), self._erase)

    def mouseReleaseEvent(self, event) -> None:
        self.changed.emit()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.drawPixmap(0, 0, rgb_pixmap(np.repeat(self.pixels[..., None], 3, 2), self.width()))
        painter.setPen(Qt.GlobalColor.gray)
        painter.drawRect(0, 0, self.width() - 1, self.height() - 1)
        painter.end()
