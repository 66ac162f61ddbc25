"""The palette's search box: Ctrl+Z undoes its own typing first, then the document's edits, as it would anywhere
else in the window; Ctrl+Shift+Z redoes them."""
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from uihelpers import make_window

CTRL = Qt.KeyboardModifier.ControlModifier


def test_undo_in_the_search_box_reaches_the_canvas_once_the_box_has_nothing_to_undo(qtbot):
    window = make_window(qtbot)
    with qtbot.waitActive(window):  # focus moves only in the active window
        window.activateWindow()
    graph, stack = window.document.graph, window.document.undo_stack
    count = len(graph)
    window.add_layer_at_centre("ReLU")
    assert len(graph) == count + 1 and stack.count() == 1
    search = window.layer_palette.search
    QTest.mouseClick(search, Qt.MouseButton.LeftButton)
    assert search.hasFocus()
    QTest.keyClick(search, Qt.Key.Key_Z, CTRL)  # nothing typed: the canvas's last edit is undone
    assert len(graph) == count and stack.index() == 0
    QTest.keyClick(search, Qt.Key.Key_Z, CTRL | Qt.KeyboardModifier.ShiftModifier)  # and redone
    assert len(graph) == count + 1 and stack.index() == 1
    QTest.keyClicks(search, "conv")
    QTest.keyClick(search, Qt.Key.Key_Z, CTRL)  # the box's own typing first
    assert search.text() == "" and len(graph) == count + 1
    while search.isUndoAvailable():
        QTest.keyClick(search, Qt.Key.Key_Z, CTRL)
    QTest.keyClick(search, Qt.Key.Key_Z, CTRL)
    assert len(graph) == count and search.hasFocus()
