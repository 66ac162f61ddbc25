"""An open document: the graph, its analysis, its undo stack and where it is saved."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from ..analysis import Analysis, fix_edit
from ..graph import io
from ..graph.events import BlockChanged
from ..graph.edits import Edit
from ..graph.model import EditError, Graph
from ..layers import check_node
from .problems import Problems
from .training.runs_model import DocumentRuns
from .undo import EditCommand


class Editable(QObject):
    """A graph being edited: edits go through `push` onto an undo stack; the graph announces changes, views
    redraw from its events. A Document, or one of its blocks opened on the canvas (BlockDocument)."""

    problemsChanged = Signal()
    graph: Graph
    analysis: Analysis
    problems: Problems
    undo_stack: QUndoStack

    def push(self, edit: Edit, merge: bool = True) -> str | None:
        """Apply an edit as one undo step (quick changes of one parameter merge, unless `merge` is False).
        Returns why it was refused, or None."""
        try:
            self.graph.apply(edit)
        except EditError as e:
            return str(e)
        self.undo_stack.push(EditCommand(self.graph, edit, merge))
        return None

    def apply_fix(self, fix) -> str | None:
        """Apply a problem's fix as one undo step. Returns why it could not be, or None."""
        try:
            edit = fix_edit(self.graph, fix)
        except EditError as e:
            return str(e)
        return self.push(edit, merge=False)  # a fix is its own step, whatever was typed just before


class Document(Editable):

    def __init__(self, graph: Graph | None = None, path: str | None = None, parent=None, runs_key: str | None = None):
        """`runs_key`: an untitled document's runs folder (reopened from File > Recent Runs); a new one's own when None."""
        super().__init__(parent)
        self.graph = graph if graph is not None else Graph()
        self.path = path
        self.analysis = Analysis(self.graph)
        self.undo_stack = QUndoStack(self)
        self.runs = DocumentRuns(self.path, self, key=runs_key)  # its training runs, on disk in a folder of its own
        self.problems = Problems(self, parent=self)  # with the settings', the data's and the diagnosis's
        self.analysis.listeners.connect(lambda changed: self.problemsChanged.emit())

    @classmethod
    def open(cls, path: str, parent=None) -> "Document":
        """Raises io.FileFormatError with a clear message; nothing else is touched."""
        return cls(io.load(path, check_node), str(path), parent)

    @classmethod
    def from_template(cls, path: str | Path, parent=None) -> "Document":
        """A new untitled document with a template's contents."""
        return cls(io.load(path, check_node), None, parent)

    def save(self, path: str | None = None) -> None:
        """Raises OSError when the file cannot be written; the document stays modified then."""
        target = path or self.path
        io.save(self.graph, target)
        self.path = str(target)
        self.undo_stack.setClean()
        try:
            self.runs.moved_to(self.path)
        except OSError:
            pass  # the document is saved; its runs stay where they were, and are listed from there

    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean()

    @property
    def unsaved_runs(self) -> int:
        """Runs that stay with the document only once it is saved: an untitled document's (File > Recent Runs
        finds them again when it is closed unsaved)."""
        return 0 if self.path else len(self.runs.states)

    @property
    def needs_saving(self) -> bool:
        """Edits not saved, or runs of a document never saved: closing it asks first, the title shows `*`."""
        return self.modified or self.unsaved_runs > 0

    @property
    def title(self) -> str:
        return Path(self.path).name if self.path else self.graph.meta.get("name", "Untitled")

    def close(self) -> None:
        self.runs.close()
        self.problems.close()
        self.analysis.close()


class BlockDocument(Editable):
    """Block `name` of a document, opened on the canvas: its definition edited with the document's undo stack
    (so Undo works the same inside and out, and saving saves the document)."""

    def __init__(self, document: Document, name: str, parent=None):
        super().__init__(parent)
        self.document, self.name = document, name
        self.graph = document.graph.blocks[name]
        self.analysis = Analysis(self.graph)
        self.undo_stack = document.undo_stack
        self.problems = Problems(self, document.problems, parent=self)
        self.analysis.listeners.connect(lambda changed: self.problemsChanged.emit())
        document.graph.events.connect(self._on_document_event)

    def push(self, edit: Edit, merge: bool = True) -> str | None:
        if not edit.text.startswith(f"{self.name}: "):
            edit.text = f"{self.name}: {edit.text}"  # the History says where the step was taken
        return super().push(edit, merge)

    def _on_document_event(self, event) -> None:
        if isinstance(event, BlockChanged) and event.name != self.name:  # a block this one may use
            self.analysis.block_changed(event.name)

    @property
    def title(self) -> str:
        return self.name

    def close(self) -> None:
        self.document.graph.events.disconnect(self._on_document_event)
        self.problems.close()
        self.analysis.close()
