"""The coach's strip under the status line: what the current run's curves show, in plain words, and its
remedies: Apply makes the remedy an undoable edit of the document, Try it applies it and trains the
changed network as a new run next to the last one (same data, same seed), so the user sees whether it
helped. Hidden while the curves show nothing to say."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from ...insight import coach


class CoachView(QWidget):
    applyRequested = Signal(object)  # a coach.Remedy
    tryRequested = Signal(object)

    def __init__(self):
        super().__init__()
        self.setObjectName("coach")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setStyleSheet("color: #9a5b00;")
        self.remedies = QComboBox()
        self.remedies.setToolTip("What the coach suggests for this run")
        self.apply_button = QPushButton("Apply")
        self.apply_button.setToolTip("Change the document (Edit > Undo takes it back)")
        self.try_button = QPushButton("Try it")
        self.try_button.setToolTip("Change the document and train it as a new run beside this one")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text, 1)
        for widget in (self.remedies, self.apply_button, self.try_button):
            layout.addWidget(widget)
        self.apply_button.clicked.connect(lambda: self._request(self.applyRequested))
        self.try_button.clicked.connect(lambda: self._request(self.tryRequested))
        self.verdicts: list[coach.Verdict] = []
        self._read = None  # (run, epochs) last read: the coach reads once per epoch
        self.hide()

    def show_run(self, state, graph, force: bool = False) -> None:
        """Read the run's curves (once per new epoch) with remedies fitting `graph`, the document's network."""
        if state is None:
            self._read = None
            self._show([])
            return
        key = (state.id, state.history.epochs)
        if key == self._read and not force:
            return
        self._read = key
        settings = state.run.settings if isinstance(state.run.settings, dict) else {}
        self._show(coach.read(coach.epochs_of(state.history), graph, settings,
                              image_data=state.test_images is not None))

    def _show(self, verdicts: list) -> None:
        self.verdicts = verdicts
        self.remedies.clear()
        if not verdicts:
            self.hide()
            return
        self.text.setText("Coach: " + "; ".join(v.message for v in verdicts) + ".")
        for verdict in verdicts:
            for remedy in verdict.remedies:
                self.remedies.addItem(remedy.label[:1].upper() + remedy.label[1:], remedy)
        has = self.remedies.count() > 0
        for widget in (self.remedies, self.apply_button, self.try_button):
            widget.setVisible(has)
        self.show()

    def _request(self, signal) -> None:
        remedy = self.remedies.currentData()
        if remedy is not None:
            signal.emit(remedy)
