"""About this network: the document's description in a dock, edited by typing as one undoable step, saved
with the document, and following undo and other documents."""
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from netbuilder.graph import SetMeta
from netbuilder.graph.io import load
from netbuilder.layers import check_node
from netbuilder.ui import about_pane
from netbuilder.ui.app import TEMPLATES
from netbuilder.ui.document import Document

from uihelpers import make_window

LESSON = TEMPLATES / "vanishing_lesson.json"


def test_a_template_opens_with_its_story_in_the_pane(qtbot):
    window = make_window(qtbot, Document.from_template(LESSON))
    pane = about_pane.install(window.bench)
    assert window.docks["About This Network"].isVisible()
    assert "try swapping a sigmoid for ReLU" in pane.text.toPlainText()
    assert "Vanishing gradients" in pane.title.text() and pane.facts.text() == "Trains on: digits"
    assert "diagnosis warns" in pane.facts.toolTip()  # the bar the template reaches


def test_typing_is_one_undoable_edit_saved_with_the_document(qtbot, tmp_path):
    window = make_window(qtbot, Document.from_template(LESSON))
    pane = about_pane.install(window.bench)
    graph, stack = window.document.graph, window.document.undo_stack
    old = graph.meta["description"]
    pane.text.setFocus()
    pane.text.moveCursor(pane.text.textCursor().MoveOperation.End)
    QTest.keyClicks(pane.text, " Then try Tanh.")
    qtbot.waitUntil(lambda: graph.meta["description"].endswith("Then try Tanh."))  # after a pause in the typing
    QTest.keyClicks(pane.text, " And GELU.")
    pane.commit()  # leaving the box commits at once
    assert graph.meta["description"] == old + " Then try Tanh. And GELU."
    assert stack.count() == 1 and stack.undoText() == "Edit the description"  # one step for the typing
    assert window.isWindowModified()
    path = tmp_path / "lesson.json"
    assert window.save_to(str(path))
    assert load(path, check_node).meta["description"] == old + " Then try Tanh. And GELU."
    stack.undo()
    assert graph.meta["description"] == old and pane.text.toPlainText() == old  # the pane follows the undo
    stack.redo()
    assert pane.text.toPlainText().endswith("And GELU.")


def test_typing_back_to_where_it_started_leaves_no_step(qtbot):
    document = Document()
    pane = about_pane.AboutPane(document)
    qtbot.addWidget(pane)
    pane.text.setPlainText("draft")
    pane.commit()
    pane.text.setPlainText("")
    pane.commit()
    assert document.graph.meta["description"] == "" and document.undo_stack.count() == 0


def test_the_pane_follows_another_document_and_keeps_text_typed_in_the_first(qtbot):
    first, second = Document(), Document.from_template(TEMPLATES / "mlp_digits.json")
    pane = about_pane.AboutPane(first)
    qtbot.addWidget(pane)
    pane.text.setPlainText("my first net")  # typed, not yet committed
    pane.set_document(second)
    assert first.graph.meta["description"] == "my first net"
    assert pane.text.toPlainText().startswith("A two-layer perceptron")
    second.push(SetMeta(second.graph, "description", "changed elsewhere"))
    assert pane.text.toPlainText() == "changed elsewhere"
    assert pane.title.text() == "<b>MLP digits</b>"


def test_about_pane_screenshot(qtbot, tmp_path):
    window = make_window(qtbot, Document.from_template(LESSON))
    about_pane.install(window.bench)
    dock = window.docks["About This Network"]
    window.resizeDocks([dock], [260], Qt.Orientation.Vertical)
    path = Path(tmp_path) / "about.png"
    assert dock.grab().save(str(path)) and path.stat().st_size > 3000
