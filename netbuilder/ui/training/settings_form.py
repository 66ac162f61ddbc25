"""The training settings as a form; each change is one undoable edit of the document's meta."""
from __future__ import annotations

from dataclasses import fields

from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QSpinBox, QWidget

from ...graph.edits import SetMeta
from ...train.config import DEVICES, LOSSES, OPTIMIZERS, SCHEDULES, TrainConfig

CHOICES = {"optimizer": OPTIMIZERS, "loss": LOSSES, "schedule": SCHEDULES, "device": DEVICES}
SHOWN = ("optimizer", "lr", "batch_size", "epochs", "loss", "weight_decay", "momentum", "clip_norm",
         "schedule", "warmup_epochs", "early_stopping", "seed", "device")


class SettingsForm(QWidget):
    def __init__(self, window):
        super().__init__()
        self.setObjectName("training_settings")
        self.window = window
        self.editors: dict[str, QWidget] = {}
        self.setMaximumWidth(460)
        form = QFormLayout(self)
        kinds = {f.name: f.type for f in fields(TrainConfig)}
        for name in SHOWN:
            kind = kinds[name]
            if name in CHOICES:
                editor = QComboBox()
                editor.addItems(list(CHOICES[name]))
                editor.currentTextChanged.connect(lambda v, n=name: self._set(n, v))
            elif kind in ("bool", bool):
                editor = QCheckBox()
                editor.toggled.connect(lambda v, n=name: self._set(n, bool(v)))
            elif kind in ("int", int):
                editor = QSpinBox()
                editor.setRange(0 if name in ("warmup_epochs", "early_stopping", "seed") else 1, 1_000_000)
                editor.setKeyboardTracking(False)
                editor.valueChanged.connect(lambda v, n=name: self._set(n, int(v)))
            else:
                editor = QDoubleSpinBox()
                editor.setDecimals(6)
                editor.setRange(0.0, 1e6)
                editor.setSingleStep(0.001 if name == "lr" else 0.1)
                editor.setKeyboardTracking(False)
                editor.valueChanged.connect(lambda v, n=name: self._set(n, float(v)))
            editor.setObjectName(f"train_{name}")
            self.editors[name] = editor
            form.addRow(name.replace("_", " "), editor)
        self.refresh()

    def config(self) -> TrainConfig:
        return TrainConfig.from_dict(self.window.document.graph.meta.get("training"))

    def refresh(self) -> None:
        """Show the document's settings (after an undo, or a new document)."""
        if getattr(self.window, "document", None) is None:
            return
        values = self.config().to_dict()
        for name, editor in self.editors.items():
            editor.blockSignals(True)
            value = values[name]
            if isinstance(editor, QComboBox):
                editor.setCurrentText(str(value))
            elif isinstance(editor, QCheckBox):
                editor.setChecked(bool(value))
            else:
                editor.setValue(value)
            editor.blockSignals(False)

    def _set(self, name: str, value) -> None:
        graph = self.window.document.graph
        current = dict(graph.meta.get("training") or {})
        if current.get(name, getattr(TrainConfig(), name)) == value:
            return
        current[name] = value
        edit = SetMeta(graph, "training", current)
        edit.text = f"Set training {name.replace('_', ' ')}"
        self.window.document.push(edit)
