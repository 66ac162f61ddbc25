"""The undo stack is a thin adapter over the core's invertible edits."""
from __future__ import annotations

from PySide6.QtGui import QUndoCommand

from ..graph.edits import Edit, SetParam
from ..graph.model import Graph

MERGE_PARAM = 1


class EditCommand(QUndoCommand):
    """One undo step: redo applies the edit, undo reverts it.

    The edit is applied before the command is pushed (so a refused edit never reaches the
    stack); the first redo, which QUndoStack.push calls, is therefore skipped."""

    def __init__(self, graph: Graph, edit: Edit):
        super().__init__(edit.text)
        self.graph, self.edit = graph, edit
        self._applied = True

    def redo(self) -> None:
        if self._applied:
            self._applied = False
            return
        self.edit.apply(self.graph)

    def undo(self) -> None:
        self.edit.revert(self.graph)

    def id(self) -> int:
        return MERGE_PARAM if isinstance(self.edit, SetParam) else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        """Consecutive changes of one parameter (spin box arrows) are one step."""
        a, b = self.edit, getattr(other, "edit", None)
        if not (isinstance(a, SetParam) and isinstance(b, SetParam)):
            return False
        if (a.node_id, a.name) != (b.node_id, b.name):
            return False
        a.value = b.value
        return True
