"""Text a language model writes, for the Samples tab: from the prompt the user types, at the temperature and
top-k they choose. Every epoch brings a copy of the network (train/recipes/next_token.py); the writing runs
on a pool thread (ui/background.py), so the window never waits for it. A prompt with characters the network
never saw is said above the text, not raised. A run opened again shows the text it wrote at its end (kept in
its folder, runs/pictures.py); Write then loads the run's network from its checkpoint, off the window's thread."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QDoubleSpinBox, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QSpinBox,
                               QVBoxLayout, QWidget)

from ...runs.pictures import SavedText
from ...train.language import LENGTH, PROMPT, TEMPERATURE, Generated, TextModel
from ..background import Background


class TextSamplesView(QWidget):
    written = Signal()  # text is shown (self.last), to save

    def __init__(self):
        super().__init__()
        self.setObjectName("text_samples")
        self.model: TextModel | None = None
        self.saved: SavedText | None = None  # a run opened again: what it wrote, and how to load its network
        self.background = Background(self)
        self.prompt = QLineEdit(PROMPT)
        self.prompt.setPlaceholderText("the text the network goes on from")
        self.prompt.setToolTip("The network goes on from this text (Enter writes again)")
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.0, 5.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setValue(TEMPERATURE)
        self.temperature.setPrefix("temperature ")
        self.temperature.setToolTip("0 always takes the likeliest character; 1 draws as the network believes;"
                                    " higher is bolder and stranger")
        self.top_k = QSpinBox()
        self.top_k.setRange(0, 1000)
        self.top_k.setPrefix("top-k ")
        self.top_k.setSpecialValueText("top-k: all")
        self.top_k.setToolTip("Draw only among the k likeliest characters (all: no limit)")
        self.chars = QSpinBox()
        self.chars.setRange(1, 5000)
        self.chars.setValue(LENGTH)
        self.chars.setSuffix(" characters")
        self.write_button = QPushButton("Write")
        self.write_button.setToolTip("Write again from the prompt with the network as it is now")
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setObjectName("text_samples_note")
        self.output = QPlainTextEdit()
        self.output.setReadOnly(True)
        self.output.setFont(QFont("monospace"))
        self.output.setPlaceholderText("A language model's text appears here after every epoch.")
        row = QHBoxLayout()
        row.addWidget(QLabel("Prompt:"))
        row.addWidget(self.prompt, 1)
        for widget in (self.temperature, self.top_k, self.chars, self.write_button):
            row.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.note)
        layout.addWidget(self.output, 1)
        self.write_button.clicked.connect(self.write)
        self.prompt.returnPressed.connect(self.write)
        self.last: Generated | None = None

    def show_model(self, model: TextModel) -> None:
        """Write with this copy of the network (a new epoch's)."""
        self.model, self.saved = model, None
        self.write()

    def show_saved(self, saved: SavedText) -> None:
        """The text a run wrote at its end, read back from its folder; Write loads its network to write more."""
        self.model, self.saved = None, saved
        made = saved.generated
        self._show(made, f"Written when the run ended (top-k {made.top_k or 'all'}); Write loads the run's network"
                         " from its checkpoint and writes again from your prompt."
                         + (f" Note: {made.note}" if made.note else ""))

    def write(self) -> None:
        if self.model is None and self.saved is None:
            self.note.setText("Train a language model (the next_token recipe) to see what it writes.")
            return
        model, saved, prompt = self.model, self.saved, self.prompt.text()
        length, temperature, top_k = self.chars.value(), self.temperature.value(), self.top_k.value()
        self.note.setText("writing…" if model is not None else "loading the run's network, then writing…")

        def work():
            return (model or saved.load()).generate(prompt, length, temperature, top_k, seed=0)

        self.background.submit(work, self._written, self._failed)

    def _written(self, made: Generated) -> None:
        self._show(made, made.note)

    def _show(self, made: Generated, note: str) -> None:
        self.last = made
        self.note.setText(note)
        self.output.setPlainText(made.prompt + made.text)
        self.written.emit()

    def _failed(self, message: str) -> None:
        self.note.setText(message)

    def clear(self) -> None:
        self.model = self.saved = None
        self.last = None
        self.note.setText("")
        self.output.clear()
