"""A wire from an output port to an input port, labelled with the tensor shape it carries."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QFont, QFontMetricsF, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem

from .. import theme
from .node_item import NodeItem


BELOW, ABOVE = -1.0, 1.0  # a wire's z: under the layers, or over one it would hide behind
CHANNEL = 22.0  # how far a wire going back leaves its port before it turns
LONG_CHANNEL = 46.0  # where a wire that passes several rows (a skip) runs down, beside the short ones


def wire_path(a: QPointF, b: QPointF, src: QRectF | None = None, dst: QRectF | None = None) -> QPainterPath:
    """A wire from output a to input b. Forward it is one smooth curve; when b is behind a (the next
    row of a top-to-bottom layout, or a wrapped row), it leaves to the right, crosses in the gap
    beside the target layer and enters it from the left, passing no layer on the way."""
    if src is None or dst is None or b.x() - a.x() >= 40:
        path = QPainterPath(a)
        dx = max(40.0, abs(b.x() - a.x()) * 0.5)
        path.cubicTo(QPointF(a.x() + dx, a.y()), QPointF(b.x() - dx, b.y()), b)
        return path
    if dst.top() - src.bottom() > 1.5 * src.height():  # a skip over several rows: down the left side
        y = src.bottom() + 18
        points = [a, QPointF(a.x() + CHANNEL, a.y()), QPointF(a.x() + CHANNEL, y),
                  QPointF(b.x() - LONG_CHANNEL, y), QPointF(b.x() - LONG_CHANNEL, b.y()), b]
        return rounded(points, 10.0)
    # Wires crossing the same gap keep apart: the longer the way back, the further from the target.
    away = 12 + (a.x() - b.x()) / 40
    if dst.top() - src.bottom() >= 12:  # the target is below: cross just above it
        y = dst.top() - min(away, (dst.top() - src.bottom()) - 8)
    elif src.top() - dst.bottom() >= 12:  # above: cross just below it
        y = dst.bottom() + min(away, (src.top() - dst.bottom()) - 8)
    else:  # side by side: pass under both
        y = max(src.bottom(), dst.bottom()) + 24
    points = [a, QPointF(a.x() + CHANNEL, a.y()), QPointF(a.x() + CHANNEL, y), QPointF(b.x() - CHANNEL, y),
              QPointF(b.x() - CHANNEL, b.y()), b]
    return rounded(points, 10.0)


def rounded(points: list[QPointF], radius: float) -> QPainterPath:
    """A polyline through the points with rounded corners."""
    path = QPainterPath(points[0])
    for prev, corner, nxt in zip(points, points[1:], points[2:]):
        into, out = corner - prev, nxt - corner
        len_in = max(abs(into.x()), abs(into.y()))
        len_out = max(abs(out.x()), abs(out.y()))
        r = min(radius, len_in / 2, len_out / 2)
        if r <= 0:
            path.lineTo(corner)
            continue
        path.lineTo(corner - into * (r / len_in))
        path.quadTo(corner, corner + out * (r / len_out))
    path.lineTo(points[-1])
    return path


class EdgeItem(QGraphicsPathItem):
    def __init__(self, scene, edge):
        super().__init__()
        self.graph_scene, self.edge = scene, edge
        self.label = ""
        self.highlight = False  # a palette layer is held over it: letting go inserts it here
        self.routed = False  # drawn around the layers (a wire going back)
        self._label_rect = QRectF()
        self.setZValue(BELOW)
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
        src_rect, dst_rect = src.sceneBoundingRect(), dst.sceneBoundingRect()
        path = wire_path(a, b, src_rect.adjusted(6, 6, -6, -6), dst_rect.adjusted(6, 6, -6, -6))
        self.routed = b.x() - a.x() < 40
        metrics = QFontMetricsF(self.font)
        w, h = metrics.horizontalAdvance(self.label) + 8, metrics.height() + 2
        mid = path.pointAtPercent(0.5)
        if self.routed:  # on the wire, in the gap it crosses
            self._label_rect = QRectF(mid.x() - w / 2, mid.y() - h / 2, w, h)
        else:  # just above the wire
            self._label_rect = QRectF(mid.x() - w / 2, mid.y() - h - 2, w, h)
        self.setPath(path)
        self.graph_scene.check_cover(self)  # soon, once for a burst of changes

    def hides_behind_a_layer(self) -> bool:
        """Whether a layer other than its two ends covers part of this wire or its label."""
        ends = {self.edge.src, self.edge.dst}
        outline = None
        for item in self.graph_scene.items(self.boundingRect(), Qt.ItemSelectionMode.IntersectsItemBoundingRect):
            if not isinstance(item, NodeItem) or item.node_id in ends:
                continue
            body = item.sceneBoundingRect().adjusted(6, 6, -6, -6)
            if body.intersects(self._label_rect):
                return True
            if outline is None:
                stroker = QPainterPathStroker()
                stroker.setWidth(2)
                outline = stroker.createStroke(self.path())
            if outline.intersects(body):
                return True
        return False

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

    def set_highlight(self, on: bool) -> None:
        if on != self.highlight:
            self.highlight = on
            self.update()

    def contextMenuEvent(self, event) -> None:
        self.graph_scene.clearSelection()
        self.setSelected(True)
        self.graph_scene.edge_menu(self, event.screenPos())
        event.accept()

    def paint(self, painter, option, widget=None) -> None:
        strong = self.isSelected() or self.highlight
        color = theme.SELECTED if strong else theme.wire_color()
        painter.setPen(QPen(color, 4.0 if self.highlight else 2.5 if strong else 1.8))
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
