"""The Training panel's status line: a few lines high, always, so a status that wraps differently does not lay
the panel out again while a run goes on. A message longer than its lines (why a network cannot train, with
every problem) is shown cut at a word with an ellipsis, its point first, and whole in the tooltip."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics, QTextLayout
from PySide6.QtWidgets import QLabel

ELLIPSIS = "…"


def fit_lines(text: str, font, width: int, lines: int) -> str:
    """`text` as it wraps at `width` pixels in `font`, cut to `lines` lines (broken with newlines): when it is
    longer, the last line holds what follows (its paragraphs joined with '; '), elided at the right."""
    shown: list[str] = []
    paragraphs = text.split("\n")
    metrics = QFontMetrics(font)
    for k, paragraph in enumerate(paragraphs):
        layout = QTextLayout(paragraph, font)
        layout.beginLayout()
        try:
            while True:
                line = layout.createLine()
                if not line.isValid():
                    break
                line.setLineWidth(width)
                start, length = line.textStart(), line.textLength()
                if len(shown) == lines - 1:
                    rest = [paragraph[start:].strip()] + [p.strip() for p in paragraphs[k + 1:]]
                    last = "; ".join(p for p in rest if p)
                    if metrics.horizontalAdvance(last) > width or k + 1 < len(paragraphs) and \
                            any(p.strip() for p in paragraphs[k + 1:]):
                        shown.append(metrics.elidedText(last, Qt.TextElideMode.ElideRight, width))
                        return "\n".join(shown)
                shown.append(paragraph[start:start + length].rstrip())
        finally:
            layout.endLayout()
    return "\n".join(shown)


class StatusLine(QLabel):
    """A label of fixed height whose text is fitted to the lines it has; `text()` is the whole message."""

    def __init__(self, text: str = "", parent=None):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self._message = ""
        self.setText(text)

    def text(self) -> str:
        """The whole message (the label may show it cut to its lines)."""
        return self._message

    def shown_text(self) -> str:
        return super().text()

    def setText(self, text: str) -> None:
        self._message = text
        self._fit()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if event.size() != event.oldSize():
            self._fit()

    def _fit(self) -> None:
        room = self.contentsRect()
        width = room.width() - 2 * max(self.margin(), 0) - 4  # a little less: the label wraps as we do
        lines = max(1, room.height() // self.fontMetrics().lineSpacing())
        shown = fit_lines(self._message, self.font(), width, lines) if width > 20 else self._message
        super().setText(shown)
        self.setToolTip(self._message if shown != self._message else "")
