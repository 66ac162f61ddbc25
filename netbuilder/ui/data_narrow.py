"""The Data panel's "Narrow" box: keep some classes of a classification dataset (relabelled 0..k-1) and a
few labelled training samples of each (data/narrow.py does the work)."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QLineEdit, QSpinBox

from .. import glossary
from ..data.narrow import MAX_LABELS, classes_text, parse_classes
from ..data.raw import DataError


class NarrowBox(QGroupBox):
    """Edits DataSpec.classes and DataSpec.labels_per_class; `changed` when the user is done typing."""

    changed = Signal()

    def __init__(self):
        super().__init__("Narrow (classification)")
        self.setObjectName("data_narrow")
        self.classes = QLineEdit()
        self.classes.setObjectName("data_classes")
        self.classes.setPlaceholderText("every class (or e.g. 5-9, or 0, 2, 4)")
        self.per_class = QSpinBox()
        self.per_class.setObjectName("data_labels_per_class")
        self.per_class.setRange(0, MAX_LABELS)
        self.per_class.setSpecialValueText("all")
        self.per_class.setKeyboardTracking(False)
        self.relabelled = QLabel()
        self.relabelled.setObjectName("data_relabelled")
        self.relabelled.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow("classes", self.classes)
        form.addRow("labels per class", self.per_class)
        form.addRow(self.relabelled)
        for editor, name, shown in ((self.classes, "classes", None), (self.per_class, "labels_per_class", None)):
            tip = glossary.tooltip("data", name, shown)
            editor.setToolTip(tip)
            form.labelForField(editor).setToolTip(tip)
        self._typed = ""  # the classes text last announced: leaving the field unchanged reloads nothing
        self.classes.editingFinished.connect(self._on_edit)
        self.per_class.valueChanged.connect(self._on_edit)

    def values(self) -> tuple[list[int], int]:
        """(classes, labels per class) as typed; DataError when the classes are not readable."""
        return parse_classes(self.classes.text()), self.per_class.value()

    def error(self) -> str:
        try:
            self.values()
        except DataError as e:
            return str(e)
        return ""

    def show_values(self, classes: list, per_class: int) -> None:
        """Show the spec's settings (without announcing a change)."""
        self.blockSignals(True)
        self.classes.setText(classes_text(classes) if isinstance(classes, list) else str(classes))
        self.per_class.blockSignals(True)
        self.per_class.setValue(per_class if isinstance(per_class, int) else 0)
        self.per_class.blockSignals(False)
        self.blockSignals(False)
        self._typed = self.classes.text()
        self._say()

    def _say(self) -> None:
        try:
            classes, _ = self.values()
        except DataError:
            classes = []
        self.relabelled.setText(f"relabelled: {', '.join(f'{c} → {i}' for i, c in enumerate(classes))}"
                                if classes else "")

    def _on_edit(self, *args) -> None:
        if self.sender() is self.classes:
            if self.classes.text() == self._typed:
                return
            self._typed = self.classes.text()
        self._say()
        self.changed.emit()
