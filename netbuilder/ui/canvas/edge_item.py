"""A wire from an output port to an input port, labelled with the tensor shape it carries."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QFont, QFontMetricsF, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem

from .. import theme


def wire_path(a: QPointF, b: QPointF) -> QPainterPath:
    path = QPainterPath(a)
    dx = max(40.0, abs(b.x() - a.x()) * 0.5)
    path.cubicTo(QPointF(a.x() + dx, a.y()), QPointF(b.x() - dx, b.y()), b)
    return path


class EdgeItem(QGraphicsPathItem):
    def __init__(self, scene, edge):
        super().__init__()
        self.graph_scene, self.edge = scene, edge
        self.label = ""
        self._label_rect = QRectF()
        self.setZValue(-1)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setPen(QPen(theme.wire_color(), 2.0))
        self.font = QFont()
        self.font.setPointSizeF(8.0)
        self.refresh()

    def refresh(self) -> None:
        """Re-read the shape it carries from the analysis and re-route between its ports."""
        value = self.graph_scene.analysis.edge_type(self.edge)
        self.prepareGeometryChange()
        self.label = str(value) if value is not None else "?"
        self.update_path()

    def update_path(self) -> None:
        src = self.graph_scene.node_items.get(self.edge.src)
        dst = self.graph_scene.node_items.get(self.edge.dst)
        if src is None or dst is None:
            return
        a_port = src.outputs.get(self.edge.src_port)
        b_port = dst.inputs.get(self.edge.dst_port)
        a = a_port.scenePos() if a_port else src.scenePos()
        b = b_port.scenePos() if b_port else dst.scenePos()
        self.prepareGeometryChange()
        path = wire_path(a, b)
        metrics = QFontMetricsF(self.font)
        w, h = metrics.horizontalAdvance(self.label) + 8, metrics.height() + 2
        mid = path.pointAtPercent(0.5)
        self._label_rect = QRectF(mid.x() - w / 2, mid.y() - h - 2, w, h)  # just above the wire
        self.setPath(path)

    def label_rect(self) -> QRectF:
        return self._label_rect

    def boundingRect(self) -> QRectF:
        return super().boundingRect().united(self.label_rect()).adjusted(-2, -2, 2, 2)

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(10)
        path = stroker.createStroke(self.path())
        path.addRect(self.label_rect())
        return path

    def paint(self, painter, option, widget=None) -> None:
        color = theme.SELECTED if self.isSelected() else theme.wire_color()
        painter.setPen(QPen(color, 2.5 if self.isSelected() else 1.8))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())
        if option.levelOfDetailFromTransform(painter.worldTransform()) < 0.35:
            return  # labels would be unreadable
        rect = self.label_rect()
        painter.setPen(QPen(color, 1))
        painter.setBrush(theme.canvas_background())
        painter.drawRoundedRect(rect, 4, 4)
        painter.setFont(self.font)
        painter.setPen(theme.text_color())
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.label)
