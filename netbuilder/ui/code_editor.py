"""The inspector's editors for a Code layer: its Python code (a monospace editor with line numbers, applied
on focus-out or Ctrl+Enter as one undoable edit, the line of its error highlighted) and its __init__
arguments (typed as Python keywords: beta=0.5, sizes=[1, 2]).

Each takes the document and the node it edits and follows the document itself. Code typed here is the
user's own, so it is trusted (remembered in the config folder) before it is applied."""
from __future__ import annotations

import ast
import logging
import re

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QFontDatabase, QKeySequence, QPainter, QTextCursor, QTextFormat
from PySide6.QtWidgets import (QLabel, QLineEdit, QPlainTextEdit, QPushButton, QTextEdit, QVBoxLayout, QWidget)

from ..graph import trust
from ..graph.edits import SetParam
from ..layers import CATALOG
from ..layers.code import is_trusted

log = logging.getLogger(__name__)
LINE = re.compile(r"^line (\d+): ")
ERROR_BACKGROUND = QColor(255, 80, 80, 70)


def error_line(messages: list[str]) -> int | None:
    """The code line (from 1) the first 'line N: ...' message names."""
    for text in messages:
        found = LINE.match(text)
        if found:
            return int(found.group(1))
    return None


class _Gutter(QWidget):
    def __init__(self, editor: "CodeEditor"):
        super().__init__(editor)
        self.editor = editor

    def sizeHint(self) -> QSize:
        return QSize(self.editor.gutter_width(), 0)

    def paintEvent(self, event) -> None:
        self.editor.paint_gutter(event)


class CodeEditor(QPlainTextEdit):
    """Plain text in a fixed-width font, with line numbers; Tab inserts four spaces."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setTabStopDistance(4 * self.fontMetrics().horizontalAdvance(" "))
        self.gutter = _Gutter(self)
        self.error_at: int | None = None
        self.on_apply = None  # called on Ctrl+Enter and when focus leaves
        self.blockCountChanged.connect(lambda _: self.setViewportMargins(self.gutter_width(), 0, 0, 0))
        self.updateRequest.connect(self._scroll_gutter)
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    # ---- line numbers ------------------------------------------------------------------------
    def gutter_width(self) -> int:
        return 8 + self.fontMetrics().horizontalAdvance("9") * max(2, len(str(self.blockCount())))

    def _scroll_gutter(self, rect: QRect, dy: int) -> None:
        if dy:
            self.gutter.scroll(0, dy)
        else:
            self.gutter.update(0, rect.y(), self.gutter.width(), rect.height())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        r = self.contentsRect()
        self.gutter.setGeometry(QRect(r.left(), r.top(), self.gutter_width(), r.height()))

    def paint_gutter(self, event) -> None:
        painter = QPainter(self.gutter)
        painter.fillRect(event.rect(), self.palette().alternateBase())
        block = self.firstVisibleBlock()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        height = self.fontMetrics().height()
        while block.isValid() and top <= event.rect().bottom():
            number = block.blockNumber() + 1
            if block.isVisible():
                painter.setPen(QColor("#d0342c") if number == self.error_at else self.palette().placeholderText().color())
                painter.drawText(0, top, self.gutter.width() - 4, height, Qt.AlignmentFlag.AlignRight, str(number))
            top += round(self.blockBoundingRect(block).height())
            block = block.next()

    # ---- the error's line ----------------------------------------------------------------------
    def show_error_line(self, line: int | None) -> None:
        """Highlight line `line` (from 1), or nothing."""
        self.error_at = line
        selections = []
        block = self.document().findBlockByNumber(line - 1) if line else None
        if block is not None and block.isValid():
            selection = QTextEdit.ExtraSelection()
            selection.format.setBackground(ERROR_BACKGROUND)
            selection.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            selection.cursor = QTextCursor(block)
            selections.append(selection)
        self.setExtraSelections(selections)
        self.gutter.update()

    # ---- keys and focus --------------------------------------------------------------------------
    def keyPressEvent(self, event) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            if self.on_apply:
                self.on_apply()
            return
        if event.key() == Qt.Key.Key_Tab and not event.modifiers():
            self.insertPlainText("    ")
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event) -> None:
        super().focusOutEvent(event)
        if self.on_apply:
            self.on_apply()


class CodeField(QWidget):
    """A Code layer's code: the editor, what is wrong with it, and (for a document's code that has not been
    trusted) a button that asks to run it."""

    def __init__(self, document, node_id: str, param: str = "code", parent=None):
        super().__init__(parent)
        self.document, self.node_id, self.param = document, node_id, param
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.editor = CodeEditor()
        self.editor.setObjectName("code_editor")
        self.editor.setMinimumHeight(220)
        self.editor.on_apply = self.apply
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
        for widget in (self.editor, hint, self.message, self.trust_button):
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
        self.trust_button.setVisible(not is_trusted(value))

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
