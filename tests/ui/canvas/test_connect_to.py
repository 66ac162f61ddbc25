"""Wiring from the keyboard (issue 20): Connect to… on the selected layer lists the layers the wiring rules
let its output go to, after it first; Enter wires it, as one undo step. Ctrl+K opens it, as the Edit menu and
the layer's context menu show."""
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from netbuilder.ui.document import Document
from netbuilder.ui.layer_picker import Picker

from uihelpers import assert_consistent, make_window


def answer_picker(text: str, seen: list) -> None:
    """When the picker opens: note its rows, type `text` and press Enter (as the user does)."""
    def answer():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, Picker):
            QTimer.singleShot(20, answer)
            return
        seen.append((dialog.windowTitle(), [dialog.list.item(i).text().split()[0] for i in range(dialog.list.count())]))
        QTest.keyClicks(dialog.search, text)
        QTest.keyClick(dialog.search, Qt.Key.Key_Return)
    QTimer.singleShot(0, answer)


def walk_window(qtbot):
    window = make_window(qtbot, Document())
    for layer in ("Input", "Linear", "ReLU", "Linear", "Output"):
        window.add_layer_at_centre(layer)  # five lone layers in a row
    return window, window.document.graph


def test_ctrl_k_wires_the_selected_layer_in_one_undo_step(qtbot):
    window, graph = walk_window(qtbot)
    fc1, relu = graph.by_name("linear1").id, graph.by_name("relu1").id
    with qtbot.waitActive(window):  # shortcuts and focus work in the active window
        window.activateWindow()
    window.scene.select_nodes([fc1])
    window.view.setFocus()
    steps = window.document.undo_stack.count()
    seen = []
    answer_picker("relu", seen)
    QTest.keyClick(window.view, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert seen == [("Connect linear1 to", ["relu1", "linear2", "output1"])]  # after it, nearest first
    assert graph.predecessors(relu) == [fc1]
    assert window.document.undo_stack.count() == steps + 1
    assert window.document.undo_stack.undoText() == "Connect linear1 to relu1"
    assert_consistent(window)
    window.document.undo_stack.undo()
    assert graph.predecessors(relu) == []
    assert_consistent(window)


def test_the_menus_offer_it_with_its_shortcut(qtbot):
    window, graph = walk_window(qtbot)
    edit = window.bench.action("connect_to")
    assert edit in window.bench.menu("edit").actions() and edit.shortcut().toString() == "Ctrl+K"
    scene = window.scene
    relu = graph.by_name("relu1").id
    menu = scene.build_node_menu(scene.node_items[relu])
    entry = next(a for a in menu.actions() if a.text() == "Connect to…")
    assert entry.shortcut().toString() == "Ctrl+K"
    seen = []
    answer_picker("output", seen)
    entry.trigger()
    assert seen[0][1] == ["linear2", "output1", "linear1"]  # after it first; the Input has no input to take it
    assert graph.predecessors(graph.by_name("output1").id) == [relu]


def test_nothing_to_connect_says_why(qtbot):
    window, graph = walk_window(qtbot)
    messages = []
    window.scene.message.connect(messages.append)
    window.scene.select_nodes([graph.by_name("output1").id])
    window.bench.action("connect_to").trigger()
    assert messages == ["output1 has no output to wire: it is where a network ends"]
    window.scene.clearSelection()
    window.bench.action("connect_to").trigger()
    assert "Select one layer first" in window.statusBar().currentMessage()
