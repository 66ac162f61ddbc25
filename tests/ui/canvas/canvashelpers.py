"""Helpers for the canvas tests: layers by name, palette drags held over the canvas, points on wires."""
import warnings

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from netbuilder.ui.palette import layer_mime

from uihelpers import view_point


def node_named(window, name):
    return window.document.graph.by_name(name)


def drag_layer_over(window, layer: str, at: QPoint, drop: bool = True) -> None:
    """A palette drag held over the canvas at `at` (enter, move), then let go (drop)."""
    vp = window.view.viewport()
    mime = layer_mime(layer)
    actions = Qt.DropAction.CopyAction
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    with warnings.catch_warnings():  # PySide marks these constructors deprecated; Qt has no other
        warnings.simplefilter("ignore", DeprecationWarning)
        events = [QDragEnterEvent(at, actions, mime, buttons, mods), QDragMoveEvent(at, actions, mime, buttons, mods)]
        if drop:
            events.append(QDropEvent(QPointF(at), actions, mime, buttons, mods))
    for event in events:
        QApplication.sendEvent(vp, event)


def wire_point(window, edge) -> QPoint:
    """A point on the wire, away from its label and the layers."""
    item = window.scene.edge_items[edge]
    for t in (0.3, 0.35, 0.25, 0.4, 0.2):
        p = item.path().pointAtPercent(t)
        if window.scene.wire_at(p) is item:
            return view_point(window, p)
    raise AssertionError("no free point on the wire")


def boxes_overlap(window) -> list:
    items = list(window.scene.node_items.values())
    found = []
    for i, a in enumerate(items):
        for b in items[i + 1:]:
            if a.mapRectToScene(a.shape().boundingRect()).intersects(b.mapRectToScene(b.shape().boundingRect())):
                found.append((a.node.name, b.node.name))
    return found
