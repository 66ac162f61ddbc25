"""A look at a dataset: an image grid with labels, a table, or sequence plots; the class balance
as a bar chart. A sample clicked in the grid (or a row double-clicked) is offered to the Inside tab."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import torch
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPlainTextEdit, QStackedWidget, QTableWidget, QTableWidgetItem, QWidget

from ..data.dataset import Prepared
from . import theme

GRID = 8  # an 8 x 4 grid of sample images
ROWS = 50  # rows shown of a table


def _styled(plot: pg.PlotWidget) -> pg.PlotWidget:
    plot.setBackground(theme.canvas_background())
    plot.setTitle(plot.plotItem.titleLabel.text, color=theme.text_color())
    for axis in ("left", "bottom"):
        plot.getAxis(axis).setPen(theme.wire_color())
        plot.getAxis(axis).setTextPen(theme.text_color())
    return plot


def mosaic(x: torch.Tensor, columns: int, pad: int = 2) -> np.ndarray:
    """Images [N, C, H, W] (values 0..1, C 1 or 3) as one RGB picture, `columns` wide, for an
    ImageItem (x first)."""
    count = len(x)
    c, h, w = x.shape[1:]
    rows = max(1, -(-count // columns))
    tiles = x.detach().float().clamp(0, 1).cpu().numpy()
    picture = np.ones((rows * (h + pad), columns * (w + pad), 3), dtype=np.float32)
    for i in range(count):
        r, col = divmod(i, columns)
        tile = np.repeat(tiles[i], 3, 0) if c == 1 else tiles[i][:3]
        picture[r * (h + pad):r * (h + pad) + h, col * (w + pad):col * (w + pad) + w] = tile.transpose(1, 2, 0)
    return picture.transpose(1, 0, 2)


class DataPreview(QWidget):
    sampleChosen = Signal(object)  # a sample clicked in the grid or double-clicked in the table [1, ...]

    def __init__(self):
        super().__init__()
        self._shown = None  # the samples in the grid or table, and the grid's tile size
        self.samples = QStackedWidget()
        self.images = _styled(pg.PlotWidget(title="samples"))
        self.images.setAspectLocked(True)
        self.images.invertY(True)
        self.images.hideAxis("left")
        self.images.hideAxis("bottom")
        self.mosaic = pg.ImageItem()
        self.images.addItem(self.mosaic)
        self.labels: list[pg.TextItem] = []
        self.table = QTableWidget()
        self.table.setObjectName("data_table")
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.sequences = _styled(pg.PlotWidget(title="samples over time"))
        self.sequences.setLabel("bottom", "step")
        self.scatter = _styled(pg.PlotWidget(title="samples (x1 against x2), coloured by class"))
        self.points = pg.ScatterPlotItem(size=5, pen=None)
        self.scatter.addItem(self.points)
        self.text = QPlainTextEdit()  # a text dataset's first windows, as text
        self.text.setReadOnly(True)
        self.text.setObjectName("data_text")
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        for w in (self.images, self.table, self.sequences, self.scatter, self.text):
            self.samples.addWidget(w)
        self.images.scene().sigMouseClicked.connect(self._image_clicked)
        self.table.cellDoubleClicked.connect(lambda row, _: self._choose(row))
        self.balance = _styled(pg.PlotWidget(title="samples per class (train)"))
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush=(38, 139, 210))
        self.balance.addItem(self.bars)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.samples, 3)
        layout.addWidget(self.balance, 2)

    def show_data(self, prepared: Prepared) -> None:
        raw = prepared.raw
        if raw.kind == "text":
            self._text(prepared)
            return
        x, y = prepared.shown(prepared.train[0]), prepared.train[1]
        mixed = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))[:2000]  # not one class only
        x, y_all, y = x[mixed], y, y[mixed]
        if raw.kind == "image":
            self._images(x, y, raw.class_names if raw.task == "classification" else None, raw.task)
        elif raw.kind == "sequence":
            self._sequences(x)
        elif x.shape[1] == 2 and raw.task == "classification":
            self._points(x, y)
        else:
            self._table(x, y, raw)
        if raw.task == "classification":
            counts = torch.bincount(y_all, minlength=raw.classes).numpy()
            self.bars.setOpts(x=np.arange(len(counts)), height=counts, width=0.7)
            names = raw.class_names or [str(i) for i in range(len(counts))]
            step = max(1, len(names) // 12)
            self.balance.getAxis("bottom").setTicks([[(i, names[i]) for i in range(0, len(names), step)]])
            self.balance.setTitle("samples per class (train)", color=theme.text_color())
        else:
            values = y_all.reshape(len(y_all), -1)[:, 0].numpy()
            counts, edges = np.histogram(values, bins=20)
            self.bars.setOpts(x=(edges[:-1] + edges[1:]) / 2, height=counts, width=(edges[1] - edges[0]) * 0.9)
            self.balance.getAxis("bottom").setTicks(None)
            self.balance.setTitle("target values (train)", color=theme.text_color())

    def _images(self, x: torch.Tensor, y: torch.Tensor, names, task: str) -> None:
        count = min(len(x), GRID * 4)
        h, w = x.shape[2:]
        pad = 2
        self.mosaic.setImage(mosaic(x[:count], GRID, pad), levels=(0, 1))
        self._shown = (x[:count], h + pad, w + pad)
        for label in self.labels:
            self.images.removeItem(label)
        self.labels = []
        for i in range(count):
            r, col = divmod(i, GRID)
            if task == "classification":
                name = names[int(y[i])] if names else str(int(y[i]))
            else:
                name = ", ".join(f"{v:.3g}" for v in y[i].reshape(-1).tolist()[:3])
            label = pg.TextItem(name, color=theme.text_color(), anchor=(0, 0))
            label.setPos(col * (w + pad), r * (h + pad) + h - 1)
            self.images.addItem(label)
            self.labels.append(label)
        self.samples.setCurrentWidget(self.images)

    def _table(self, x: torch.Tensor, y: torch.Tensor, raw) -> None:
        names = raw.feature_names or [f"x{i + 1}" for i in range(x.shape[1])]
        rows = min(len(x), ROWS)
        self.table.clear()
        self.table.setRowCount(rows)
        self.table.setColumnCount(len(names) + 1)
        self.table.setHorizontalHeaderLabels([*names, "target"])
        for r in range(rows):
            for col, value in enumerate(x[r].tolist()):
                self.table.setItem(r, col, QTableWidgetItem(f"{value:.4g}"))
            target = raw.class_names[int(y[r])] if raw.task == "classification" and raw.class_names else \
                ", ".join(f"{v:.4g}" for v in y[r].reshape(-1).tolist())
            self.table.setItem(r, len(names), QTableWidgetItem(target))
        self._shown = (x[:rows], 0, 0)
        self.samples.setCurrentWidget(self.table)

    def _text(self, prepared: Prepared) -> None:
        """The training part's first windows as text, and how often each character is the one to predict."""
        chars = prepared.raw.class_names or []
        x, y = prepared.train
        shown = [c.replace("\n", "\u23ce").replace("\t", "\u21e5") for c in chars]  # a window a line
        self.text.setPlainText("\n".join("".join(shown[i] for i in w.tolist()) for w in x[:40]))
        self._shown = None
        self.samples.setCurrentWidget(self.text)
        counts = torch.bincount(y.reshape(-1), minlength=len(chars)).numpy()
        self.bars.setOpts(x=np.arange(len(counts)), height=counts, width=0.7)
        step = max(1, len(shown) // 24)
        self.balance.getAxis("bottom").setTicks([[(i, shown[i]) for i in range(0, len(shown), step)]])
        self.balance.setTitle("characters to predict (train)", color=theme.text_color())

    def _image_clicked(self, event) -> None:
        if self._shown is None or not self._shown[1]:
            return
        point = self.mosaic.mapFromScene(event.scenePos())
        column, row = int(point.x() // self._shown[2]), int(point.y() // self._shown[1])
        if 0 <= column < GRID and row >= 0:
            self._choose(row * GRID + column)

    def _choose(self, index: int) -> None:
        if self._shown is not None and 0 <= index < len(self._shown[0]):
            self.sampleChosen.emit(self._shown[0][index:index + 1])

    def clear(self) -> None:
        self._shown = None
        self.mosaic.clear()
        for label in self.labels:
            self.images.removeItem(label)
        self.labels = []
        self.table.clear()
        self.table.setRowCount(0)
        self.table.setColumnCount(0)
        self.sequences.clear()
        self.points.clear()
        self.text.clear()
        self.bars.setOpts(x=[], height=[])

    def _points(self, x: torch.Tensor, y: torch.Tensor) -> None:
        classes = int(y.max()) + 1 if len(y) else 1
        shared = [pg.mkBrush(pg.intColor(c, hues=max(classes, 2), alpha=180)) for c in range(classes)]  # one symbol each
        self.points.setData(x[:2000, 0].numpy(), x[:2000, 1].numpy(), brush=[shared[c] for c in y[:2000].tolist()])
        self.samples.setCurrentWidget(self.scatter)

    def _sequences(self, x: torch.Tensor) -> None:
        self.sequences.clear()
        for i in range(min(5, len(x))):
            color = pg.intColor(i, hues=5)
            self.sequences.plot(x[i, :, 0].numpy(), pen=pg.mkPen(color, width=2))
        self.samples.setCurrentWidget(self.sequences)
