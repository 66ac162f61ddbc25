"""The coach's strip under the status line: what the current run's curves show, in plain words, and its
remedies: Apply makes the remedy an undoable edit of the document, Try it applies it and trains the
changed network as a new run next to the last one (same data, same seed), so the user sees whether it
helped. When the curves show nothing wrong it says so, and why ("nothing to flag yet", the bar met), in a
quieter colour; hidden only while there is no run."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from ...insight import coach
from .. import theme


FLAGGED = "#9a5b00"  # a verdict: amber; nothing to flag: the theme's muted text


class CoachView(QWidget):
    applyRequested = Signal(object)  # a coach.Remedy
    tryRequested = Signal(object)

    def __init__(self):
        super().__init__()
        self.setObjectName("coach")
        self.text = QLabel()
        self.text.setWordWrap(True)
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
        if state is None or graph is None:
            self._read = None
            self._show(None)
            return
        key = (state.id, state.history.epochs)
        if key == self._read and not force:
            return
        self._read = key
        settings = state.run.settings if isinstance(state.run.settings, dict) else {}
        baseline = state.run.baseline if isinstance(state.run.baseline, dict) else {}
        self._show(coach.assess(coach.epochs_of(state.history), graph, settings,
                                image_data=state.test_images is not None, baseline=baseline,
                                classes=len(state.class_names) if state.class_names else None))

    def _show(self, reading) -> None:
        verdicts = reading.verdicts if reading is not None else []
        self.verdicts = verdicts
        self.remedies.clear()
        if reading is None:
            self.hide()
            return
        self.text.setText(f"Coach: {reading.text}.")
        quiet = theme.muted_text()
        quiet = f"rgba({quiet.red()}, {quiet.green()}, {quiet.blue()}, {quiet.alpha()})"
        self.text.setStyleSheet(f"color: {FLAGGED if verdicts else quiet};")
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
