"""The canvas view: zoom, pan, rubber-band selection, and drops from the palette."""
from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QGraphicsView

from ...analysis.in_place import wire_problem
from ...layers import CATALOG

LAYER_MIME = "application/x-netbuilder-layer"
MY_BLOCK = "myblock:"  # what the palette's My Blocks entries carry instead of a layer type
MIN_ZOOM, MAX_ZOOM = 0.1, 4.0


class GraphView(QGraphicsView):
    def __init__(self, scene, parent=None):
        super().__init__(scene, parent)
        self.setObjectName("canvas")
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setAcceptDrops(True)
        self.setSceneRect(QRectF(-50000, -50000, 100000, 100000))
        self._pan_from = None
        self.drop_wire = None  # the wire a palette layer held over the canvas would go on

    # ---- zoom and pan ----------------------------------------------------------------------
    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float) -> None:
        factor = max(MIN_ZOOM / self.zoom, min(MAX_ZOOM / self.zoom, factor))
        self.scale(factor, factor)

    def fit(self) -> None:
        items = self.scene().itemsBoundingRect()
        if items.isEmpty():
            return
        self.resetTransform()
        self.fitInView(items.adjusted(-40, -40, 40, 40), Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom > 1.0:
            self.resetTransform()
            self.centerOn(items.center())

    def wheelEvent(self, event) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom_by(1.15 ** steps)
        event.accept()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.MiddleButton:
            self._pan_from = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - int(delta.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - int(delta.y()))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._pan_from is not None and event.button() == Qt.MouseButton.MiddleButton:
            self._pan_from = None
            self.unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    # ---- drops from the palette ------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasFormat(LAYER_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasFormat(LAYER_MIME):
            layer = bytes(event.mimeData().data(LAYER_MIME)).decode()
            wire = self.scene().wire_at(self.mapToScene(event.position().toPoint()))
            mine = layer.startswith(MY_BLOCK)  # one of My Blocks: put on the wire when it has one input
            if wire is not None and not mine and (layer not in CATALOG or wire_problem(layer) is not None):
                wire = None  # it would not fit there: no promise of an insert
            self._hold_over(wire)
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragLeaveEvent(self, event) -> None:
        self._hold_over(None)
        super().dragLeaveEvent(event)

    def _hold_over(self, wire) -> None:
        if wire is not self.drop_wire:
            if self.drop_wire is not None and self.drop_wire.scene() is self.scene():
                self.drop_wire.set_highlight(False)
            self.drop_wire = wire
            if wire is not None:
                wire.set_highlight(True)

    def dropEvent(self, event) -> None:
        if not event.mimeData().hasFormat(LAYER_MIME):
            event.ignore()
            return
        layer = bytes(event.mimeData().data(LAYER_MIME)).decode()
        pos = self.mapToScene(event.position().toPoint())
        self._hold_over(None)
        self.scene().drop_layer(layer, pos, self.scene().wire_at(pos))
        self.setFocus()
        event.acceptProposedAction()
