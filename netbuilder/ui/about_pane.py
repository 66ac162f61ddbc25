"""About this network: the document's description (a template's story and what to try) in a dock,
editable; a change is an undoable edit of the document's meta and is saved with it."""
from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from ..data.narrow import narrowing_words
from ..graph.edits import SetMeta
from ..graph.events import MetaChanged
from .gallery import facts
from .undo import EditCommand

MERGE_DESCRIPTION = 2  # QUndoCommand id: typing runs of the description merge into one step
MERGE_SECONDS = 10.0  # commits closer than this are one step
COMMIT_MS = 700  # typing pauses this long before the text reaches the document
KEY = "description"


class DescriptionCommand(EditCommand):
    """An edit of the description; a run of typing (commits closer than MERGE_SECONDS) is one step."""

    def id(self) -> int:
        return MERGE_DESCRIPTION

    def mergeWith(self, other) -> bool:
        edit = getattr(other, "edit", None)
        if not isinstance(other, DescriptionCommand) or other.made - self.made > MERGE_SECONDS:
            return False
        self.edit.value = edit.value
        self.made = other.made
        old = self.edit.old if isinstance(self.edit.old, str) else ""  # no description is an empty one
        self.setObsolete(self.edit.value == old)  # typed back to where it started: no step at all
        return True


class AboutPane(QWidget):
    """Shows and edits one document's description; follows its changes itself (undo, another file)."""

    def __init__(self, document=None, parent=None):
        super().__init__(parent)
        self.setObjectName("about_network")
        self.document = None
        self.title = QLabel()
        self.title.setObjectName("about_title")
        self.title.setWordWrap(True)
        self.text = QPlainTextEdit()
        self.text.setObjectName("about_text")
        self.text.setPlaceholderText("Describe this network: what it does, what it trains on, what to try.")
        self.facts = QLabel()
        self.facts.setObjectName("about_facts")
        self.facts.setWordWrap(True)
        self.facts.setStyleSheet("color: gray")
        self.text.setMinimumHeight(60)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.facts)
        layout.addWidget(self.text, 1)
        self._timer = QTimer(self, singleShot=True, interval=COMMIT_MS)
        self._timer.timeout.connect(self.commit)
        self.text.textChanged.connect(self._timer.start)
        self.text.installEventFilter(self)
        self.set_document(document)

    def set_document(self, document) -> None:
        if document is self.document:
            return
        if self.document is not None:
            self.commit()  # what was typed belongs to the document it was typed in
            self.document.graph.events.disconnect(self._on_event)
        self.document = document
        if document is not None:
            document.graph.events.connect(self._on_event)
        self.refresh()

    def eventFilter(self, watched, event) -> bool:
        if watched is self.text and event.type() == event.Type.FocusOut:
            self.commit()
        return super().eventFilter(watched, event)

    def _on_event(self, event) -> None:
        if isinstance(event, MetaChanged) and event.key in (KEY, "name", "data", "quality"):
            self.refresh()

    def refresh(self) -> None:
        """Show the document's description (after an undo, or for another document)."""
        meta = self.document.graph.meta if self.document is not None else {}
        self.title.setText(f"<b>{meta.get('name') or 'Untitled network'}</b>")
        data = meta.get("data") if isinstance(meta.get("data"), dict) else {}
        source = data.get("source", "digits")  # the document's dataset, the digits unless it names one
        self.facts.setText(f"Trains on: {source}{narrowing_words(data)}" if isinstance(source, str) else "")  # else a Problem says why
        self.facts.setToolTip(facts(meta))  # and the bar a template reaches
        text = meta.get(KEY) if isinstance(meta.get(KEY), str) else ""
        self.text.setReadOnly(self.document is None)
        if self.text.toPlainText() != text:
            self._timer.stop()
            cursor = self.text.textCursor().position()
            self.text.blockSignals(True)
            self.text.setPlainText(text)
            self.text.blockSignals(False)
            cursor_at = self.text.textCursor()
            cursor_at.setPosition(min(cursor, len(text)))
            self.text.setTextCursor(cursor_at)

    def commit(self) -> None:
        """The typed text into the document, as an undoable edit (merged with the typing just before)."""
        self._timer.stop()
        if self.document is None:
            return
        graph = self.document.graph
        text = self.text.toPlainText()
        if text == (graph.meta.get(KEY) or ""):
            return
        edit = SetMeta(graph, KEY, text)
        edit.text = "Edit the description"
        graph.apply(edit)
        command = DescriptionCommand(graph, edit)
        command.made = time.monotonic()
        self.document.undo_stack.push(command)


def install(bench) -> AboutPane:
    """The "About this network" dock above the inspector, on the window's document and following it (once)."""
    found = bench.dock("About This Network")
    if found is not None:
        return found.widget()
    pane = AboutPane(bench.document)
    bench.add_dock("About This Network", pane, Qt.DockWidgetArea.RightDockWidgetArea, name="dock_about_network").show()
    if bench.dock("Inspector") is not None:
        bench.stack_docks("About This Network", "Inspector", (190, 500))
    bench.documentChanged.connect(pane.set_document)
    return pane
