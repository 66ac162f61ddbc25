"""The training settings and the diagnosis thresholds as a form; each change is one undoable
edit of the document's meta ("training" and "diagnosis"). Every setting and every choice has a tooltip in
plain words (glossary.py), and a link opens the glossary; a setting at 0 that turns something off says "off"."""
from __future__ import annotations

import math

from dataclasses import fields

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDoubleValidator
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout,
                               QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox, QWidget)

from ... import glossary
from ...graph.edits import SetMeta
from ...graph.events import MetaChanged
from ...runs.start_from import fit_words, weights_fit
from ...train.applies import applies
from ...train.config import DEVICES, LOSSES, NOISE_SCHEDULES, NUMBERS, OPTIMIZERS, SAMPLINGS, SCHEDULES, TrainConfig
from ...train.recipes import recipe_names, recipes
from ...train.callbacks.diagnosis import Thresholds
from ...train.transfer import TransferError
from ..glossary_view import glossary_link

CHOICES = {"optimizer": OPTIMIZERS, "loss": LOSSES, "schedule": SCHEDULES, "device": DEVICES, "recipe": recipe_names,
           "noise_schedule": NOISE_SCHEDULES, "sampling": SAMPLINGS}
SHOWN = ("recipe", "optimizer", "lr", "batch_size", "epochs", "loss", "weight_decay", "momentum", "clip_norm",
         "schedule", "warmup_epochs", "early_stopping", "seed", "device", "kl_weight", "noise_schedule",
         "diffusion_steps", "sampling", "ddim_steps", "ddim_eta", "ema_decay", "unit_range", "snr_gamma",
         "memory_limit", "init_from")
SECTIONS = (("training", TrainConfig, SHOWN), ("diagnosis", Thresholds, tuple(f.name for f in fields(Thresholds))))
SCIENTIFIC = ("vanishing", "ratio", "exploding")  # values like 1e-7: typed, not spun
AT_ZERO = {"ema_decay": "off", "snr_gamma": "off", "ddim_eta": "0 (deterministic)", "clip_norm": "off",
           "early_stopping": "off", "warmup_epochs": "none", "weight_decay": "off"}  # 0 means


class SettingsForm(QWidget):
    """The document's training settings; it follows the document's changes itself (undo, files). A setting
    that does nothing under the chosen optimizer, recipe or schedule (momentum under Adam) is hidden."""

    message = Signal(str)

    def __init__(self):
        super().__init__()
        self.setObjectName("training_settings")
        self.document = None
        self.editors: dict[tuple[str, str], QWidget] = {}
        self.setMaximumWidth(460)
        self.form = form = QFormLayout(self)
        self.rows: dict[tuple[str, str], QWidget] = {}  # the widget of each editor's row
        self.labels: dict[tuple[str, str], QLabel] = {}
        form.addRow(glossary_link("training"))
        for key, kind, names in SECTIONS:
            if key == "diagnosis":
                heading = QLabel("<b>Gradient diagnosis thresholds</b>")
                form.addRow(heading)
            types = {f.name: f.type for f in fields(kind)}
            for name in names:
                editor = self._editor(key, name, types[name])
                editor.setObjectName(f"{'train' if key == 'training' else 'diagnosis'}_{name}")
                shown = "start from" if name == "init_from" else name.replace("_", " ")
                tip = glossary.tooltip(key, name, shown)
                editor.setToolTip(tip)
                label = QLabel(shown)
                label.setToolTip(tip)
                self.editors[(key, name)], self.labels[(key, name)] = editor, label
                self.rows[(key, name)] = self._with_browse(editor) if name == "init_from" else editor
                form.addRow(label, self.rows[(key, name)])
        self.refresh()

    def set_document(self, document) -> None:
        if self.document is not None:
            self.document.graph.events.disconnect(self._on_event)
        self.document = document
        if document is not None:
            document.graph.events.connect(self._on_event)
        self.refresh()

    def _on_event(self, event) -> None:
        if isinstance(event, MetaChanged) and event.key in ("training", "diagnosis"):
            self.refresh()

    def _editor(self, key: str, name: str, kind) -> QWidget:
        if name in CHOICES:
            editor = QComboBox()
            choices = CHOICES[name]
            editor.addItems(list(choices() if callable(choices) else choices))  # recipes: as known now
            for i in range(editor.count()):
                text = editor.itemText(i)
                tip = getattr(recipes().get(text), "summary", "") if name == "recipe" else \
                    glossary.words("choice", text)
                editor.setItemData(i, f"{text}: {tip}" if tip else "", Qt.ItemDataRole.ToolTipRole)
            editor.currentTextChanged.connect(lambda v: self._set(key, name, v))
        elif kind in ("bool", bool):
            editor = QCheckBox()
            editor.toggled.connect(lambda v: self._set(key, name, bool(v)))
        elif name == "init_from":
            editor = QLineEdit()
            editor.setPlaceholderText("none: a checkpoint (.pt) to start same-named layers from")
            editor.editingFinished.connect(lambda: self._set(key, name, editor.text().strip()))
        elif name in SCIENTIFIC:
            editor = QLineEdit()
            validator = QDoubleValidator(0.0, 1e30, 12, editor)
            validator.setNotation(QDoubleValidator.Notation.ScientificNotation)
            editor.setValidator(validator)
            editor.editingFinished.connect(lambda: self._typed(key, name, editor))
        elif kind in ("int", int):
            editor = QSpinBox()
            low = 0 if name in ("warmup_epochs", "early_stopping", "seed") else 1
            editor.setRange(low, 1_000_000)
            editor.setSpecialValueText(AT_ZERO.get(name, ""))  # early stopping "off", not 0
            editor.setKeyboardTracking(False)
            editor.valueChanged.connect(lambda v: self._set(key, name, int(v)))
        else:
            editor = QDoubleSpinBox()
            editor.setDecimals(6)
            high = min(NUMBERS[name][1], 1e6) if key == "training" and name in NUMBERS else 1e6  # the check's
            editor.setRange(0.0, 1.0 if key == "diagnosis" else high)
            editor.setSingleStep(0.001 if name == "lr" else 0.01 if key == "diagnosis" else 0.1)
            editor.setSpecialValueText(AT_ZERO.get(name, "") if key == "training" else "")
            editor.setKeyboardTracking(False)
            editor.valueChanged.connect(lambda v: self._set(key, name, float(v)))
        return editor

    def _with_browse(self, editor: QLineEdit) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(editor, 1)
        browse = QPushButton("Browse…")
        browse.setObjectName("train_init_from_browse")
        browse.clicked.connect(lambda: self._browse(editor))
        layout.addWidget(browse)
        return row

    def _browse(self, editor: QLineEdit) -> None:
        start = editor.text() or str(self.document.runs.folder)
        path, _ = QFileDialog.getOpenFileName(self, "Start layers from a checkpoint", start,
                                              "Checkpoints (*.pt *.pth);;All files (*)")
        if path:
            try:
                said = fit_words(path, *weights_fit(self.document.graph, path))
            except TransferError as e:
                self.message.emit(f"Not a starting point for this network: {e}")
                return
            editor.setText(path)
            self._set("training", "init_from", path)
            self.message.emit(said)

    def config(self) -> TrainConfig:
        return TrainConfig.from_dict(self.document.graph.meta.get("training"))

    def refresh(self) -> None:
        """Show the document's settings (after an undo, or a new document)."""
        if self.document is None:
            return
        meta = self.document.graph.meta
        values = {"training": self.config().to_dict(),
                  "diagnosis": Thresholds.from_dict(meta.get("diagnosis")).to_dict()}
        for (key, name), editor in self.editors.items():
            editor.blockSignals(True)
            value = values[key][name]
            if isinstance(editor, QComboBox):
                editor.setCurrentText(str(value))
            elif isinstance(editor, QCheckBox):
                editor.setChecked(bool(value))
            elif isinstance(editor, QLineEdit):
                editor.setText(f"{value:g}" if _number(value) else str(value))
            elif _number(value):  # else a value of the wrong type: the Problems panel names it
                value = min(max(value, editor.minimum()), editor.maximum())  # in range: setValue takes a C int
                editor.setValue(int(value) if isinstance(editor, QSpinBox) else float(value))
            editor.blockSignals(False)
        config = self.config()
        for (key, name), row in self.rows.items():
            if key == "training":
                self.form.setRowVisible(row, applies(config, name))

    def shown(self, name: str) -> bool:
        """Whether the training setting `name` is in the form as it is now."""
        return ("training", name) in self.rows and not self.rows[("training", name)].isHidden()

    def _typed(self, key: str, name: str, editor: QLineEdit) -> None:
        try:
            value = float(editor.text())
        except ValueError:
            value = 0.0
        if not value > 0:  # the validator lets "0" and "" through: say so and show the value in use
            self.message.emit(f"The {name} threshold must be a number above 0, like 1e-7.")
            self.refresh()
            return
        self._set(key, name, value)

    def _set(self, key: str, name: str, value) -> None:
        graph = self.document.graph
        defaults = TrainConfig() if key == "training" else Thresholds()
        current = dict(graph.meta.get(key) or {})
        if current.get(name, getattr(defaults, name)) == value:
            return
        current[name] = value
        edit = SetMeta(graph, key, current)
        edit.text = f"Set {'training' if key == 'training' else 'diagnosis'} {name.replace('_', ' ')}"
        self.document.push(edit)


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
