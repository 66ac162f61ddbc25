"""The Inside tab: a finished run's network looked at on one test image. It says what the network answers
(its top three classes), which pixels drove that answer (Captum's saliency, Integrated Gradients or
Grad-CAM, over the image) and what a chosen layer made of the image (its feature maps, or its values as
bars). The weights come from the run's checkpoint, so what is shown is what the run learnt."""
from __future__ import annotations

import numpy as np
import torch
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from ...errors import UserError
from ...train.insight import ATTRIBUTIONS, InsightError, attribution, layer_outputs, square, top_classes
from ...train.predict import heat_rgb, trained_model, weights_of

SIZE = 220  # pixels of each picture
MAPS = 16  # feature maps shown at most
METHODS = {"saliency": "Saliency (gradient size)", "ig": "Integrated Gradients", "gradcam": "Grad-CAM"}


def rgb_pixmap(rgb: np.ndarray, size: int = SIZE) -> QPixmap:
    """RGB [H, W, 3] in 0..1 as a pixmap scaled up without smoothing."""
    pixels = np.ascontiguousarray((np.clip(rgb, 0, 1) * 255).astype(np.uint8))
    image = QImage(pixels.data, pixels.shape[1], pixels.shape[0], pixels.strides[0], QImage.Format.Format_RGB888)
    return QPixmap.fromImage(image.copy()).scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                                                  Qt.TransformationMode.FastTransformation)


def grey(x: torch.Tensor) -> np.ndarray:
    """[C, H, W] or [H, W] stretched to 0..1 as RGB."""
    x = x.float().mean(0) if x.dim() == 3 else x.float()
    x = (x - x.min()) / (x.max() - x.min()).clamp_min(1e-12)
    return np.repeat(x.numpy()[..., None], 3, 2)


def maps_rgb(out: torch.Tensor) -> np.ndarray:
    """A layer's output for one sample as a picture: feature maps [C, H, W] tiled, each stretched on its own
    (dark is low), or a vector drawn as a strip of cells."""
    if out.dim() == 3:
        count = min(MAPS, out.shape[0])
        rows, columns = square(count)
        h, w = out.shape[1:]
        picture = np.ones((rows * (h + 1), columns * (w + 1), 3), dtype=np.float32)
        for i in range(count):
            r, c = divmod(i, columns)
            picture[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = grey(out[i])
        return picture
    values = out.reshape(-1)[:256]
    rows, columns = square(len(values))
    cells = torch.zeros(rows * columns)
    cells[:len(values)] = values
    return grey(cells.reshape(rows, columns))


class InsideView(QWidget):
    def __init__(self):
        super().__init__()
        self.state = None
        self._model = None  # (run id, checkpoint, model)
        self.sample = QSpinBox()
        self.sample.setPrefix("test image ")
        self.method = QComboBox()
        for key in ATTRIBUTIONS:
            self.method.addItem(METHODS.get(key, key), key)
        self.layer = QComboBox()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.answer = QLabel()
        self.answer.setObjectName("inside_answer")
        self.pictures = [QLabel() for _ in range(3)]
        captions = ["the image", "what drove the answer", "what the layer made of it"]
        grid = QGridLayout()
        for column, (picture, caption) in enumerate(zip(self.pictures, captions)):
            picture.setFixedSize(SIZE, SIZE)
            picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
            grid.addWidget(QLabel(caption), 0, column)
            grid.addWidget(picture, 1, column)
        grid.addWidget(self.sample, 2, 0)
        grid.addWidget(self.method, 2, 1)
        grid.addWidget(self.layer, 2, 2)
        grid.setColumnStretch(3, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(self.answer)
        layout.addLayout(grid)
        layout.addStretch(1)
        self.sample.valueChanged.connect(self.redraw)
        self.method.currentIndexChanged.connect(self.redraw)
        self.layer.currentIndexChanged.connect(self.redraw)

    def show_run(self, state) -> None:
        self.state = state
        self._load()
        self.redraw()

    def select_layer(self, name: str) -> None:
        """Show this layer (selected on the canvas), when the run's network has it."""
        index = self.layer.findText(name)
        if index >= 0:
            self.layer.setCurrentIndex(index)

    def _load(self) -> None:
        """The run's trained network (once per run and checkpoint), and its layers in the layer box."""
        state = self.state
        if state is None or state.running or state.test_inputs is None:
            return
        try:
            path = weights_of("", str(state.run.folder), None)
            key = (state.id, path, path.stat().st_mtime)
            if self._model is None or self._model[0] != key:
                self._model = (key, trained_model(state.run.graph(), path))
        except (UserError, OSError) as e:
            self._model = (None, str(e))
            return
        model = self._model[1]
        names = [name for name, _ in model.named_children()]
        if [self.layer.itemText(i) for i in range(self.layer.count())] != names:
            self.layer.blockSignals(True)
            self.layer.clear()
            self.layer.addItems(names)
            convs = [n for n, m in model.named_children() if isinstance(m, (torch.nn.Conv1d, torch.nn.Conv2d))]
            self.layer.setCurrentIndex(names.index(convs[0]) if convs else 0)
            self.layer.blockSignals(False)
        self.sample.blockSignals(True)
        self.sample.setRange(0, len(state.test_inputs) - 1)
        self.sample.blockSignals(False)

    def _why_not(self) -> str | None:
        state = self.state
        if state is None:
            return "Train the network to look inside it."
        if state.running:
            return f"{state.run.name} is training: its network can be looked inside when the run ends."
        if state.test_inputs is None:
            return ("Inside shows a run trained on images in this session: train (or resume) this run to look"
                    " inside it.")
        if self._model is None or isinstance(self._model[1], str):
            return f"Cannot look inside {state.run.name}: {self._model[1] if self._model else 'no checkpoint'}"
        return None

    def redraw(self, *_) -> None:
        reason = self._why_not()
        for widget in (self.answer, *self.pictures, self.sample, self.method, self.layer):
            widget.setVisible(reason is None)
        self.message.setText(reason or f"{self.state.run.name}: pick a test image, how to explain the answer,"
                                       " and a layer to see.")
        if reason is not None:
            return
        model, x = self._model[1], self.state.test_inputs[self.sample.value():self.sample.value() + 1]
        names = self.state.class_names or []
        answers = top_classes(model, x, 3)[0]
        self.answer.setText("The network says " + ", ".join(
            f"<b>{names[c] if c < len(names) else c}</b> ({p:.1%})" for c, p in answers))
        self.pictures[0].setPixmap(rgb_pixmap(grey(self.state.test_images[self.sample.value()])))
        try:
            heat = attribution(model, x, answers[0][0], self.method.currentData())[0]
            self.pictures[1].setPixmap(rgb_pixmap(heat_rgb(heat, x[0])))
            self.pictures[1].setToolTip("")
        except InsightError as e:
            self.pictures[1].clear()
            self.pictures[1].setText(str(e))
            self.pictures[1].setWordWrap(True)
        layer = self.layer.currentText()
        out = layer_outputs(model, (x,), [layer]).get(layer)
        if out is not None:
            self.pictures[2].setPixmap(rgb_pixmap(maps_rgb(out[0])))
            some = f", the first {MAPS} maps" if out.dim() == 4 and out.shape[1] > MAPS else ""
            self.pictures[2].setToolTip(f"{layer}: output {list(out.shape[1:])}{some}")
