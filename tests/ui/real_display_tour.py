"""Run by test_real_display.py on a real X server (Xvfb, the xcb platform), not offscreen: opens the window on a
template, trains it briefly, shows every dock and every tab, opens every dialog that a menu offers (each
"…" action, About, the layer reference), draws each (grab) and closes it. Prints what it opened; exits 1
when any internal error reached the error boundary or Qt warned.

    DISPLAY=:99 QT_QPA_PLATFORM=xcb python tests/ui/real_display_tour.py"""
from __future__ import annotations

import sys

from PySide6.QtCore import QtMsgType, QTimer, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QMenu, QMessageBox, QPushButton, QWidget

WARNINGS: list[str] = []
OPENED: list[str] = []
IGNORED = ("propagateSizeHints",)  # said by Qt under a window manager-less X server, harmless


def _on_message(kind, context, text) -> None:
    if kind != QtMsgType.QtDebugMsg and kind != QtMsgType.QtInfoMsg and not any(i in text for i in IGNORED):
        WARNINGS.append(text)


def wait(app, ms: int = 150) -> None:
    from PySide6.QtCore import QDeadlineTimer, QEventLoop

    deadline = QDeadlineTimer(ms)
    while not deadline.hasExpired():
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)


def close_dialogs(windows) -> None:
    """Draw and close every top-level window the tour did not open itself (a dialog, a message, a menu)."""
    for widget in QApplication.topLevelWidgets():
        if widget in windows or not widget.isVisible() or isinstance(widget, QMenu):
            continue
        widget.grab()
        OPENED.append(f"{type(widget).__name__} '{widget.windowTitle()}'")
        if isinstance(widget, (QDialog, QFileDialog, QMessageBox)):
            widget.reject()
        else:
            widget.close()


def trigger_with_closer(app, windows, action) -> None:
    closer = QTimer(interval=300)
    closer.timeout.connect(lambda: close_dialogs(windows))
    closer.start()
    action.trigger()  # a modal dialog's exec() returns when the closer rejects it
    wait(app, 400)
    closer.stop()
    close_dialogs(windows)


def tour(app) -> None:
    from netbuilder.ui.app import first_window
    from netbuilder.ui.gallery import TEMPLATES
    from netbuilder.ui.document import Document
    from netbuilder.ui.main_window import MainWindow

    window = first_window([])
    window.ask_save_changes = lambda: "discard"
    window.show()
    wait(app, 500)
    windows = {window}
    for dock in window.docks.values():  # every dock, every tab
        dock.show()
        dock.raise_()
        wait(app)
        dock.grab()
    tabs = window.training.tabs
    for i in range(tabs.count()):
        tabs.setCurrentIndex(i)
        wait(app)
        window.grab()
    mlp = MainWindow(Document.from_template(TEMPLATES / "mlp_digits.json"))  # a short run, drawn as it goes
    mlp.ask_save_changes = lambda: "discard"
    windows.add(mlp)
    mlp.document.graph.meta.setdefault("training", {})["epochs"] = 1
    mlp.show()
    mlp.start_training()
    for _ in range(200):
        wait(app, 100)
        if not mlp.controller.running:
            break
    for i in range(mlp.training.tabs.count()):
        mlp.training.tabs.setCurrentIndex(i)
        wait(app)
        mlp.grab()
    OPENED.append(f"trained: {mlp.training.result is not None}")
    from netbuilder.ui import closing

    closer = QTimer(interval=300)  # the question before an untitled document with a run goes (Save / Discard / Cancel)
    closer.timeout.connect(lambda: close_dialogs(windows))
    closer.start()
    OPENED.append(f"asked before closing: {closing.ask(mlp, closing.question(mlp.document, 'run 1'))}")
    closer.stop()
    recent = window.bench.action("recent_runs").menu()  # File > Recent Runs, filled as when it opens
    recent.fill()
    OPENED.append(f"recent runs: {len(recent.actions())} entries")
    skip = {"quit", "close", "new_window"}
    for menu in window.menuBar().findChildren(QMenu):
        for action in menu.actions():
            name = next((n for n, a in window.actions_by_name.items() if a is action), None)
            if name in skip or action.menu() is not None or not action.isEnabled():
                continue
            if action.text().endswith("…") or name in ("about",) or action.objectName() == "glossary":
                OPENED.append(f"action {action.text()!r}")
                trigger_with_closer(app, windows, action)
    window.add_layer_at_centre("Code")  # the Code layer's larger editor, beside the canvas
    window.scene.select_nodes([window.document.graph.nodes()[-1].id])
    wait(app)
    window.inspector.findChild(QPushButton, "code_larger").click()
    wait(app, 300)
    close_dialogs(windows)
    for w in list(windows):
        w.close()
    wait(app, 300)


def main() -> int:
    from netbuilder.ui import errors

    app = QApplication([sys.argv[0]])
    errors.install()
    qInstallMessageHandler(_on_message)
    reported = []
    real_show = errors._REPORTER.show
    errors._REPORTER.show = lambda kind, value, text, user: (reported.append(f"{kind.__name__}: {value}"),
                                                              real_show(kind, value, text, user))
    tour(app)
    print(f"platform: {app.platformName()}")
    print("opened:\n  " + "\n  ".join(OPENED))
    internal = [r for r in reported]
    for line in internal:
        print(f"ERROR reached the boundary: {line}")
    for line in WARNINGS:
        print(f"QT WARNING: {line}")
    return 1 if internal or WARNINGS or app.platformName() != "xcb" else 0


if __name__ == "__main__":
    raise SystemExit(main())
