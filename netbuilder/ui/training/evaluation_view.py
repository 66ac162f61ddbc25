"""The test-set results: a summary, the confusion matrix, precision and recall per class, and the
samples the network got wrong."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (QGridLayout, QHBoxLayout, QHeaderView, QLabel, QScrollArea,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from ... import glossary
from ...train.evaluate import Evaluation, per_class_table
from .. import theme

PLACEHOLDER = "Train the network: the test-set results appear here when training ends."
COLORMAP = pg.colormap.get("viridis")
THUMB = 56  # px; 8x8 digits scale 7x, 28x28 digits 2x
SHOWN = 32  # misclassified samples in the grid
COLUMNS = 3
MAX_COUNTS = 20  # above this many classes, the cells are too small for their counts


def to_pixmap(image: np.ndarray) -> QPixmap:
    """[C, H, W] (C 1 or 3) or [H, W] floats, stretched to 0..255 per image, scaled up without smoothing."""
    if image.ndim == 3:
        image = image[0] if image.shape[0] == 1 else image.transpose(1, 2, 0)
    low, high = float(image.min()), float(image.max())
    pixels = np.ascontiguousarray((image - low) / (high - low or 1.0) * 255, dtype=np.uint8)
    height, width = pixels.shape[:2]
    fmt = QImage.Format.Format_Grayscale8 if pixels.ndim == 2 else QImage.Format.Format_RGB888
    picture = QImage(pixels.data, width, height, pixels.strides[0], fmt).copy()  # copy: own the pixels
    return QPixmap.fromImage(picture).scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                                             Qt.TransformationMode.FastTransformation)


def as_images(images) -> np.ndarray | None:
    """A numpy [N, C, H, W] or [N, H, W] array, or None when these are not pictures."""
    if images is None:
        return None
    if hasattr(images, "detach"):
        images = images.detach().cpu().numpy()
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 3 or (images.ndim == 4 and images.shape[1] in (1, 3)):
        return images
    return None


class Thumbnail(QLabel):
    """A misclassified test sample; a click asks to look inside the network on it."""
    clicked = Signal(int)

    def __init__(self, index: int):
        super().__init__()
        self.index = index
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.index)
        super().mousePressEvent(event)


class EvaluationView(QWidget):
    sampleRequested = Signal(int)  # a test sample's index: show it in the Inside tab
    def __init__(self):
        super().__init__()
        self.setObjectName("evaluation")
        self.summary = QLabel()
        self.summary.setObjectName("evaluation_summary")
        self.message = QLabel(PLACEHOLDER)
        self.message.setWordWrap(True)
        self.plot = pg.PlotWidget()
        self.plot.setMinimumSize(260, 260)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.plot.invertY(True)  # true class 0 at the top, as a matrix is read
        self.plot.setAspectLocked(True)
        self.image = pg.ImageItem()
        self.plot.addItem(self.image)
        self.counts: list[pg.TextItem] = []
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("evaluation_table")
        self.table.setHorizontalHeaderLabels(["class", "precision", "recall", "support"])
        for column in range(self.table.columnCount()):  # each column in plain words (glossary.py)
            header = self.table.horizontalHeaderItem(column)
            header.setToolTip(glossary.tooltip("evaluation", header.text()))
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.grid_widget = QWidget()
        self.grid = QGridLayout(self.grid_widget)
        self.grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.thumbnails: list[tuple[QLabel, QLabel]] = []  # (picture, caption)
        self.wrong_note = QLabel()
        self.wrong_scroll = QScrollArea()
        self.wrong_scroll.setObjectName("misclassified")
        self.wrong_scroll.setWidgetResizable(True)
        self.wrong_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.wrong_scroll.setWidget(self.grid_widget)
        wrong = QVBoxLayout()
        wrong.addWidget(QLabel("Misclassified test samples (true → predicted):"))
        wrong.addWidget(self.wrong_note)
        wrong.addWidget(self.wrong_scroll, 1)
        self.body = QWidget()
        row = QHBoxLayout(self.body)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.plot, 4)
        row.addWidget(self.table, 3)
        row.addLayout(wrong, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.message)
        layout.addWidget(self.body, 1)
        self._apply_theme()
        self.clear()

    def _apply_theme(self) -> None:
        self.plot.setBackground(theme.canvas_background())
        self.plot.setTitle("confusion matrix", color=theme.text_color())
        self.plot.setLabel("bottom", "predicted")
        self.plot.setLabel("left", "true")
        for axis in ("left", "bottom"):  # setPen recolours the label too, so the text pen comes last
            self.plot.getAxis(axis).setPen(theme.wire_color())
            self.plot.getAxis(axis).setTextPen(theme.text_color())

    def clear(self) -> None:
        self.summary.setText("")
        self.summary.hide()
        self.message.setText(PLACEHOLDER)
        self.message.show()
        self.body.hide()
        self.image.clear()
        self._clear_counts()
        self.table.setRowCount(0)
        self._clear_thumbnails()

    def show_result(self, evaluation: Evaluation, images=None, class_names: list[str] | None = None) -> None:
        self.clear()
        e = evaluation
        text = f"Test set: {e.samples} samples, loss {e.loss:.4g}"
        if e.accuracy is not None:
            text += f", accuracy {e.accuracy:.1%}"
        self.summary.setText(text)
        self.summary.show()
        if e.confusion is None:
            self.message.setText("Regression: there are no classes to tabulate, only the loss." if e.accuracy is None
                                 else "No table of classes for this run (a language model's answers are characters at"
                                 " every position): the loss, in nats per character, and the accuracy say how it did.")
            return
        self.message.hide()
        self.body.show()
        classes = len(e.confusion)
        names = list(class_names or [])[:classes] + [str(i) for i in range(len(class_names or []), classes)]
        self._show_confusion(e.confusion, names)
        self._show_table(e, names)
        self._show_misclassified(e, as_images(images), names)

    def _show_confusion(self, confusion: np.ndarray, names: list[str]) -> None:
        classes, top = len(confusion), max(1, int(confusion.max()))
        self.image.setImage(confusion.T.astype(float), levels=(0, top))  # ImageItem indexes [x, y]
        self.image.setColorMap(COLORMAP)
        self.image.setRect(QRectF(-0.5, -0.5, classes, classes))  # cells centred on their ticks
        short = all(len(name) <= 3 for name in names)  # long names would overlap under the columns
        bottom = names if short else [str(i) for i in range(classes)]
        left = names if short else [f"{name} {i}" for i, name in enumerate(names)]
        self.plot.getAxis("bottom").setTicks([list(enumerate(bottom))])
        self.plot.getAxis("left").setTicks([list(enumerate(left))])
        if classes <= MAX_COUNTS:
            for true in range(classes):
                for said in range(classes):
                    count = int(confusion[true, said])
                    bright = count / top > 0.6  # viridis turns yellow at the top: dark text there
                    color = (20, 20, 20) if bright else (235, 235, 235, 255 if count else 90)  # zeros faint
                    item = pg.TextItem(str(count), color=color, anchor=(0.5, 0.5))
                    item.setPos(said, true)
                    self.plot.addItem(item)
                    self.counts.append(item)
        self.plot.setRange(xRange=(-0.5, classes - 0.5), yRange=(-0.5, classes - 0.5), padding=0)

    def _show_table(self, e: Evaluation, names: list[str]) -> None:
        rows = per_class_table(e)
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            cells = [names[row["class"]], f"{row['precision']:.3f}", f"{row['recall']:.3f}", str(row["support"])]
            for c, cell in enumerate(cells):
                item = QTableWidgetItem(cell)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)  # read-only
                if c:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        frame = 2 * self.table.frameWidth() + self.table.verticalScrollBar().sizeHint().width()
        self.table.setMinimumWidth(self.table.horizontalHeader().length() + frame)  # no elided numbers

    def _show_misclassified(self, e: Evaluation, images: np.ndarray | None, names: list[str]) -> None:
        if images is None:
            self.wrong_note.setText("Not an image dataset.")
        elif not e.misclassified:
            self.wrong_note.setText("No misclassified samples.")
        else:
            wrong = int(e.confusion.sum() - np.trace(e.confusion))
            self.wrong_note.setText(f"{min(SHOWN, len(e.misclassified))} of {wrong} shown")
        self.wrong_scroll.setVisible(images is not None and bool(e.misclassified))
        if images is None:
            return
        shown = list(zip(e.misclassified, e.labels, e.predictions))[:SHOWN]
        for n, (index, true, said) in enumerate(shown):
            picture = Thumbnail(int(index))
            picture.setPixmap(to_pixmap(images[index]))
            picture.setToolTip(f"test sample {index}: click to see why the network said {names[said]}")
            picture.clicked.connect(self.sampleRequested)
            gap = " " if len(names[true] + names[said]) <= 8 else "\n"  # long names: two lines, not wide
            caption = QLabel(f"true {names[true]}{gap}→ {names[said]}")
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.grid.addWidget(picture, 2 * (n // COLUMNS), n % COLUMNS, Qt.AlignmentFlag.AlignHCenter)
            self.grid.addWidget(caption, 2 * (n // COLUMNS) + 1, n % COLUMNS, Qt.AlignmentFlag.AlignHCenter)
            self.thumbnails.append((picture, caption))
        frame = 2 * self.wrong_scroll.frameWidth() + self.wrong_scroll.verticalScrollBar().sizeHint().width()
        self.wrong_scroll.setMinimumWidth(self.grid_widget.sizeHint().width() + frame)  # all columns, no sideways scroll

    def _clear_counts(self) -> None:
        for item in self.counts:
            self.plot.removeItem(item)
        self.counts.clear()

    def _clear_thumbnails(self) -> None:
        for picture, caption in self.thumbnails:
            for label in (picture, caption):
                self.grid.removeWidget(label)
                label.deleteLater()
        self.thumbnails.clear()
