"""The editor driven as a user drives it: real mouse and key events, then model and items agree."""
import warnings

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QSpinBox

from netbuilder.ui.canvas.view import LAYER_MIME
from netbuilder.ui.palette import layer_mime

from canvashelpers import node_named
from uihelpers import assert_consistent, double_click, drag, make_window, port_point, view_point


def key(window, sequence: str) -> None:
    """Type a shortcut into the window, as the active window (shortcuts go to the active one)."""
    window.activateWindow()
    QApplication.processEvents()
    QTest.keySequence(window, sequence)
    QApplication.processEvents()


def drop_layer(window, layer: str, at: QPoint) -> None:
    """Deliver a palette drag's enter, move and drop events to the canvas."""
    vp = window.view.viewport()
    mime = layer_mime(layer)
    actions = Qt.DropAction.CopyAction
    with warnings.catch_warnings():  # PySide marks these constructors deprecated; Qt has no other
        warnings.simplefilter("ignore", DeprecationWarning)
        events = (QDragEnterEvent(at, actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier),
                  QDragMoveEvent(at, actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier),
                  QDropEvent(QPointF(at), actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))
    for event in events:
        QApplication.sendEvent(vp, event)


def test_drop_a_layer_from_the_palette_where_the_mouse_is(window, qtbot):
    graph = window.document.graph
    count = len(graph)
    at = QPoint(300, 500)
    drop_layer(window, "Dropout", at)
    assert len(graph) == count + 1
    node = graph.nodes()[-1]
    assert node.type == "Dropout"
    where = window.view.mapToScene(at)
    assert abs(node.pos[0] + 85 - where.x()) <= 20 and abs(node.pos[1] + 30 - where.y()) <= 20
    assert window.scene.selected_node_ids() == [node.id]
    assert window.inspector.node_id == node.id
    assert_consistent(window)
    key(window, "Ctrl+Z")
    assert len(graph) == count
    assert_consistent(window)
    key(window, "Ctrl+Shift+Z")
    assert len(graph) == count + 1
    assert_consistent(window)


def test_palette_mime_and_double_click(window, qtbot):
    mime = layer_mime("Conv2d")
    assert bytes(mime.data(LAYER_MIME)).decode() == "Conv2d"
    palette = window.layer_palette
    palette.search.setText("lstm")
    visible = [i.text(0) for i in palette._layer_items() if not i.isHidden()]
    assert visible[0] == "LSTM" and "Conv2d" not in visible  # names first, then help text
    item = palette.item_for("LSTM")
    rect = palette.tree.visualItemRect(item)
    double_click(palette.tree.viewport(), rect.center())
    assert window.document.graph.nodes()[-1].type == "LSTM"
    assert_consistent(window)


def test_connect_two_ports_by_dragging(window, qtbot):
    graph = window.document.graph
    drop_layer(window, "ReLU", QPoint(600, 560))
    relu = graph.nodes()[-1].id
    window.fit()
    fc2 = node_named(window, "fc2").id
    start = port_point(window, fc2, "out", False)
    end = port_point(window, relu, "in", True)
    drag(window, start, end)
    assert any(e.src == fc2 and e.dst == relu for e in graph.edges())
    assert window.document.analysis.output(relu).shape == (10,)
    assert_consistent(window)
    key(window, "Ctrl+Z")
    assert not any(e.dst == relu for e in graph.edges())
    assert_consistent(window)


def test_a_wire_that_makes_a_cycle_is_refused_with_the_reason(window, qtbot):
    graph = window.document.graph
    before = sorted(graph.edges())
    fc2, conv1 = node_named(window, "fc2").id, node_named(window, "conv1").id
    window.fit()
    drag(window, port_point(window, fc2, "out", False), port_point(window, conv1, "in", True))
    assert window.scene.last_refusal == "this wire would make a cycle: data cannot flow in a loop"
    assert "cycle" in window.statusBar().currentMessage()
    note = window.scene.note  # the reason is shown on the canvas where the mouse let go
    assert note.isVisible() and note.text == window.scene.last_refusal
    assert (note.pos() - window.view.mapToScene(port_point(window, conv1, "in", True))).manhattanLength() < 40
    assert sorted(graph.edges()) == before
    assert_consistent(window)


def test_a_shape_typed_wrong_is_refused_and_the_old_one_kept(window, qtbot):
    """'4x' (a size cut short) is no shape: said under the form, nothing changes; '1 x 8 x 8' is read."""
    graph = window.document.graph
    image = node_named(window, "image").id
    window.scene.select_nodes([image])
    line = window.inspector.findChild(QLineEdit, "param_shape")
    for typed in ("4x", "1,,8"):
        line.setText(typed)
        line.editingFinished.emit()
        assert graph.node(image).params["shape"] == [1, 8, 8]
        assert f"'{typed}' is not a list of whole numbers" in window.inspector.error.text()
    assert window.document.undo_stack.count() == 0
    line.setText("(1, 8 x 8)")
    line.editingFinished.emit()
    assert window.inspector.error.text() == "" and window.document.undo_stack.count() == 0  # the same shape


def test_edit_a_param_in_the_inspector_is_one_undo_step(window, qtbot):
    graph = window.document.graph
    conv1 = node_named(window, "conv1").id
    window.scene.select_nodes([conv1])
    box = window.inspector.findChild(QSpinBox, "param_out_channels")
    box.selectAll()
    QTest.keyClicks(box, "24")
    QTest.keyClick(box, Qt.Key.Key_Return)
    assert graph.node(conv1).params["out_channels"] == 24
    assert window.document.analysis.output(conv1).shape == (24, 8, 8)
    assert "[N, 24, 8, 8]" in window.inspector.shape_label.text()
    assert window.isWindowModified()
    assert_consistent(window)
    stack = window.document.undo_stack
    assert stack.count() == 1
    key(window, "Ctrl+Z")
    assert graph.node(conv1).params["out_channels"] == 16
    assert box.value() == 16  # the form follows the document
    assert not window.isWindowModified()
    key(window, "Ctrl+Y")
    assert graph.node(conv1).params["out_channels"] == 24
    assert_consistent(window)


def test_move_several_nodes_is_one_undo_step(window, qtbot):
    graph = window.document.graph
    a, b = node_named(window, "conv1").id, node_named(window, "relu1").id
    before = {n: graph.node(n).pos for n in (a, b)}
    window.scene.select_nodes([a, b])
    item = window.scene.node_items[a]
    start = view_point(window, item.scenePos() + QPointF(60, 10))
    QTest.mousePress(window.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for i in range(1, 6):
        QTest.mouseMove(window.view.viewport(), start + QPoint(16 * i, 12 * i))
    QTest.mouseRelease(window.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       start + QPoint(80, 60))
    after = {n: graph.node(n).pos for n in (a, b)}
    assert after != before
    assert after[a][0] - before[a][0] == after[b][0] - before[b][0]
    assert window.document.undo_stack.count() == 1
    assert_consistent(window)
    key(window, "Ctrl+Z")
    assert {n: graph.node(n).pos for n in (a, b)} == before
    assert_consistent(window)


def test_delete_with_wires_is_one_step(window, qtbot):
    graph = window.document.graph
    relu1 = node_named(window, "relu1").id
    nodes, edges = len(graph), len(graph.edges())
    window.scene.select_nodes([relu1])
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_Delete)
    assert relu1 not in graph and len(graph.edges()) == edges - 2
    assert window.problems.count() >= 1  # pool1's input is now unconnected
    assert_consistent(window)
    key(window, "Ctrl+Z")
    assert relu1 in graph and len(graph) == nodes and len(graph.edges()) == edges
    assert_consistent(window)


def test_copy_paste_and_duplicate(window, qtbot):
    graph = window.document.graph
    ids = [node_named(window, n).id for n in ("conv2", "relu2")]
    window.scene.select_nodes(ids)
    key(window, "Ctrl+C")
    key(window, "Ctrl+V")
    pasted = window.scene.selected_node_ids()
    assert len(pasted) == 2 and not set(pasted) & set(ids)
    assert [graph.node(n).type for n in pasted] == ["Conv2d", "ReLU"]
    assert any(e.src == pasted[0] and e.dst == pasted[1] for e in graph.edges())  # inner wire kept
    assert len({n.name for n in graph.nodes()}) == len(graph)
    key(window, "Ctrl+D")
    assert len(graph) == 16
    assert_consistent(window)
    key(window, "Ctrl+Z")
    key(window, "Ctrl+Z")
    assert len(graph) == 12
    assert_consistent(window)


def test_paste_into_another_window(window, qtbot):
    window.scene.select_nodes([node_named(window, "fc1").id])
    key(window, "Ctrl+C")
    other = make_window(qtbot, document=None)
    other.new_document()
    assert len(other.document.graph) == 0
    key(other, "Ctrl+V")
    assert [n.type for n in other.document.graph.nodes()] == ["Linear"]
    assert other.document.graph.nodes()[0].params["out_features"] == 64
    assert_consistent(other)


def test_quick_fix_from_the_context_menu(window, qtbot):
    window.scene.select_nodes([node_named(window, "flatten1").id])
    window.scene.delete_selection()
    fc1 = node_named(window, "fc1").id
    # wire pool2 straight into fc1: Linear now receives an image
    pool2 = node_named(window, "pool2").id
    window.fit()
    drag(window, port_point(window, pool2, "out", False), port_point(window, fc1, "in", True))
    qtbot.waitUntil(lambda: bool(window.scene.node_items[fc1].problems))
    item = window.scene.node_items[fc1]
    assert "Linear expects [N, features] but receives [N, 32, 2, 2]" in item.toolTip()
    menu = window.scene.build_node_menu(item)
    fix = next(a for a in menu.actions() if a.text() == "Fix: insert Flatten")
    fix.trigger()
    assert window.document.analysis.output(fc1).shape == (64,)
    assert window.document.analysis.ok()
    qtbot.waitUntil(lambda: not window.scene.node_items[fc1].problems)
    assert_consistent(window)


def test_auto_layout_and_fit(window, qtbot):
    key(window, "Ctrl+L")
    graph = window.document.graph
    xs = [graph.node(n).pos[0] for n in graph.topological_order()]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)  # a chain: one column per layer
    assert window.document.undo_stack.count() == 1
    assert_consistent(window)
    window.view.zoom_by(3.0)
    QTest.keyClick(window.view, Qt.Key.Key_F)
    assert window.view.zoom <= 1.0


def test_rubber_band_selects_the_nodes_it_covers(window, qtbot):
    window.fit()
    scene = window.scene
    first_row = [node_named(window, n).id for n in ("image", "conv1", "relu1", "pool1")]
    top_left = scene.node_items[first_row[0]].sceneBoundingRect().topLeft() - QPointF(20, 20)
    bottom_right = scene.node_items[first_row[-1]].sceneBoundingRect().bottomRight() + QPointF(10, 10)
    drag(window, view_point(window, top_left), view_point(window, bottom_right))
    assert set(scene.selected_node_ids()) == set(first_row)
    assert window.inspector.node_id is None  # several selected: no single form


def test_uncaught_exceptions_are_shown_and_logged(window, qtbot, config_dir):
    from netbuilder.ui import errors

    errors.install()
    try:
        raise RuntimeError("boom")
    except RuntimeError as e:
        errors._hook(type(e), e, e.__traceback__)
    box = errors._REPORTER.box
    assert box.isVisible() and "RuntimeError: boom" in box.text()
    assert "boom" in (config_dir / "netbuilder.log").read_text()
    for _ in range(5):  # an error that repeats (on every paint, say) is counted in the one dialog
        errors._hook(RuntimeError, RuntimeError("boom"), None)
    errors._hook(ValueError, ValueError("other"), None)
    assert errors._REPORTER.box is box and "This happened 6 times" in box.text() and "other" in box.text()
    assert len([w for w in QApplication.topLevelWidgets() if w.objectName() == "error_box" and w.isVisible()]) == 1
    log_text = (config_dir / "netbuilder.log").read_text()
    assert "Python was here when it was raised" in log_text and "test_editor.py" in log_text  # where, not one line
    box.done(0)
    assert errors._REPORTER.box is None
    import logging
    import sys
    import threading
    sys.excepthook, threading.excepthook = sys.__excepthook__, threading.__excepthook__
    for handler in list(logging.getLogger("netbuilder").handlers):
        logging.getLogger("netbuilder").removeHandler(handler)
        handler.close()


def test_quick_param_clicks_merge_but_separate_edits_do_not(window, qtbot, monkeypatch):
    from netbuilder.graph import SetParam
    from netbuilder.ui import undo

    doc, graph = window.document, window.document.graph
    fc1 = node_named(window, "fc1").id
    clock = [100.0]
    monkeypatch.setattr(undo.time, "monotonic", lambda: clock[0])
    for value in (65, 66, 67):
        doc.push(SetParam(graph, fc1, "out_features", value))
    assert doc.undo_stack.count() == 1
    clock[0] += 10
    doc.push(SetParam(graph, fc1, "out_features", 80))
    assert doc.undo_stack.count() == 2
    doc.undo_stack.undo()
    assert graph.node(fc1).params["out_features"] == 67
    doc.undo_stack.undo()
    assert graph.node(fc1).params["out_features"] == 64


def test_a_wire_drag_whose_layer_is_removed_is_cancelled(window, qtbot):
    from netbuilder.graph import remove_nodes

    graph, scene = window.document.graph, window.scene
    fc2, logits = node_named(window, "fc2").id, node_named(window, "logits").id
    port = scene.node_items[fc2].outputs["out"]
    scene.start_wire(port, port.scenePos())
    window.document.push(remove_nodes(graph, [fc2]))
    assert scene.wire is None
    assert scene.connect_ports(port, scene.node_items[logits].inputs["in"]) == "that layer is gone"
