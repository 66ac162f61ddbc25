"""The problems panel: every problem of what the canvas shows, from its Problems model; double-click shows the
node."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QMenu

ROLE = Qt.ItemDataRole.UserRole


class ProblemsPanel(QListWidget):
    nodeRequested = Signal(str)
    fixRequested = Signal(object)  # a Fix

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("problems")
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self.itemActivated.connect(self._on_activated)
        self.problems = None
        self.source = None

    def set_model(self, model) -> None:
        """List this model's problems (the document's, or an open block's) and follow it."""
        if model is self.source:
            return
        if self.source is not None:
            try:
                self.source.changed.disconnect(self.refresh)
            except RuntimeError:  # (a block's, already deleted)
                pass
        self.source = model
        model.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        if self.source is not None:
            self.show_problems(self.source.listed(), self.source.names())

    def show_problems(self, problems, names: dict[str, str]) -> None:
        if problems == self.problems:
            return
        self.problems = list(problems)
        self.clear()
        if not problems:
            item = QListWidgetItem("✔ No problems: the network compiles.")
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.addItem(item)
            return
        for p in problems:
            mark = "⚠" if p.severity == "warning" else "✖"
            text = f"{mark} {p.describe(names)}"
            item = QListWidgetItem(text)
            item.setData(ROLE, p)
            item.setToolTip(text + ("\nRight-click to apply the fix." if p.fix else ""))
            self.addItem(item)

    def _on_activated(self, item: QListWidgetItem) -> None:
        problem = item.data(ROLE)
        if problem is not None and problem.node is not None:
            self.nodeRequested.emit(problem.node)

    def _menu(self, pos) -> None:
        item = self.itemAt(pos)
        problem = item.data(ROLE) if item else None
        if problem is None:
            return
        menu = QMenu(self)
        if problem.node is not None:
            menu.addAction("Show the layer").triggered.connect(lambda: self.nodeRequested.emit(problem.node))
        if problem.fix is not None:
            menu.addAction(f"Fix: {problem.fix.label}").triggered.connect(
                lambda: self.fixRequested.emit(problem.fix))
        menu.exec(self.mapToGlobal(pos))
