"""The gesture of drawing a new wire: press on a port, drag, release on another port."""
from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QGraphicsPathItem

from .. import theme
from .edge_item import wire_path
from .port_item import PortItem


class WireDrag:
    def __init__(self, scene, port: PortItem, pos: QPointF):
        self.scene, self.port = scene, port
        self.target: PortItem | None = None
        self.item = QGraphicsPathItem()
        pen = QPen(theme.SELECTED, 2.0, Qt.PenStyle.DashLine)
        self.item.setPen(pen)
        self.item.setZValue(10)
        scene.addItem(self.item)
        self.move(pos)

    def port_at(self, pos: QPointF) -> PortItem | None:
        for item in self.scene.items(pos):
            if isinstance(item, PortItem) and item is not self.port:
                return item
        return None

    def move(self, pos: QPointF) -> None:
        target = self.port_at(pos)
        if target is not self.target:
            for port in (self.target, target):
                if port is not None:
                    port.highlight = port is target
                    port.update()
            self.target = target
        end = target.scenePos() if target else pos
        start = self.port.scenePos()
        self.item.setPath(wire_path(end, start) if self.port.is_input else wire_path(start, end))

    def finish(self, pos: QPointF) -> str | None:
        """Connect if released on a port; returns why the wire was refused, or None."""
        self.move(pos)
        self.scene.removeItem(self.item)
        target = self.target
        if target is not None:
            target.highlight = False
            target.update()
            return self.scene.connect_ports(self.port, target)
        return None
