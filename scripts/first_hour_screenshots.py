"""Render the first-hour pieces offscreen into assets/screenshots/: the welcome page, the guided first
network half done, a template with its About pane at a readable zoom, and the layer reference.
Run: .venv/bin/python scripts/first_hour_screenshots.py"""
import sys

from screenshots import OUT, settle  # offscreen, a fresh config folder (it sets both on import)

from PySide6.QtCore import QRect, Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from netbuilder.graph.edits import Connect, Edge, SetParam, move_nodes  # noqa: E402
from netbuilder.ui import guide, layer_reference, settings, welcome  # noqa: E402
from netbuilder.ui.app import TEMPLATES  # noqa: E402
from netbuilder.ui.document import Document  # noqa: E402
from netbuilder.ui.main_window import MainWindow  # noqa: E402
from netbuilder.ui.readable import show_readable  # noqa: E402


def window_on(app, document) -> MainWindow:
    window = MainWindow(document)  # it installs the first-hour pieces itself
    window.ask_save_changes = lambda: "discard"
    window.resize(1280, 1260)  # the Training panel keeps the bottom docks 640 px tall: the pictures show the top
    window.show()
    settle(app)
    window.resizeDocks([window.docks["Layers"], window.docks["Inspector"]], [190, 290], Qt.Orientation.Horizontal)
    window.resizeDocks([window.docks["Problems"]], [150], Qt.Orientation.Vertical)
    window.resizeDocks([window.docks["About This Network"], window.docks["Inspector"]], [260, 300],
                       Qt.Orientation.Vertical)
    settle(app)
    return window


def top(window):
    """The window above its bottom docks (the canvas, the palette and the right-hand docks)."""
    height = window.docks["Problems"].geometry().top()
    return window.grab(QRect(0, 0, window.width(), height))


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv)
    OUT.mkdir(parents=True, exist_ok=True)
    for name in ("cnn_digits.json", "vanishing_lesson.json"):
        settings.add_recent(str(TEMPLATES / name))
    window = window_on(app, Document.from_template(TEMPLATES / "vanishing_lesson.json"))
    show_readable(window.view)
    settle(app)
    top(window).save(str(OUT / "about.png"))
    page = welcome.open_welcome(window.bench)
    settle(app)
    page.grab().save(str(OUT / "welcome.png"))
    page.close()
    reference = layer_reference.reference(window.bench)
    reference.show_layer("Conv2d")
    settle(app)
    reference.grab().save(str(OUT / "layer_reference.png"))
    reference.close()

    guide.start_walk(window.bench)  # an empty document, then Input, Linear, ReLU placed and the first two wired
    graph, ids = window.document.graph, []
    for layer in ("Input", "Linear", "ReLU"):
        ids.append(window.scene.add_layer(layer, window.view.mapToScene(window.view.viewport().rect().center())))
    if graph.node(ids[0]).params["shape"] != [1, 8, 8]:  # as step 1 says, where the Input did not take it itself
        window.document.push(SetParam(graph, ids[0], "shape", [1, 8, 8]))
    window.document.push(move_nodes(graph, {n: (i * 240.0, 0.0) for i, n in enumerate(ids)}))
    window.document.push(Connect(Edge(ids[0], "out", ids[1], "in")))
    window.scene.select_nodes([ids[1]])
    settle(app)
    window.view.resetTransform()
    window.view.centerOn(window.scene.itemsBoundingRect().center())
    settle(app)
    window.resizeDocks([window.docks["First Network"], window.docks["Inspector"]], [420, 200],
                       Qt.Orientation.Vertical)
    settle(app)
    top(window).save(str(OUT / "first_network.png"))
    window.close()
    print("wrote", ", ".join(f"{n}.png" for n in ("welcome", "first_network", "about", "layer_reference")),
          "to", OUT)


if __name__ == "__main__":
    main()
