"""A port: the round target on a node's side that wires start from and end at."""
from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QPen
from PySide6.QtWidgets import QGraphicsItem

from .. import theme

RADIUS = 6.0


class PortItem(QGraphicsItem):
    def __init__(self, node_item, name: str, is_input: bool):
        super().__init__(node_item)
        self.node_item, self.name, self.is_input = node_item, name, is_input
        self.highlight = False
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip(f"{'input' if is_input else 'output'} '{name}': drag to connect")

    @property
    def node_id(self) -> str:
        return self.node_item.node_id

    def boundingRect(self) -> QRectF:
        r = RADIUS + 3
        return QRectF(-r, -r, 2 * r, 2 * r)

    def paint(self, painter, option, widget=None) -> None:
        connected = self.node_item.port_connected(self)
        painter.setPen(QPen(theme.wire_color(), 1.5))
        fill = theme.SELECTED if self.highlight else (theme.wire_color() if connected else theme.node_fill())
        painter.setBrush(QBrush(fill))
        r = RADIUS + (2 if self.highlight else 0)
        painter.drawEllipse(QRectF(-r, -r, 2 * r, 2 * r))

    def hoverEnterEvent(self, event) -> None:
        self.highlight = True
        self.update()

    def hoverLeaveEvent(self, event) -> None:
        self.highlight = False
        self.update()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.scene().start_wire(self, event.scenePos())
            event.accept()
        else:
            event.ignore()

    def mouseMoveEvent(self, event) -> None:
        self.scene().drag_wire(event.scenePos())

    def mouseReleaseEvent(self, event) -> None:
        self.scene().finish_wire(event.scenePos())
