"""Guard against the PySide6 build that drops a reference to None on every void call (6.12.0 on
Python 3.11 aborts the app after a few thousand calls with "none_dealloc")."""
import sys

from PySide6.QtWidgets import QGraphicsPathItem


def test_void_calls_keep_none_alive(qtbot):
    item = QGraphicsPathItem()
    before = sys.getrefcount(None)
    for _ in range(5000):
        item.setZValue(1.0)
    assert sys.getrefcount(None) >= before - 100
