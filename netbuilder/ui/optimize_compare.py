"""The original and one optimised version side by side (in the Optimize dialog): their confusion matrices on the
test set, and the test samples on which they disagree, with what each said."""
from __future__ import annotations

from PySide6.QtWidgets import (QComboBox, QGridLayout, QHeaderView, QLabel, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

SHOWN = 30  # disagreements listed


def disagreements(original: list[int], other: list[int]) -> list[tuple[int, int, int]]:
    """(test sample, the original's class, the version's class) wherever they differ."""
    return [(i, a, b) for i, (a, b) in enumerate(zip(original, other)) if a != b]


class CompareView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("optimize_compare")
        self.rows: list = []
        self.choice = QComboBox(objectName="optimize_compare_choice")
        self.choice.currentIndexChanged.connect(self._show)
        self.matrices = (_matrix("optimize_confusion_original"), _matrix("optimize_confusion_version"))
        self.titles = (QLabel("original"), QLabel())
        self.differ = QLabel(objectName="optimize_disagreements", wordWrap=True)
        grid = QGridLayout()
        for column in (0, 1):
            grid.addWidget(self.titles[column], 0, column)
            grid.addWidget(self.matrices[column], 1, column)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.choice)
        layout.addLayout(grid)
        layout.addWidget(self.differ)
        self.hide()

    def set_rows(self, rows: list) -> None:
        """The report's rows (the first the original); shown only for a classifier."""
        self.rows = rows
        self.choice.blockSignals(True)
        self.choice.clear()
        for r in rows[1:]:
            self.choice.addItem(f"Compare the original with: {r.variant.name} ({r.variant.runtime})")
        self.choice.blockSignals(False)
        classifies = bool(rows) and rows[0].evaluation is not None and rows[0].evaluation.confusion is not None
        self.setVisible(classifies and len(rows) > 1)
        if self.isVisible():
            self.choice.setCurrentIndex(len(rows) - 2)  # the last: the most changed
            self._show()

    def _show(self, *_) -> None:
        if not self.rows or self.choice.currentIndex() < 0:
            return
        original, other = self.rows[0], self.rows[1 + self.choice.currentIndex()]
        self.titles[1].setText(f"{other.variant.name} ({other.variant.runtime})")
        for table, row in zip(self.matrices, (original, other)):
            _fill(table, row.evaluation.confusion)
        found = disagreements(original.predictions, other.predictions)
        listed = ", ".join(f"#{i}: {a} → {b}" for i, a, b in found[:SHOWN])
        more = f" and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
        self.differ.setText(f"They answer differently on {len(found)} of {len(original.predictions)} test samples"
                            + (f" (sample: original → version): {listed}{more}" if found else ""))


def _matrix(name: str) -> QTableWidget:
    table = QTableWidget(objectName=name)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.setToolTip("rows: the true class; columns: the class given")
    return table


def _fill(table: QTableWidget, confusion) -> None:
    size = len(confusion)
    table.setRowCount(size)
    table.setColumnCount(size)
    for i in range(size):
        for j in range(size):
            table.setItem(i, j, QTableWidgetItem(str(int(confusion[i][j]))))
