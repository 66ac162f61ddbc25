"""The window offers a workbench: docks, menu entries (menus found by name, not label), the status line and word of
the document and the canvas changing. Panels and features get it and their models; none reaches into the window."""
import ast
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel

from netbuilder.ui.document import Document

UI = Path(__file__).resolve().parents[2] / "netbuilder" / "ui"
SHELL = {"main_window.py", "workbench.py", "app.py"}  # the window itself, its API, and the start that makes it


def test_no_panel_reaches_into_the_window_or_finds_a_menu_by_its_text():
    found = []
    for path in sorted(UI.rglob("*.py")):
        if path.name in SHELL:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                    and node.value.id in ("window", "main_window"):
                found.append(f"{path.name}:{node.lineno}: window.{node.attr}")
            if isinstance(node, ast.Attribute) and node.attr in ("menuBar", "main_window", "_window"):
                found.append(f"{path.name}:{node.lineno}: .{node.attr}")
            if isinstance(node, ast.Compare) and any(isinstance(c, ast.Constant) and isinstance(c.value, str)
                                                     and c.value.startswith("&") for c in node.comparators):
                found.append(f"{path.name}:{node.lineno}: a comparison with a menu label")
    assert found == []


def test_a_menu_is_found_by_its_name_whatever_its_label(window):
    bench = window.bench
    edit = bench.menu("edit")
    edit.setTitle("&Bearbeiten")  # a translation, say
    assert bench.menu("edit") is edit and bench.action("group") in edit.actions()
    entries = edit.actions()
    group = entries.index(bench.action("group"))
    assert entries[group - 1].isSeparator() and entries.index(bench.action("select_all")) == group + 5
    extra = QAction("Extra", window)
    assert bench.add_action("edit", "extra", extra, after=("copy",)) is extra
    assert bench.add_action("edit", "extra", QAction("Again", window)) is extra  # once
    entries = edit.actions()
    assert entries[entries.index(bench.action("copy")) + 1] is extra
    first = bench.add_action("help", "first", QAction("First", window), first=True)
    assert bench.menu("help").actions()[0] is first
    before = bench.add_action("help", "before_about", QAction("Before", window), before="about")
    assert bench.menu("help").actions()[-2:] == [before, bench.action("about")]


def test_docks_status_and_document_word(window, qtbot):
    bench = window.bench
    label = QLabel("a panel")
    dock = bench.add_dock("Extra Panel", label, Qt.DockWidgetArea.BottomDockWidgetArea)
    assert dock.objectName() == "dock_extra_panel" and bench.dock("Extra Panel") is dock
    assert dock.toggleViewAction() in bench.menu("view").actions()
    dock.hide()
    bench.show_dock("Extra Panel")
    assert dock.isVisible()
    bench.show_status("hello")
    assert window.statusBar().currentMessage() == "hello"
    seen, shown = [], []
    bench.documentChanged.connect(seen.append)
    bench.canvasChanged.connect(shown.append)
    other = Document()
    window.set_document(other)
    assert seen == [other] and shown[-1] is other and bench.document is other
