"""The Inside tab: a run's network looked at on one input. The input is a test sample, a drawing (for a
network of one-channel images), an image or array file, or a row of numbers typed or pasted. The tab says
what the network answers (its top three classes, its values, or its reconstruction), which parts of the
input drove the answer (Captum's saliency, Integrated Gradients or Grad-CAM), what a chosen layer made of
the input (feature maps, values over time, attention), the layer's weights (filters as images), and the
histograms of its weights, activations and gradients over the epochs. The weights come from the run's
checkpoint, once the run has ended; the histograms are drawn while it trains."""
from __future__ import annotations

import math

import torch
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QFileDialog, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QSpinBox, QStackedWidget, QVBoxLayout, QWidget)

from ... import glossary
from ...errors import UserError
from ...insight.layer_stats import KINDS
from ...insight.probes import ATTRIBUTIONS
from ...deploy.predict import as_trained, read_inputs, row_values, weights_of
from ..background import Background
from .draw_pad import DrawPad
from .inside_look import Look, Looker
from .inside_pictures import input_rgb, rgb_pixmap
from .curves import scrolled
from .ridge import RidgePlot

SIZE = 180  # pixels of each picture
METHODS = {"saliency": "Saliency (gradient size)", "ig": "Integrated Gradients", "gradcam": "Grad-CAM"}
SOURCES = {"test": "A test sample", "draw": "A drawing", "file": "A file…", "row": "A row of numbers"}


class InsideView(QWidget):
    looked = Signal()  # what was asked for is shown

    def __init__(self):
        super().__init__()
        self.state = None
        self._file: tuple[str, torch.Tensor, bool] | None = None  # an opened file's samples
        self._file_problem = ""  # or why it could not be read
        self._wanted = ""  # the layer selected on the canvas
        self._graph = None  # (checkpoint key, the run's graph)
        self._checkpoint = None  # (key, path) of the run's weights, or None: self._problem says why
        self._problem = ""
        self._shape: tuple[int, ...] | None = None  # the Input's shape
        self._looker = Looker()  # the network, on the pool thread
        self.background = Background(self)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.answer = QLabel()
        self.answer.setObjectName("inside_answer")
        self.answer.setWordWrap(True)
        self.source = QComboBox()
        self.sample = QSpinBox()
        self.sample.setPrefix("sample ")
        self.open = QPushButton("Open…")
        self.row = QLineEdit()
        self.row.setPlaceholderText("numbers separated by commas or spaces, as in a row of a CSV file")
        self.clear = QPushButton("Clear")
        self.method = QComboBox()
        for key in ATTRIBUTIONS:
            self.method.addItem(METHODS.get(key, key), key)
            self.method.setItemData(self.method.count() - 1, glossary.tooltip("attribution", key, METHODS.get(key)),
                                    Qt.ItemDataRole.ToolTipRole)
        self.method.setToolTip("How the picture beside explains the answer: hover a choice for what it shows")
        self.layer = QComboBox()
        self.kind = QComboBox()
        self.kind.addItems(KINDS)
        self.pad = DrawPad(SIZE)
        self.pictures = [QLabel() for _ in range(4)]
        self.input_stack = QStackedWidget()
        self.input_stack.addWidget(self.pictures[0])
        self.input_stack.addWidget(self.pad)
        self.input_stack.setFixedSize(SIZE, SIZE)
        self.captions = [QLabel(text) for text in ("the input", "what drove the answer", "what the layer made of it",
                                                   "the layer's weights")]
        self.ridge = RidgePlot()
        self.ridge.setMinimumHeight(160)
        self.ridge_message = QLabel()
        self._lay_out()
        for signal in (self.sample.valueChanged, self.method.currentIndexChanged, self.layer.currentIndexChanged,
                       self.pad.changed, self.row.editingFinished):
            signal.connect(self.redraw)
        self.source.currentIndexChanged.connect(self._source_changed)
        self.kind.currentIndexChanged.connect(self.draw_histograms)
        self.open.clicked.connect(self._open_file)
        self.clear.clicked.connect(self.pad.clear)

    def _lay_out(self) -> None:
        inputs = QHBoxLayout()
        for widget in (QLabel("Input:"), self.source, self.sample, self.open, self.row, self.clear):
            inputs.addWidget(widget)
        inputs.addStretch(1)
        grid = QGridLayout()
        for column, caption in enumerate(self.captions):
            grid.addWidget(caption, 0, column)
        grid.addWidget(self.input_stack, 1, 0)
        for column, picture in enumerate(self.pictures[1:], 1):
            picture.setFixedSize(SIZE, SIZE)
            picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
            picture.setWordWrap(True)
            grid.addWidget(picture, 1, column)
        self.pictures[0].setAlignment(Qt.AlignmentFlag.AlignCenter)
        grid.addWidget(self.method, 2, 1)
        grid.addWidget(self.layer, 2, 2)
        grid.setColumnStretch(4, 1)
        ridge_bar = QHBoxLayout()
        ridge_bar.addWidget(QLabel("Over the epochs, the layer's"))
        ridge_bar.addWidget(self.kind)
        ridge_bar.addWidget(self.ridge_message, 1)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addWidget(self.message)
        layout.addLayout(inputs)
        layout.addWidget(self.answer)
        layout.addLayout(grid)
        layout.addLayout(ridge_bar)
        layout.addWidget(self.ridge, 1)
        scrolled(self, content)

    # ---- what is shown --------------------------------------------------------------------------
    def show_run(self, state) -> None:
        self.state = state
        if state is not None and state.samples is None and not state.running:
            state.samples = state.run.read_samples()  # a run from disk: the samples it kept
        self._load()
        self.redraw()

    def forget(self) -> None:
        """The window shows another document: nothing of the one before (its layer selected on the canvas, its
        network's layers, a file opened for it) stays in the tab."""
        self._wanted, self._graph, self._checkpoint, self._shape = "", None, None, None
        self._file, self._file_problem = None, ""
        self.layer.blockSignals(True)
        self.layer.clear()
        self.layer.blockSignals(False)
        self.ridge_message.clear()
        if self.background.busy:  # a look at the one before still runs: a newer (empty) request drops its answer
            self.background.submit(lambda: None, lambda _: None, lambda _: None)

    def select_layer(self, name: str) -> None:
        """Show this layer (selected on the canvas), when the run's network has it."""
        self._wanted = name
        index = self.layer.findText(name)
        if index >= 0 and index != self.layer.currentIndex():
            self.layer.setCurrentIndex(index)
        self.draw_histograms()

    def show_test_sample(self, index: int) -> None:
        """This test sample (a misclassified one clicked in the Test set tab)."""
        found = self.source.findData("test")
        if found >= 0:
            self.source.setCurrentIndex(found)
        self.sample.setValue(index)

    def _load(self) -> None:
        """The run's checkpoint and input shape (the network is read on the pool thread), and the sources."""
        state = self.state
        self._checkpoint = None
        if state is None or state.running:
            return
        try:
            path = weights_of("", str(state.run.folder), None, "the Inside tab")
            key = (state.id, path, path.stat().st_mtime)
            if self._graph is None or self._graph[0] != key:
                self._graph, self._file = (key, state.run.graph()), None
            self._checkpoint = (key, path)
        except (UserError, OSError) as e:
            self._problem = str(e)
            return
        inputs = [n for n in self._graph[1].nodes() if n.type == "Input"]
        self._shape = tuple(inputs[0].params.get("shape", ())) if len(inputs) == 1 else None
        shape = self._shape
        sources = [k for k in SOURCES if k != "test" or (state.samples or {}).get("inputs") is not None]
        if shape is None or len(shape) != 3 or shape[0] != 1:
            sources.remove("draw")  # drawing is for one-channel images
        if [self.source.itemData(i) for i in range(self.source.count())] != sources:
            self.source.blockSignals(True)
            self.source.clear()
            for key in sources:
                self.source.addItem(SOURCES[key], key)
            self.source.blockSignals(False)
        if shape is not None and len(shape) == 3:
            self.pad.set_resolution(shape[1], shape[2])
        self._show_source()

    def _source_changed(self, *_) -> None:
        self._show_source()
        self.redraw()

    def _show_source(self) -> None:
        source = self.source.currentData()
        tests = (self.state.samples or {}).get("inputs") if self.state else None
        count = {"test": 0 if tests is None else len(tests), "file": len(self._file[1]) if self._file else 0}.get(
            source, 1)
        self.sample.blockSignals(True)
        self.sample.setRange(0, max(0, count - 1))
        self.sample.blockSignals(False)
        self.sample.setVisible(source in ("test", "file") and count > 1)
        self.open.setVisible(source == "file")
        self.row.setVisible(source == "row")
        self.clear.setVisible(source == "draw")
        self.input_stack.setCurrentIndex(1 if source == "draw" else 0)

    def show_given(self, label: str, samples: torch.Tensor) -> None:
        """These samples [N, ...] in the data's own units (not normalised), as if opened from a file."""
        shape = self._shape or tuple(samples.shape[1:])
        if samples[0].numel() != math.prod(shape):
            self._file, self._file_problem = None, f"{label} is {list(samples.shape[1:])}; the network takes {list(shape)}"
        else:
            self._file, self._file_problem = (label, samples.reshape(len(samples), *shape), False), ""
        found = self.source.findData("file")
        if found >= 0 and found != self.source.currentIndex():
            self.source.setCurrentIndex(found)  # (redraws)
        else:
            self._source_changed()

    def _open_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open an input", "",
                                              "Images, arrays or CSV (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff"
                                              " *.webp *.npy *.npz *.csv *.txt);;All files (*)")
        if path:
            self.open_path(path)

    def open_path(self, path: str) -> None:
        """Feed the network the samples of an image, array or CSV file (a wrong shape is said in the tab)."""
        try:
            self._file = read_inputs([path], self._shape or ())[0]
            self._file_problem = ""
        except UserError as e:
            self._file, self._file_problem = None, str(e)
        self._source_changed()

    def _input(self) -> tuple[torch.Tensor, torch.Tensor] | str:
        """(the sample as the network takes it [1, ...], as it is shown), or why there is none."""
        source, samples, shape = self.source.currentData(), self.state.samples, self._shape
        if source == "test":
            x = samples["inputs"][self.sample.value():self.sample.value() + 1]
            return x, x[0]
        if source == "draw":
            drawn = self.pad.drawing()
            return as_trained(drawn.unsqueeze(0), samples, True), drawn
        if source == "file":
            if self._file is None:
                return self._file_problem or "Open an image, a .npy/.npz array or a CSV file."
            label, x, scaled = self._file
            one = x[self.sample.value():self.sample.value() + 1]
            return as_trained(one, samples, scaled), one[0]
        try:
            x = row_values(self.row.text(), shape or (), "the row")
        except UserError as e:
            return str(e)
        if x is None:
            return f"Type or paste {math.prod(shape or ())} numbers, the way a row of the data looks."
        return as_trained(x, samples, False), x[0]

    def _why_not(self) -> str | None:
        state = self.state
        if state is None:
            return "Train the network to look inside it."
        if state.running:
            return (f"{state.run.name} is training: its histograms grow below each epoch; the network itself can be"
                    " looked inside when the run ends.")
        if self._checkpoint is None:
            return f"Cannot look inside {state.run.name}: {self._problem or 'no checkpoint'}"
        if self._shape is None:
            return f"{state.run.name}'s network has several Inputs: Inside looks at networks of one Input."
        return None

    def redraw(self, *_) -> None:
        """Say why nothing is shown, or show the input now and ask the pool thread for the rest."""
        reason = self._why_not()
        shown = reason is None
        for widget in (self.answer, self.input_stack, *self.pictures[1:], *self.captions, self.source, self.method,
                       self.layer):
            widget.setVisible(shown)
        if not shown:
            for widget in (self.sample, self.open, self.row, self.clear):
                widget.setVisible(False)
        self.message.setText(reason or f"{self.state.run.name}: pick an input, how to explain the answer, and a"
                                       " layer to see (or select it on the canvas).")
        self.draw_histograms()
        if not shown:
            return
        found = self._input()
        if isinstance(found, str):
            self.answer.setText(found)
            for picture in self.pictures:
                picture.clear()
            return
        x, plain = found
        self.pictures[0].setPixmap(rgb_pixmap(input_rgb(plain), SIZE))
        (key, path), graph = self._checkpoint, self._graph[1]
        layer = self.layer.currentText() or self._wanted
        method, samples = self.method.currentData(), self.state.samples
        loss = str(self.state.run.settings.get("loss", "cross_entropy"))
        looker = self._looker

        def work():
            return looker.look(looker.model(key, graph, path), x, layer, method, samples, loss)
        self.answer.setText(self.answer.text() or "…")
        self.background.submit(work, self._show_look, self._failed)

    def _failed(self, message: str) -> None:
        self.answer.setText(f"Cannot look inside {self.state.run.name if self.state else 'the run'}: {message}")

    def _show_look(self, look: Look) -> None:
        if [self.layer.itemText(i) for i in range(self.layer.count())] != look.layers:
            self.layer.blockSignals(True)
            self.layer.clear()
            self.layer.addItems(look.layers)
            self.layer.blockSignals(False)
        if self.layer.currentText() != look.layer:
            self.layer.blockSignals(True)
            self.layer.setCurrentText(look.layer)
            self.layer.blockSignals(False)
            self.draw_histograms()
        self.answer.setText(look.answer)
        self.method.setVisible(not look.reconstruction)
        for caption, text in zip(self.captions[1:], look.captions):
            caption.setText(text)
        for picture, shown, tip in zip(self.pictures[1:], look.pictures, look.tips):
            if isinstance(shown, str):
                picture.clear()
                picture.setText(shown)
            else:
                picture.setPixmap(rgb_pixmap(shown, SIZE))
            picture.setToolTip(tip)
        self.looked.emit()

    def draw_histograms(self, *_) -> None:
        """The chosen layer's histograms over the epochs (while it trains too: the layer selected on the
        canvas, else the first that has them)."""
        stats = self.state.layer_stats if self.state is not None else {}
        kind = self.kind.currentText()
        layer = self.layer.currentText() if self.layer.isVisible() else self._wanted
        if (layer, kind) not in stats:
            layer = next((name for name, k in stats if k == kind), layer)
        histograms = stats.get((layer, kind), [])
        self.ridge.setVisible(bool(histograms))
        if not histograms:
            self.ridge_message.setText(f"— no {kind} of '{layer}' yet: they are taken once an epoch while a run"
                                       " trains in this session" if layer else "")
            return
        self.ridge_message.setText(f"{kind} of {layer}, epochs {histograms[0].epoch} to {histograms[-1].epoch}")
        self.ridge.show_histograms(histograms, f"{layer} {kind}")
