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
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QFileDialog, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QSpinBox, QStackedWidget, QVBoxLayout, QWidget)

from ...errors import UserError
from ...train.callbacks.layer_stats import KINDS
from ...train.insight import ATTRIBUTIONS, InsightError, attribution, layer_outputs, top_classes
from ...train.predict import as_trained, heat_rgb, read_inputs, row_values, trained_model, weights_of
from .draw_pad import DrawPad
from .inside_pictures import heat, input_rgb, output_rgb, rgb_pixmap, weights_rgb
from .ridge import RidgePlot

SIZE = 180  # pixels of each picture
METHODS = {"saliency": "Saliency (gradient size)", "ig": "Integrated Gradients", "gradcam": "Grad-CAM"}
SOURCES = {"test": "A test sample", "draw": "A drawing", "file": "A file…", "row": "A row of numbers"}
CLASSIFIES = ("cross_entropy", "nll", "bce_with_logits")


class InsideView(QWidget):
    def __init__(self):
        super().__init__()
        self.state = None
        self._model = None  # (run id, checkpoint, time) and the model, or an error
        self._file: tuple[str, torch.Tensor, bool] | None = None  # an opened file's samples
        self._file_problem = ""  # or why it could not be read
        self._wanted = ""  # the layer selected on the canvas
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
        self.row.setPlaceholderText("numbers separated by commas, as in a row of a CSV file")
        self.clear = QPushButton("Clear")
        self.method = QComboBox()
        for key in ATTRIBUTIONS:
            self.method.addItem(METHODS.get(key, key), key)
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
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addLayout(inputs)
        layout.addWidget(self.answer)
        layout.addLayout(grid)
        layout.addLayout(ridge_bar)
        layout.addWidget(self.ridge, 1)

    # ---- what is shown --------------------------------------------------------------------------
    def show_run(self, state) -> None:
        self.state = state
        if state is not None and state.samples is None and not state.running:
            state.samples = state.run.read_samples()  # a run from disk: the samples it kept
        self._load()
        self.redraw()

    def select_layer(self, name: str) -> None:
        """Show this layer (selected on the canvas), when the run's network has it."""
        self._wanted = name
        index = self.layer.findText(name)
        if index >= 0:
            self.layer.setCurrentIndex(index)
        self.draw_histograms()

    def show_test_sample(self, index: int) -> None:
        """This test sample (a misclassified one clicked in the Test set tab)."""
        found = self.source.findData("test")
        if found >= 0:
            self.source.setCurrentIndex(found)
        self.sample.setValue(index)

    def _shape(self) -> tuple[int, ...] | None:
        nodes = [n for n in self.state.run.graph().nodes() if n.type == "Input"] if self.state else []
        return tuple(nodes[0].params.get("shape", ())) if len(nodes) == 1 else None

    def _load(self) -> None:
        """The run's trained network (once per run and checkpoint), its layers and the input sources."""
        state = self.state
        if state is None or state.running:
            return
        try:
            path = weights_of("", str(state.run.folder), None)
            key = (state.id, path, path.stat().st_mtime)
            if self._model is None or self._model[0] != key:
                self._model = (key, trained_model(state.run.graph(), path))
                self._file = None
        except (UserError, OSError) as e:
            self._model = (None, str(e))
            return
        model, shape = self._model[1], self._shape()
        names = [name for name, _ in model.named_children()]
        if [self.layer.itemText(i) for i in range(self.layer.count())] != names:
            self.layer.blockSignals(True)
            self.layer.clear()
            self.layer.addItems(names)
            convs = [n for n, m in model.named_children() if isinstance(m, (torch.nn.Conv1d, torch.nn.Conv2d))]
            wanted = self._wanted
            self.layer.setCurrentIndex(names.index(wanted) if wanted in names else names.index(convs[0]) if convs
                                       else 0)
            self.layer.blockSignals(False)
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
        self._source_changed()

    def _source_changed(self, *_) -> None:
        source = self.source.currentData()
        tests = (self.state.samples or {}).get("inputs") if self.state else None
        count = {"test": 0 if tests is None else len(tests), "file": len(self._file[1]) if self._file else 0}.get(source, 1)
        self.sample.blockSignals(True)
        self.sample.setRange(0, max(0, count - 1))
        self.sample.blockSignals(False)
        self.sample.setVisible(source in ("test", "file") and count > 1)
        self.open.setVisible(source == "file")
        self.row.setVisible(source == "row")
        self.clear.setVisible(source == "draw")
        self.input_stack.setCurrentIndex(1 if source == "draw" else 0)
        self.redraw()

    def _open_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open an input", "",
                                              "Images, arrays or CSV (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff"
                                              " *.webp *.npy *.npz *.csv *.txt);;All files (*)")
        if path:
            self.open_path(path)

    def open_path(self, path: str) -> None:
        """Feed the network the samples of an image, array or CSV file (a wrong shape is said in the tab)."""
        try:
            self._file = read_inputs([path], self._shape() or ())[0]
            self._file_problem = ""
        except UserError as e:
            self._file, self._file_problem = None, str(e)
        self._source_changed()

    def _input(self) -> tuple[torch.Tensor, torch.Tensor] | str:
        """(the sample as the network takes it [1, ...], as it is shown), or why there is none."""
        source, samples, shape = self.source.currentData(), self.state.samples, self._shape()
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
        if self._model is None or isinstance(self._model[1], str):
            return f"Cannot look inside {state.run.name}: {self._model[1] if self._model else 'no checkpoint'}"
        if self._shape() is None:
            return f"{state.run.name}'s network has several Inputs: Inside looks at networks of one Input."
        return None

    def redraw(self, *_) -> None:
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
        model = self._model[1]
        try:
            self._answer(model, x)
        except (RuntimeError, ValueError) as e:  # an input the network cannot take
            self.answer.setText(f"The network cannot take this input: {str(e).splitlines()[0]}")
            return
        layer = self.layer.currentText()
        outputs = layer_outputs(model, (x,), [layer])
        attention = outputs.get(f"{layer}.attention")
        out = attention if attention is not None else outputs.get(layer)
        if out is not None:
            self.pictures[2].setPixmap(rgb_pixmap(heat(out[0]) if attention is not None else output_rgb(out[0]), SIZE))
            what = "attention (row: a position; column: where it looked)" if f"{layer}.attention" in outputs \
                else f"output {list(out.shape[1:])}"
            self.pictures[2].setToolTip(f"{layer}: {what}")
            self.captions[2].setText(f"what {layer} made of it" if "attention" not in what else f"{layer}'s attention")
        # its weights: `weight`, else its first matrix (a recurrent layer's input weights, weight_ih_l0)
        named = [(n, p) for n, p in model.get_submodule(layer).named_parameters() if p.dim() >= 2] if layer else []
        name, weight = next(((n, p) for n, p in named if n == "weight"), named[0] if named else (None, None))
        weights = weights_rgb(weight) if weight is not None else None
        if weights is not None:
            self.pictures[3].setPixmap(rgb_pixmap(weights, SIZE))
            self.pictures[3].setToolTip(f"{layer}.{name} {list(weight.shape)}")
        else:
            self.pictures[3].clear()
            self.pictures[3].setText(f"{layer} has no weights to show")

    def _answer(self, model, x: torch.Tensor) -> None:
        """The answer line, and the second picture: an attribution, or the reconstruction of an autoencoder."""
        samples = self.state.samples or {}
        with torch.no_grad():
            out = model(x)
        out = out[0] if isinstance(out, tuple) else out
        if out.numel() == x.numel() and out.dim() > 2:  # an autoencoder: its reconstruction
            difference = torch.mean((out.reshape(x.shape) - x) ** 2).item()
            self.answer.setText(f"The network's reconstruction of the input (mean squared difference {difference:.4g})")
            self.captions[1].setText("its reconstruction")
            self.pictures[1].setPixmap(rgb_pixmap(input_rgb(out[0]), SIZE))
            self.method.setVisible(False)
            return
        self.captions[1].setText("what drove the answer")
        classifies = samples.get("task") == "classification" or (
            samples.get("task") is None and self.state.run.settings.get("loss", "cross_entropy") in CLASSIFIES)
        if not classifies:
            values = ", ".join(f"{v:.4g}" for v in out.reshape(-1)[:8].tolist())
            self.answer.setText(f"The network gives <b>{values}</b>")
            target = 0
        else:
            names = samples.get("classes") or []
            answers = top_classes(model, x, 3)[0]
            self.answer.setText("The network says " + ", ".join(
                f"<b>{names[c] if c < len(names) else c}</b> ({p:.1%})" for c, p in answers))
            target = answers[0][0]
        try:
            heat = attribution(model, x, target, self.method.currentData())[0]
            self.pictures[1].setPixmap(rgb_pixmap(heat_rgb(heat, x[0]), SIZE))
        except InsightError as e:
            self.pictures[1].clear()
            self.pictures[1].setText(str(e))

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
