"""Helpers for driving the editor with real mouse and key events."""
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from netbuilder.ui.app import DEFAULT_TEMPLATE
from netbuilder.ui.document import Document
from netbuilder.ui.main_window import MainWindow


def make_window(qtbot, document=None, closed_by_test=False):
    """A main window on the default template; qtbot closes it unless the test does."""
    window = MainWindow(document or Document.from_template(DEFAULT_TEMPLATE))
    window.ask_save_changes = lambda: "discard"
    if not closed_by_test:
        qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    qtbot.waitExposed(window)
    window.view.resetTransform()
    window.view.centerOn(window.scene.itemsBoundingRect().center())
    return window


def view_point(window, scene_point: QPointF) -> QPoint:
    return window.view.mapFromScene(scene_point)


def port_point(window, node_id, port, is_input):
    item = window.scene.node_items[node_id]
    port_item = (item.inputs if is_input else item.outputs)[port]
    point = view_point(window, port_item.scenePos())
    assert window.view.viewport().rect().contains(point), "port is off screen: fit the view first"
    return point


def double_click(widget, point: QPoint, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """A double-click as a hand makes it: a click, a second press, the release. QTest's mouseDClick stops at the
    second press (Qt 6), so the button would stay held for every later test (hover then never happens)."""
    left = Qt.MouseButton.LeftButton
    QTest.mouseClick(widget, left, modifier, point)
    QTest.mouseDClick(widget, left, modifier, point)
    QTest.mouseRelease(widget, left, modifier, point)


def drag(window, start: QPoint, end: QPoint, steps: int = 5) -> None:
    """A real mouse drag on the canvas: press, several moves, release."""
    vp = window.view.viewport()
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for i in range(1, steps + 1):
        p = start + (end - start) * (i / steps)
        QTest.mouseMove(vp, p)
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)


def assert_consistent(window) -> None:
    """The drawn items agree with the document: nodes, positions, wires and their labels."""
    scene, graph, analysis = window.scene, window.document.graph, window.document.analysis
    assert set(scene.node_items) == set(graph.node_ids())
    assert set(scene.edge_items) == set(graph.edges())
    for node_id, item in scene.node_items.items():
        assert (item.pos().x(), item.pos().y()) == graph.node(node_id).pos
        assert item.output_text() in (str(analysis.output(node_id)), "?") or graph.node(node_id).type == "Output"
    for edge, item in scene.edge_items.items():
        value = analysis.edge_type(edge)
        assert item.label == (str(value) if value is not None else "?")
