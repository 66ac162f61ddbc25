"""The Code layer's editors, typed into with real keys and mouse: an applied edit is one undo step, a typo
shows on its line, and a document's code runs only after the user chose Run."""
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from netbuilder import GraphBuilder
from netbuilder.graph import io, trust
from netbuilder.graph.edits import SetParam
from netbuilder.layers import check_node
from netbuilder.layers import code as code_layer
from netbuilder.ui.code_editor import ArgsField, CodeField, parse_args
from netbuilder.ui.document import Document
from netbuilder.ui.trust_prompt import ask_trust, trust_opened

TYPO = ["def forward(self, x):", "    y = x * 2", "    return y + z"]
FIXED = ["def forward(self, x):", "    y = x * 2", "    return y[:, :3]"]


pytestmark = pytest.mark.usefixtures("fresh_code_session")  # (conftest.py)


def document_with_code(code=None):
    b = GraphBuilder()
    c = b.add("Code", b.add("Input", name="x", shape=[8]), name="mine", **({"code": code} if code else {}))
    b.add("Output", c)
    return Document(b.graph), c


def form(qtbot, *widgets):
    """The editors in a window with one other field to move the focus to (the window stays with the field)."""
    host = QWidget()
    layout = QVBoxLayout(host)
    other = QLineEdit()
    for w in (*widgets, other):
        layout.addWidget(w)
    qtbot.addWidget(host)
    with qtbot.waitActive(host):  # focus moves only in the active window
        host.show()
        host.activateWindow()
    other.host = host
    return other


def type_lines(editor, lines):
    """Click into the editor, select everything and type the lines over it (each with its own indentation:
    what Return indented is selected and typed over)."""
    QTest.mouseClick(editor.viewport(), Qt.MouseButton.LeftButton, pos=editor.viewport().rect().center())
    QTest.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    for i, line in enumerate(lines):
        if i:
            QTest.keyClick(editor, Qt.Key.Key_Return)
            QTest.keyClick(editor, Qt.Key.Key_Home, Qt.KeyboardModifier.ShiftModifier)
        QTest.keyClicks(editor, line)


def test_applied_code_is_one_undo_step_and_a_typo_shows_on_its_line(qtbot):
    document, node = document_with_code()
    field = CodeField(document, node)
    other = form(qtbot, field)
    editor = field.editor
    assert editor.toPlainText() == code_layer.DEFAULT_CODE and field.trust_button.isHidden()

    type_lines(editor, TYPO)
    assert document.undo_stack.count() == 0  # typing alone changes nothing
    QTest.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert document.undo_stack.count() == 1
    assert document.graph.node(node).params["code"] == "\n".join(TYPO)
    problems = [p.message for p in document.analysis.node_problems(node)]
    assert problems == ["line 3: NameError: name 'z' is not defined"]
    assert editor.toolTip() == problems[0]
    assert editor.error_at == 3
    assert [s.cursor.blockNumber() for s in editor.extraSelections()] == [2]  # the third line is highlighted

    type_lines(editor, FIXED)
    QTest.mouseClick(other, Qt.MouseButton.LeftButton)  # leaving the editor applies it
    qtbot.waitUntil(lambda: document.undo_stack.count() == 2)
    assert document.analysis.node_problems(node) == []
    assert document.analysis.output(node).shape == (3,)
    assert editor.extraSelections() == [] and editor.toolTip() == ""
    assert trust.is_trusted("\n".join(FIXED))  # typed here: the user's own code

    document.undo_stack.undo()  # back to the typo: the editor follows, and shows its line again
    assert editor.toPlainText() == "\n".join(TYPO)
    assert editor.error_at == 3
    document.undo_stack.undo()
    assert editor.toPlainText() == code_layer.DEFAULT_CODE and editor.error_at is None
    assert document.analysis.output(node).shape == (8,)


def test_code_too_long_is_not_applied_and_says_why(qtbot):
    document, node = document_with_code()
    field = CodeField(document, node)
    field.host = form(qtbot, field)
    QTest.mouseClick(field.editor.viewport(), Qt.MouseButton.LeftButton)
    field.editor.setPlainText("#" * 100_001)
    QTest.keyClick(field.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert field.message.text() == ("'code' must be Python source text of at most 100,000 characters,"
                                    " not 100,001 characters")
    assert document.undo_stack.count() == 0 and document.graph.node(node).params["code"] == code_layer.DEFAULT_CODE


def test_arguments_are_typed_as_python_keywords(qtbot):
    document, node = document_with_code()
    field = ArgsField(document, node)
    field.host = form(qtbot, field)  # holds the window
    QTest.mouseClick(field.line, Qt.MouseButton.LeftButton)
    QTest.keyClicks(field.line, "beta=0.5")
    QTest.keyClick(field.line, Qt.Key.Key_Return)
    assert document.graph.node(node).params["args"] == {"beta": 0.5}
    assert document.undo_stack.count() == 1
    field.line.selectAll()
    QTest.keyClicks(field.line, "0.5")
    QTest.keyClick(field.line, Qt.Key.Key_Return)
    assert "must give each argument a name" in field.message.text() and document.undo_stack.count() == 1
    document.undo_stack.undo()
    assert document.graph.node(node).params["args"] == {}
    with pytest.raises(ValueError, match="gamma: the value must be"):
        parse_args("gamma=os.system('x')")
    assert parse_args("sizes=(1, 2), on=True, name='a'") == {"sizes": [1, 2], "on": True, "name": "a"}


def click_when_shown(button_name, seen):
    """Click a button of the trust dialog once it is up, noting the code it showed."""
    def click():
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(20, click)
            return
        seen.extend(view.toPlainText() for view in dialog.views)
        seen.append(dialog.skip_button.isDefault() and dialog.focusWidget() is dialog.skip_button)  # Enter: Don't run
        QTest.mouseClick(getattr(dialog, button_name), Qt.MouseButton.LeftButton)
    QTimer.singleShot(0, click)


def test_a_document_is_asked_about_once_and_its_code_runs_only_after_run(qtbot, tmp_path):
    marker = tmp_path / "ran.txt"
    code = f"def forward(self, x):\n    with open({str(marker)!r}, 'a') as f:\n        f.write('ran')\n    return x\n"
    b = GraphBuilder()
    c = b.add("Code", b.add("Input", shape=[4]), name="received", code=code)
    b.add("Output", c)
    path = tmp_path / "from_someone.json"
    io.save(b.graph, path)

    document = Document.open(str(path))
    field = CodeField(document, c)
    field.host = form(qtbot, field)  # holds the window
    assert document.analysis.node_problems(c)[0].message == code_layer.NOT_TRUSTED
    assert field.trust_button.isVisible()
    seen = []
    click_when_shown("skip_button", seen)
    assert ask_trust(None, document.graph, document.title) is False
    assert seen == [code, True] and not marker.exists()

    click_when_shown("run_button", seen)
    QTest.mouseClick(field.trust_button, Qt.MouseButton.LeftButton)
    assert marker.exists() and seen == [code, True, code, True]
    assert document.analysis.output(c).shape == (4,) and field.trust_button.isHidden()

    trust.forget_session()  # a later session: the choice was remembered, nothing is asked
    again = Document(io.load(path, check_node), str(path))
    trust_opened(None, again)
    assert again.analysis.output(c).shape == (4,)


def test_file_open_in_the_window_asks_before_the_documents_code_runs(qtbot, tmp_path):
    from uihelpers import make_window

    marker = tmp_path / "ran.txt"
    code = f"def forward(self, x):\n    with open({str(marker)!r}, 'a') as f:\n        f.write('ran')\n    return x\n"
    b = GraphBuilder()
    b.add("Output", b.add("Code", b.add("Input", shape=[4]), name="received", code=code))
    path = tmp_path / "from_someone.json"
    io.save(b.graph, path)
    window = make_window(qtbot)
    seen = []
    click_when_shown("skip_button", seen)
    assert window.open_file(str(path))
    assert seen == [code, True] and not marker.exists()  # Don't run: opened, its code not run
    received = window.document.graph.by_name("received").id
    assert window.document.analysis.node_problems(received)[0].message == code_layer.NOT_TRUSTED


def test_return_indents_after_a_colon_and_out_after_return(qtbot):
    document, node = document_with_code()
    field = CodeField(document, node)
    field.host = form(qtbot, field)  # holds the window
    editor = field.editor
    QTest.mouseClick(editor.viewport(), Qt.MouseButton.LeftButton, pos=editor.viewport().rect().center())
    QTest.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    for text in ("def forward(self, x):", "if x.sum() > 0:  # a comment", "return x", "y = x * 2",
                 "return y"):
        QTest.keyClicks(editor, text)
        QTest.keyClick(editor, Qt.Key.Key_Return)
    QTest.keyClicks(editor, "x")
    assert editor.toPlainText().split("\n") == [
        "def forward(self, x):", "    if x.sum() > 0:  # a comment", "        return x", "    y = x * 2",
        "    return y", "x"]
    QTest.keyClick(editor, Qt.Key.Key_Backspace)  # the x; then Backspace in the indentation goes back a level
    QTest.keyClick(editor, Qt.Key.Key_Return)
    QTest.keyClick(editor, Qt.Key.Key_Tab)
    QTest.keyClick(editor, Qt.Key.Key_Tab)
    QTest.keyClick(editor, Qt.Key.Key_Backspace)
    assert editor.toPlainText().split("\n")[-1] == "    "
    QTest.keyClick(editor, Qt.Key.Key_Backtab)  # Shift+Tab: the line one level out
    assert editor.toPlainText().split("\n")[-1] == ""
    assert document.undo_stack.count() == 0  # nothing applied while typing


def test_the_error_line_is_scrolled_into_sight(qtbot):
    code = "def forward(self, x):\n" + "".join(f"    y{i} = x * {i}\n" for i in range(60)) + "    return y59 + z\n"
    trust.trust([code])
    document, node = document_with_code()
    field = CodeField(document, node)
    field.host = form(qtbot, field)  # holds the window
    editor = field.editor
    assert 62 not in editor.visible_lines()  # the editor shows a dozen lines or so
    document.push(SetParam(document.graph, node, "code", code), merge=False)
    assert editor.toPlainText() == code and editor.error_at == 62
    assert 62 in editor.visible_lines() and editor.firstVisibleBlock().blockNumber() > 0
    editor.verticalScrollBar().setValue(0)  # the user scrolls away: later analyses leave the view alone
    document.analysis.refresh()
    assert 62 not in editor.visible_lines() and editor.error_at == 62


def test_the_larger_editor_edits_the_same_code_in_a_window_of_its_own(qtbot):
    from uihelpers import make_window

    from netbuilder.ui.code_dialog import CodeDialog

    document, node = document_with_code()
    window = make_window(qtbot, document)
    window.scene.select_nodes([node])
    small = window.inspector.findChild(CodeField)
    button = small.findChild(QPushButton, "code_larger")
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = window.findChild(CodeDialog)
    assert dialog is not None and dialog.isVisible() and dialog.windowTitle() == "Code of 'mine'"
    editor = dialog.code.editor
    assert editor.toPlainText() == code_layer.DEFAULT_CODE
    columns = editor.viewport().width() // editor.fontMetrics().horizontalAdvance("m")
    assert columns >= 80 and len(editor.visible_lines()) >= 25  # the inspector's shows about 22 x 10
    with qtbot.waitActive(dialog):
        dialog.activateWindow()
    type_lines(editor, TYPO)
    QTest.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert document.graph.node(node).params["code"] == "\n".join(TYPO) and document.undo_stack.count() == 1
    assert small.editor.toPlainText() == "\n".join(TYPO)  # the inspector's follows
    problem = dialog.code.findChild(QLabel, "code_problem")
    assert problem.isVisible() and problem.text() == "line 3: NameError: name 'z' is not defined"
    assert editor.error_at == 3
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)  # one window a layer
    assert window.findChildren(CodeDialog) == [dialog]
    type_lines(editor, FIXED)
    QTest.keyClick(editor, Qt.Key.Key_Escape)  # closing applies what was typed
    qtbot.waitUntil(lambda: not window.findChildren(CodeDialog))
    assert document.graph.node(node).params["code"] == "\n".join(FIXED) and document.undo_stack.count() == 2
    assert document.analysis.node_problems(node) == []
