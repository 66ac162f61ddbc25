"""The Data panel's anomaly-detection protocol (data/anomaly.py): none, one class normal (train on it alone), or
one class held out as the anomaly, and which class, by its index or its name."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLineEdit

from .. import glossary
from ..data.anomaly import AnomalyProtocol

CHOICES = {"": "none", "one_class": "one class is normal", "held_out": "one class is the anomaly"}


class AnomalyBox(QGroupBox):
    changed = Signal()

    def __init__(self):
        super().__init__("Anomaly detection")
        self.setToolTip(glossary.tooltip("data", "anomaly", "anomaly protocol"))
        self.protocol = QComboBox()
        for key, text in CHOICES.items():
            self.protocol.addItem(text, key)
        self.protocol.setObjectName("anomaly_protocol")
        self.which = QLineEdit()
        self.which.setObjectName("anomaly_class")
        self.which.setPlaceholderText("a class: its number (from 0) or its name")
        form = QFormLayout(self)
        form.addRow("protocol", self.protocol)
        form.addRow("class", self.which)
        self.protocol.currentIndexChanged.connect(self._on_protocol)
        self.which.editingFinished.connect(self.changed)
        self._on_protocol()

    def _on_protocol(self, *_) -> None:
        self.which.setEnabled(bool(self.protocol.currentData()))
        self.changed.emit()

    def show_setting(self, setting: dict) -> None:
        """Show a dataset's anomaly setting (its `anomaly` mapping) without announcing a change."""
        found = AnomalyProtocol.from_dict(setting)
        self.blockSignals(True)
        self.protocol.blockSignals(True)
        index = self.protocol.findData(found.protocol if found.protocol in CHOICES else "")
        self.protocol.setCurrentIndex(max(index, 0))
        self.which.setText("" if found.which is None else str(found.which))
        self.which.setEnabled(bool(self.protocol.currentData()))
        self.protocol.blockSignals(False)
        self.blockSignals(False)

    def setting(self) -> dict:
        """The `anomaly` mapping of the dataset settings ({} for none); a number is a class index."""
        protocol = self.protocol.currentData()
        if not protocol:
            return {}
        text = self.which.text().strip()
        return {"protocol": protocol, "class": int(text) if text.isdigit() else (text or None)}
