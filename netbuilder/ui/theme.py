"""Colours that follow the system palette (light or dark), and one hue per layer category."""
from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

CATEGORY_HUES = {
    "Input/Output": 140, "Core": 210, "Convolution": 25, "Pooling": 45, "Normalization": 280,
    "Regularization": 330, "Activation": 180, "Reshape": 60, "Recurrent": 0, "Attention": 250,
    "Merge": 100, "Blocks": 225,
}
ERROR = QColor(220, 50, 47)
WARNING = QColor(230, 150, 20)
SELECTED = QColor(38, 139, 210)
FROZEN = QColor(70, 150, 220)  # a layer whose weights are frozen (trainable off)


def palette() -> QPalette:
    return QApplication.palette()


def is_dark() -> bool:
    return palette().color(QPalette.ColorRole.Window).lightness() < 128


def category_color(category: str) -> QColor:
    hue = CATEGORY_HUES.get(category, 0)
    return QColor.fromHsl(hue, 120, 70 if is_dark() else 190)


def canvas_background() -> QColor:
    return QColor(38, 40, 44) if is_dark() else QColor(246, 247, 249)


def grid_color() -> QColor:
    return QColor(52, 55, 60) if is_dark() else QColor(228, 230, 234)


def node_fill() -> QColor:
    return QColor(55, 58, 64) if is_dark() else QColor(255, 255, 255)


def text_color() -> QColor:
    return palette().color(QPalette.ColorRole.WindowText)


def muted_text() -> QColor:
    c = text_color()
    return QColor(c.red(), c.green(), c.blue(), 170)


def wire_color() -> QColor:
    return QColor(150, 155, 165) if is_dark() else QColor(110, 115, 125)
