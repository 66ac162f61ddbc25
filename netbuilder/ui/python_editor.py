"""A plain-text editor for Python in a fixed-width font: line numbers, Tab as four spaces, Return indenting
after a colon (and out after return), Backspace and Shift+Tab going back a level, and one line marked as the
error's and scrolled into sight (in an enclosing scroll area too)."""
from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QFontDatabase, QPainter, QTextCursor, QTextFormat
from PySide6.QtWidgets import QPlainTextEdit, QScrollArea, QTextEdit, QWidget

ERROR_BACKGROUND = QColor(255, 80, 80, 70)
INDENT = "    "
DEDENT_AFTER = ("return", "pass", "raise", "break", "continue")  # a block ends after these


def next_indent(line: str) -> str:
    """The indentation of the line after `line` (the text before the cursor): one level deeper after a
    colon, one level out after return/pass/raise/break/continue, else the same."""
    indent = line[:len(line) - len(line.lstrip(" \t"))]
    code = line.split("#", 1)[0].rstrip()
    if code.endswith(":"):
        return indent + INDENT
    words = code.split()
    if words and words[0] in DEDENT_AFTER:
        return indent[:-len(INDENT)] if indent.endswith(INDENT) else ""
    return indent


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
        self._brought_into_sight: int | None = None  # the error line last scrolled to
        self._sight_pending = False  # whether a resize should scroll to it again
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
        if self._sight_pending and self.error_at:  # laid out (again) before the user did anything
            self.bring_into_sight(self.error_at)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._sight_pending and self.error_at:
            self.bring_into_sight(self.error_at)

    def wheelEvent(self, event) -> None:
        self._sight_pending = False
        super().wheelEvent(event)

    def mousePressEvent(self, event) -> None:
        self._sight_pending = False
        super().mousePressEvent(event)

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
        """Highlight line `line` (from 1), or nothing; a new error line is scrolled into sight (once, so the
        user may scroll away from it)."""
        self.error_at = line
        if line != self._brought_into_sight:
            self._brought_into_sight = line
            self._sight_pending = bool(line)  # until the user scrolls or types: sizes may still change
            if line and self.isVisible():
                self.bring_into_sight(line)
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

    def visible_lines(self) -> range:
        """The line numbers (from 1) wholly in sight."""
        first = self.firstVisibleBlock().blockNumber() + 1
        count = max(1, self.viewport().height() // max(1, self.fontMetrics().lineSpacing()))
        return range(first, first + count)

    def bring_into_sight(self, line: int) -> None:
        """Scroll so line `line` (from 1) is in sight, a third of the way down when it was not; the cursor
        stays where it is. (Without wrapping, the vertical scroll bar counts lines.)"""
        shown = self.visible_lines()
        if line not in shown:
            self.verticalScrollBar().setValue(max(0, line - 1 - len(shown) // 3))
        self.horizontalScrollBar().setValue(0)
        QTimer.singleShot(0, self, lambda: self._reveal_in_scroll_area(line))  # once the area is laid out too

    def _reveal_in_scroll_area(self, line: int) -> None:
        """When the editor sits in a scroll area (the inspector), scroll it so the line is in sight there too."""
        area = self.parentWidget()
        while area is not None and not isinstance(area, QScrollArea):
            area = area.parentWidget()
        block = self.document().findBlockByNumber(line - 1)
        if area is None or area.widget() is None or not block.isValid():
            return
        rect = self.blockBoundingGeometry(block).translated(self.contentOffset())
        centre = self.viewport().mapTo(area.widget(), rect.center().toPoint())
        area.ensureVisible(0, centre.y(), 0, round(rect.height() * 2))

    # ---- keys and focus --------------------------------------------------------------------------
    def keyPressEvent(self, event) -> None:
        self._sight_pending = False
        key, modifiers = event.key(), event.modifiers()
        enter = key in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and modifiers & Qt.KeyboardModifier.ControlModifier:
            if self.on_apply:
                self.on_apply()
            return
        cursor = self.textCursor()
        before = cursor.block().text()[:cursor.positionInBlock()]
        if enter and not modifiers & ~Qt.KeyboardModifier.KeypadModifier:
            self.insertPlainText("\n" + next_indent(before))  # the same indentation, deeper after a colon
            self.ensureCursorVisible()
            return
        if key == Qt.Key.Key_Tab and not modifiers:
            self.insertPlainText(INDENT[:len(INDENT) - len(before) % len(INDENT)])
            return
        if key == Qt.Key.Key_Backspace and not modifiers and not cursor.hasSelection() and before \
                and not before.strip(" "):  # in the indentation: back one level
            cursor.movePosition(QTextCursor.MoveOperation.Left, QTextCursor.MoveMode.KeepAnchor,
                                (len(before) - 1) % len(INDENT) + 1)
            cursor.removeSelectedText()
            return
        if key == Qt.Key.Key_Backtab:
            self._dedent()
            return
        super().keyPressEvent(event)

    def _dedent(self) -> None:
        """Shift+Tab: the cursor's line one level out."""
        cursor = self.textCursor()
        text = cursor.block().text()
        spaces = min(len(text) - len(text.lstrip(" ")), len(INDENT))
        if spaces:
            cursor.movePosition(QTextCursor.MoveOperation.StartOfBlock)
            cursor.movePosition(QTextCursor.MoveOperation.Right, QTextCursor.MoveMode.KeepAnchor, spaces)
            cursor.removeSelectedText()

    def focusOutEvent(self, event) -> None:
        super().focusOutEvent(event)
        if self.on_apply:
            self.on_apply()
