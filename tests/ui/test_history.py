"""Edit > History: the first row is the document as opened (not Qt's '<empty>'); clicking a row goes back to it."""
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from uihelpers import make_window


def test_the_history_starts_with_the_document_as_opened_and_a_click_there_undoes_everything(qtbot):
    window = make_window(qtbot)
    history, graph = window.history, window.document.graph
    window.docks["History"].show()
    window.docks["History"].raise_()
    count = len(graph)
    window.add_layer_at_centre("ReLU")
    window.add_layer_at_centre("Tanh")
    rows = [history.model().index(i, 0).data() for i in range(history.model().rowCount())]
    assert rows[0] == "The document as opened" and len(rows) == 3
    first = history.visualRect(history.model().index(0, 0))
    QTest.mouseClick(history.viewport(), Qt.MouseButton.LeftButton, pos=first.center())
    assert len(graph) == count and window.document.undo_stack.index() == 0
