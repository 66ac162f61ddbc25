"""The undo stack is a thin adapter over the core's invertible edits."""
from __future__ import annotations

import time

from PySide6.QtGui import QUndoCommand

from ..graph.edits import Edit, SetParam
from ..graph.model import Graph

MERGE_PARAM = 1
MERGE_SECONDS = 1.5  # spin-box clicks closer than this are one step


class EditCommand(QUndoCommand):
    """One undo step: redo applies the edit, undo reverts it.

    The edit is applied before the command is pushed (so a refused edit never reaches the
    stack); the first redo, which QUndoStack.push calls, is therefore skipped."""

    def __init__(self, graph: Graph, edit: Edit, merge: bool = True):
        super().__init__(edit.text)
        self.graph, self.edit, self.merge = graph, edit, merge
        self._applied = True
        self.made = time.monotonic()

    def redo(self) -> None:
        if self._applied:
            self._applied = False
            return
        self.edit.apply(self.graph)

    def undo(self) -> None:
        self.edit.revert(self.graph)

    def id(self) -> int:
        return MERGE_PARAM if self.merge and isinstance(self.edit, SetParam) else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        """A quick run of changes to one parameter (spin-box arrow clicks) is one step."""
        a, b = self.edit, getattr(other, "edit", None)
        if not (isinstance(a, SetParam) and isinstance(b, SetParam)):
            return False
        if (a.node_id, a.name) != (b.node_id, b.name) or other.graph is not self.graph \
                or other.made - self.made > MERGE_SECONDS:
            return False
        a.value = b.value
        self.made = other.made
        self.setObsolete(a.value == a.old)  # back where it started: no step at all
        return True
