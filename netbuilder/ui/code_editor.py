"""The inspector's editors for a Code layer: its Python code (a monospace editor with line numbers that
indents after a colon, applied on focus-out or Ctrl+Enter as one undoable edit, the line of its error
highlighted and scrolled into sight; a button opens it in a larger window, code_dialog.py) and its
__init__ arguments (typed as Python keywords: beta=0.5, sizes=[1, 2]).

Each takes the document and the node it edits and follows the document itself. Code typed here is the
user's own, so it is trusted (remembered in the config folder) before it is applied."""
from __future__ import annotations

import ast
import logging
import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from ..graph import trust
from ..graph.edits import SetParam
from ..layers import CATALOG
from ..layers.code import is_trusted
from .python_editor import CodeEditor

log = logging.getLogger(__name__)
LINE = re.compile(r"^line (\d+): ")


def error_line(messages: list[str]) -> int | None:
    """The code line (from 1) the first 'line N: ...' message names."""
    for text in messages:
        found = LINE.match(text)
        if found:
            return int(found.group(1))
    return None


class CodeField(QWidget):
    """A Code layer's code: the editor, what is wrong with it, and (for a document's code that has not been
    trusted) a button that asks to run it. In the inspector it has a button that opens the code in a larger
    window; in that window (`larger=False`) it also says what is wrong with the code, as the inspector does."""

    def __init__(self, document, node_id: str, param: str = "code", parent=None, larger: bool = True):
        super().__init__(parent)
        self.document, self.node_id, self.param = document, node_id, param
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.editor = CodeEditor()
        self.editor.setObjectName("code_editor")
        self.editor.setMinimumHeight(220)
        self.editor.on_apply = self.apply
        self.larger_button = QPushButton("Larger Editor…")
        self.larger_button.setObjectName("code_larger")
        self.larger_button.setToolTip("Edit this code in a window of its own, as large as you like")
        self.larger_button.clicked.connect(self._open_larger)
        self.problem = QLabel()  # what is wrong with the applied code (the larger window only)
        self.problem.setObjectName("code_problem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #d0342c")
        self.problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem.hide()
        self.says_problems = not larger
        self.shown = self._value()  # the document's code as last put in the editor: typing differs from it
        self.editor.setPlainText(self.shown)
        hint = QLabel(f"{QKeySequence('Ctrl+Return').toString(QKeySequence.SequenceFormat.NativeText)}"
                      " or leaving the editor applies the code")
        hint.setEnabled(False)
        hint.setWordWrap(True)
        self.message = QLabel()  # why typed code was not applied
        self.message.setObjectName("code_message")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #d0342c")
        self.trust_button = QPushButton("Run this document's code…")
        self.trust_button.setObjectName("trust_code")
        self.trust_button.setToolTip("This code came with the document and has not been run: read it, then allow it")
        self.trust_button.clicked.connect(self._ask_trust)
        if larger:
            top = QHBoxLayout()
            top.addStretch(1)
            top.addWidget(self.larger_button)
            layout.addLayout(top)
        for widget in (self.editor, hint, self.problem, self.message, self.trust_button):
            layout.addWidget(widget)
        self.message.hide()
        document.problemsChanged.connect(self.refresh)
        self.refresh()

    def _value(self) -> str:
        graph = self.document.graph
        if self.node_id not in graph:
            return ""
        value = graph.node(self.node_id).params.get(self.param)
        return value if isinstance(value, str) else ""

    def apply(self) -> None:
        """The typed code as one undoable edit (nothing when it is unchanged)."""
        graph = self.document.graph
        if self.node_id not in graph:
            return
        text = self.editor.toPlainText()
        node = graph.node(self.node_id)
        if text == node.params.get(self.param):
            return
        spec = CATALOG.get(node.type)
        param = spec.param(self.param) if spec else None
        error = param.type_error(text) if param else None
        if error:
            self._say(error)
            return
        try:
            trust.trust([text])  # the user's own code: runs now, and is not asked about when reopened
        except OSError as e:  # trusted for this session all the same
            log.warning("cannot remember trusted code: %s", e)
        reason = self.document.push(SetParam(graph, self.node_id, self.param, text), merge=False)
        self._say(reason or "")
        if not reason:
            self.shown = text

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def refresh(self) -> None:
        """After each analysis: the node's current code (after an undo; what is being typed is kept), and
        its error's line."""
        if self.node_id not in self.document.graph:
            return
        value = self._value()
        if value != self.shown and self.editor.toPlainText() == self.shown:
            self.editor.setPlainText(value)
            self.shown = value
        messages = [p.message for p in self.document.analysis.node_problems(self.node_id)]
        line = error_line(messages)
        self.editor.show_error_line(line if value == self.editor.toPlainText() else None)
        self.editor.setToolTip(next((m for m in messages if LINE.match(m)), ""))  # the inspector lists it too
        self.problem.setText("\n".join(messages))
        self.problem.setVisible(self.says_problems and bool(messages))
        self.trust_button.setVisible(not is_trusted(value))

    def _open_larger(self) -> None:
        from .code_dialog import open_code_dialog

        self.apply()  # what was typed here goes on there
        open_code_dialog(self.document, self.node_id, self.param, self.window())

    def _ask_trust(self) -> None:
        from .trust_prompt import ask_trust

        if ask_trust(self.window(), self.document.graph, self.document.title):
            self.document.analysis.refresh()


def format_args(args: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in args.items())


def parse_args(text: str) -> dict:
    """'beta=0.5, sizes=[1, 2]' -> {'beta': 0.5, 'sizes': [1, 2]}; ValueError says what is wrong."""
    if not text.strip():
        return {}
    try:
        call = ast.parse(f"f({text})", mode="eval").body
    except SyntaxError:
        raise ValueError(f"'{text}' is not a list of arguments: write name=value, e.g. beta=0.5, sizes=[1, 2]") from None
    if not isinstance(call, ast.Call) or call.args or any(k.arg is None for k in call.keywords):
        raise ValueError(f"'{text}' must give each argument a name: name=value, e.g. beta=0.5")
    out = {}
    for keyword in call.keywords:
        try:
            value = ast.literal_eval(keyword.value)
        except (ValueError, SyntaxError, TypeError):
            raise ValueError(f"{keyword.arg}: the value must be a number, text in quotes, True/False, None or a"
                             " list of them") from None
        out[keyword.arg] = list(value) if isinstance(value, tuple) else value
    return out


class ArgsField(QWidget):
    """A Code layer's __init__ arguments, typed as Python keywords; applied on Enter or leaving the field."""

    def __init__(self, document, node_id: str, param: str = "args", parent=None):
        super().__init__(parent)
        self.document, self.node_id, self.param = document, node_id, param
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.line = QLineEdit()
        self.line.setObjectName("args_line")
        self.line.setPlaceholderText("beta=0.5, sizes=[1, 2]")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #d0342c")
        self.message.hide()
        layout.addWidget(self.line)
        layout.addWidget(self.message)
        self.line.editingFinished.connect(self.apply)
        self.shown = format_args(self._value())
        self.line.setText(self.shown)
        document.problemsChanged.connect(self.refresh)

    def _value(self) -> dict:
        value = self.document.graph.node(self.node_id).params.get(self.param)
        return value if isinstance(value, dict) else {}

    def apply(self) -> None:
        graph = self.document.graph
        if self.node_id not in graph:
            return
        try:
            value = parse_args(self.line.text())
            spec = CATALOG.get(graph.node(self.node_id).type)
            param = spec.param(self.param) if spec else None
            error = param.type_error(value) if param else None
            if error:
                raise ValueError(error)
        except ValueError as e:
            self.message.setText(str(e))
            self.message.show()
            return
        self.message.hide()
        if value == graph.node(self.node_id).params.get(self.param):
            self.shown = self.line.text()
            return
        reason = self.document.push(SetParam(graph, self.node_id, self.param, value), merge=False)
        if reason:
            self.message.setText(reason)
            self.message.show()
        else:
            self.shown = self.line.text()

    def refresh(self) -> None:
        """The node's current arguments (after an undo), unless something else is being typed."""
        if self.node_id not in self.document.graph:
            return
        value = format_args(self._value())
        if self.line.text() == self.shown and parse_args(self.shown) != self._value():
            self.line.setText(value)
            self.shown = value
