"""How a document opens in the canvas: the whole network when it fits at a readable zoom, else the
readable zoom with the view at the network's start (its top-left, where the Inputs are) rather than an
unreadable fit (the vanishing-gradient lesson fits at 17%)."""
from __future__ import annotations

from PySide6.QtCore import QPointF

READABLE_ZOOM = 0.6  # below this a layer's name and shape are too small to read
MARGIN = 30.0  # scene units between the view's edge and the first layer


def show_readable(view) -> None:
    """Fit the network in `view`, or show its start at READABLE_ZOOM when fitting would shrink it more."""
    scene = view.scene()
    if scene is None:
        return
    items = scene.itemsBoundingRect()
    if items.isEmpty():
        return
    view.fit()
    if view.zoom >= READABLE_ZOOM:
        return
    view.resetTransform()
    view.scale(READABLE_ZOOM, READABLE_ZOOM)
    port = view.viewport().rect()
    half = QPointF(port.width() / 2 / READABLE_ZOOM, port.height() / 2 / READABLE_ZOOM)
    view.centerOn(items.topLeft() + half - QPointF(MARGIN, MARGIN))
