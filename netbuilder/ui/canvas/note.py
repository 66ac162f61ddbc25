"""A short note shown on the canvas where the mouse is (why a wire was refused, which wire another
replaced), then gone."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPen
from PySide6.QtWidgets import QGraphicsItem

from .. import theme

SHOW_MS = 3500


class Note(QGraphicsItem):
    def __init__(self, scene):
        super().__init__()
        self.text = ""
        self.error = True
        self.font = QFont()
        self.font.setPointSizeF(9.0)
        self.setZValue(100)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setVisible(False)
        scene.addItem(self)
        self.timer = QTimer(scene)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(lambda: self.setVisible(False))

    def show_at(self, text: str, pos: QPointF, error: bool = True) -> None:
        self.prepareGeometryChange()
        self.text, self.error = text, error
        self.setPos(pos + QPointF(12, 12))
        self.setVisible(True)
        self.update()
        self.timer.start(SHOW_MS)

    def boundingRect(self) -> QRectF:
        metrics = QFontMetricsF(self.font)
        return QRectF(0, 0, metrics.horizontalAdvance(self.text) + 16, metrics.height() + 10)

    def paint(self, painter, option, widget=None) -> None:
        rect = self.boundingRect()
        painter.setPen(QPen(theme.ERROR if self.error else theme.WARNING, 1.5))
        if self.error:
            painter.setBrush(QColor(255, 240, 238) if not theme.is_dark() else QColor(70, 30, 30))
        else:
            painter.setBrush(QColor(255, 248, 225) if not theme.is_dark() else QColor(70, 55, 20))
        painter.drawRoundedRect(rect.adjusted(1, 1, -1, -1), 5, 5)
        painter.setFont(self.font)
        painter.setPen(theme.text_color())
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.text)
