"""Text a language model writes, for the Samples tab: from the prompt the user types, at the temperature and
top-k they choose. Every epoch brings a copy of the network (train/recipes/next_token.py); the writing runs
on a pool thread (ui/background.py), so the window never waits for it. A prompt with characters the network
never saw is said above the text, not raised."""
from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QDoubleSpinBox, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QSpinBox,
                               QVBoxLayout, QWidget)

from ...train.language import Generated, TextModel
from ..background import Background

PROMPT = "The "


class TextSamplesView(QWidget):
    def __init__(self):
        super().__init__()
        self.setObjectName("text_samples")
        self.model: TextModel | None = None
        self.background = Background(self)
        self.prompt = QLineEdit(PROMPT)
        self.prompt.setPlaceholderText("the text the network goes on from")
        self.prompt.setToolTip("The network goes on from this text (Enter writes again)")
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.0, 5.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setValue(0.8)
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
        self.chars.setValue(400)
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
        self.model = model
        self.write()

    def write(self) -> None:
        if self.model is None:
            self.note.setText("Train a language model (the next_token recipe) to see what it writes.")
            return
        model, prompt = self.model, self.prompt.text()
        length, temperature, top_k = self.chars.value(), self.temperature.value(), self.top_k.value()
        self.note.setText("writing…")
        self.background.submit(lambda: model.generate(prompt, length, temperature, top_k, seed=0),
                               self._written, self._failed)

    def _written(self, made: Generated) -> None:
        self.last = made
        self.note.setText(made.note)
        self.output.setPlainText(made.prompt + made.text)

    def _failed(self, message: str) -> None:
        self.note.setText(message)

    def clear(self) -> None:
        self.model = None
        self.last = None
        self.note.setText("")
        self.output.clear()
