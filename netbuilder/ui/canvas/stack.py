"""Which graph the canvas shows: the document's own, or a block opened in it (and a block opened in that...),
as a stack, innermost last. The canvas, the breadcrumb and the inspector observe it; opening a block and
leaving it are its only changes."""
from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from ...graph import events as ev
from ..document import BlockDocument, Document, Editable


class CanvasStack(QObject):
    changed = Signal()  # the canvas shows another graph (a block opened or left, another document)
    message = Signal(str)  # something to tell the user (a block undone away while open)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.document: Document | None = None
        self.blocks: list[BlockDocument] = []  # the blocks opened, innermost last
        self.prefixes: list[str] = []  # each open block's place in the compiled model ("blocks.0")

    @property
    def current(self) -> Editable | None:
        """What the canvas shows: the innermost open block, else the document."""
        return self.blocks[-1] if self.blocks else self.document

    def levels(self) -> list[Editable]:
        return [self.document, *self.blocks] if self.document is not None else []

    def path(self) -> list[str]:
        """The names of the levels: the document's title, then each open block's."""
        return [self.document.title, *(doc.name for doc in self.blocks)] if self.document is not None else []

    def model_name(self, layer: str) -> str:
        """A layer of the open block by its name in the compiled model (the first copy of a stacked one)."""
        return ".".join(self.prefixes + [layer])

    # ---- changes ---------------------------------------------------------------------------------------------
    def set_document(self, document: Document) -> None:
        """Show another document, on its own canvas."""
        self._close_to(0)
        self.document = document
        self.changed.emit()

    def open(self, node_id: str) -> str | None:
        """Open the block `node_id` of the graph shown; why it cannot be, or None."""
        graph = self.current.graph
        node = graph.node(node_id)
        name = node.params.get("block")
        if node.type != "Block" or name not in self.document.graph.blocks:
            return f"{node.name} is not a block of this document"
        if not self.blocks:
            self.document.graph.events.connect(self._on_document_event)
        self.blocks.append(BlockDocument(self.document, name, self))
        self.prefixes.append(node.name + (".0" if node.params.get("repeat", 1) > 1 else ""))
        self.changed.emit()
        return None

    def leave(self, level: int | None = None) -> None:
        """Back to `level` (0: the document; one up when None)."""
        level = len(self.blocks) - 1 if level is None else level
        if 0 <= level < len(self.blocks):
            self._close_to(level)
            self.changed.emit()

    def leave_all(self) -> None:
        self.leave(0)

    def _close_to(self, level: int) -> None:
        while len(self.blocks) > level:
            doc = self.blocks.pop()
            self.prefixes.pop()
            doc.close()
            doc.deleteLater()
            if not self.blocks:
                self.document.graph.events.disconnect(self._on_document_event)

    def _on_document_event(self, event) -> None:
        """An undo took a block away (or its instance went): close the canvases of blocks no longer there."""
        if isinstance(event, ev.BlockChanged):
            gone = [i for i, doc in enumerate(self.blocks) if doc.name not in self.document.graph.blocks]
            if gone:
                self.message.emit(f"Block {self.blocks[gone[0]].name} is gone (undone): back out of it")
                QTimer.singleShot(0, lambda k=gone[0], d=self.document: self.leave(k)
                                  if d is self.document and k < len(self.blocks) else None)
