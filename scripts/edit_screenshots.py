"""Render editing in place offscreen into assets/screenshots/ (run: .venv/bin/python scripts/edit_screenshots.py):
a node's context menu with a layer held over a wire, and the lesson laid out top to bottom."""
from screenshots import OUT, settle  # offscreen, a fresh config folder (it sets both on import)

from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtGui import QPainter  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from netbuilder.ui.app import TEMPLATES  # noqa: E402
from netbuilder.ui.document import Document  # noqa: E402
from netbuilder.ui.main_window import MainWindow  # noqa: E402


def window_on(app, template: str) -> MainWindow:
    window = MainWindow(Document.from_template(TEMPLATES / template))
    window.ask_save_changes = lambda: "discard"
    window.resize(1280, 860)
    window.show()
    settle(app)
    for dock in window.docks.values():  # the canvas and its side panels are what this shows
        if window.dockWidgetArea(dock) == Qt.DockWidgetArea.BottomDockWidgetArea:
            dock.hide()
    settle(app)
    return window


def menu_and_drop(app) -> None:
    """The CNN with fc1's menu open and a Dropout held over the wire into relu3."""
    window = window_on(app, "cnn_digits.json")
    scene, graph = window.scene, window.document.graph
    window.view.resetTransform()
    window._zoom(0.72)
    window.view.centerOn(scene.itemsBoundingRect().center())
    settle(app)
    relu3 = graph.by_name("relu3").id
    window.view._hold_over(scene.edge_items[graph.edge_into(relu3, "in")])
    item = scene.node_items[graph.by_name("flatten1").id]
    item.setSelected(True)
    settle(app)
    with_menu(window, item, item.sceneBoundingRect().center()).save(str(OUT / "edit_in_place.png"))
    window.close()


def with_menu(window, item, where):
    """The window's picture with the layer's context menu drawn on it, opened a little right of `where`."""
    picture = window.grab()
    menu = window.scene.build_node_menu(item)
    menu.adjustSize()
    at = window.view.mapTo(window, window.view.mapFromScene(where)) + QPoint(30, 10)
    painter = QPainter(picture)
    painter.drawPixmap(at, menu.grab())
    painter.end()
    return picture


def lesson(app) -> None:
    window = window_on(app, "vanishing_lesson.json")
    window.view.resetTransform()
    window._zoom(0.7)
    window.view.centerOn(window.scene.node_items[window.document.graph.by_name("r_add2").id])
    settle(app)
    window.grab().save(str(OUT / "lesson_layout.png"))
    window.close()


if __name__ == "__main__":
    app = QApplication([])
    menu_and_drop(app)
    lesson(app)
    print("wrote", OUT / "edit_in_place.png", OUT / "lesson_layout.png")
