"""The run list: a document's runs with their status, date and best result. Tick a run to overlay its
curves; select one to make it current (its status, test results, gradients and samples are shown);
double-click the name to rename it; right-click to resume or delete it, or what features add (optimize it,
serve it)."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QAbstractItemView, QMenu, QTreeWidget, QTreeWidgetItem

from ...graph.io import FileFormatError
from ...runs.start_from import lesson_next
from .runs_model import DocumentRuns

COLUMNS = ("run", "status", "started", "epochs", "best")


def run_refusal(run, refusal) -> str | None:
    """Why a feature of the menu refuses the run (`refusal` of its network), or why its network cannot be read."""
    try:
        return refusal(run.graph())
    except FileFormatError as e:
        return str(e)


class RunList(QTreeWidget):
    resumeRequested = Signal(object)  # RunState
    startRequested = Signal(object, str)  # RunState, "network" (a new one from the run) or "lesson" (its next step)
    message = Signal(str)

    def __init__(self):
        super().__init__()
        self.setObjectName("run_list")
        self.setHeaderLabels(list(COLUMNS))
        self.setRootIsDecorated(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self.itemChanged.connect(self._on_item_changed)
        self.currentItemChanged.connect(self._on_current)
        self.runs: DocumentRuns | None = None
        self.entries: list = []  # entry(menu, state): features that add to a run's menu (Optimize…, Serve…)
        self._filling = False

    def set_runs(self, runs: DocumentRuns | None) -> None:
        if self.runs is not None:
            for signal in (self.runs.listChanged, self.runs.shownChanged, self.runs.currentChanged):
                signal.disconnect(self.fill)
            self.runs.runUpdated.disconnect(self._on_updated)
        self.runs = runs
        if runs is not None:
            for signal in (runs.listChanged, runs.shownChanged, runs.currentChanged):
                signal.connect(self.fill)
            runs.runUpdated.connect(self._on_updated)
        self.fill()

    def item_of(self, run_id: str) -> QTreeWidgetItem | None:
        for i in range(self.topLevelItemCount()):
            if self.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole) == run_id:
                return self.topLevelItem(i)
        return None

    def fill(self, *_) -> None:
        self._filling = True
        try:
            self.clear()
            if self.runs is None:
                return
            for state in reversed(self.runs.states):  # newest first
                item = QTreeWidgetItem()
                item.setData(0, Qt.ItemDataRole.UserRole, state.id)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEditable)
                item.setCheckState(0, Qt.CheckState.Checked if state.id in self.runs.shown else Qt.CheckState.Unchecked)
                item.setForeground(0, QBrush(QColor(*self.runs.color(state))))
                self._texts(item, state)
                self.addTopLevelItem(item)
                if state is self.runs.current:
                    font = QFont(item.font(0))
                    font.setBold(True)
                    item.setFont(0, font)
                    self.setCurrentItem(item)
            for column in range(len(COLUMNS)):
                self.resizeColumnToContents(column)
        finally:
            self._filling = False

    def _texts(self, item: QTreeWidgetItem, state) -> None:
        run = state.run
        for column, text in enumerate((run.name, state.status_word, run.when, str(run.epochs_done),
                                       run.summary())):
            item.setText(column, text)

    def _on_updated(self, state) -> None:
        item = self.item_of(state.id)
        if item is not None:
            self._filling = True
            try:
                self._texts(item, state)
            finally:
                self._filling = False

    def _on_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._filling or self.runs is None or column != 0:
            return
        run_id = item.data(0, Qt.ItemDataRole.UserRole)
        state = self.runs.state(run_id)
        if state is None:
            return
        if item.text(0) != state.run.name:
            self.runs.rename(run_id, item.text(0))
        self.runs.set_shown(run_id, item.checkState(0) == Qt.CheckState.Checked)

    def _on_current(self, item, _previous) -> None:
        if self._filling or self.runs is None or item is None:
            return
        self.runs.set_current(self.runs.state(item.data(0, Qt.ItemDataRole.UserRole)))

    def _menu(self, point) -> None:
        item = self.itemAt(point)
        if item is None or self.runs is None:
            return
        self.menu_for(self.runs.state(item.data(0, Qt.ItemDataRole.UserRole)), item).popup(
            self.viewport().mapToGlobal(point))

    def menu_for(self, state, item: QTreeWidgetItem) -> QMenu:
        """What can be done to a run: its context menu."""
        menu = QMenu(self)
        menu.addAction("Rename", lambda: self.editItem(item, 0))
        resume = menu.addAction("Resume This Run", lambda: self.resumeRequested.emit(state))
        resume.setEnabled(state.run.checkpoint.is_file() and not state.running)
        weights = not state.running and state.run.weights() is not None
        menu.addAction("Start a New Network from This Run",
                       lambda: self.startRequested.emit(state, "network")).setEnabled(weights)
        if lesson_next(state.run) is not None:
            menu.addAction("Start the Lesson's Next Step from This Run",
                           lambda: self.startRequested.emit(state, "lesson")).setEnabled(weights)
        menu.addAction("Delete Run", lambda: self._delete(state))
        if self.entries:
            menu.addSeparator()
        for entry in self.entries:
            entry(menu, state)
        return menu

    def _delete(self, state) -> None:
        reason = self.runs.delete(state.id)
        if reason:
            self.message.emit(reason)
