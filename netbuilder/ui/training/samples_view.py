"""What a generative network makes, live: a grid of generated images (GAN), originals above their
reconstructions (autoencoder, VAE), or generated 2-D points over the real ones; for a diffusion model also a
strip above them, its reverse process from noise (left) to the samples (right)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
import torch
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from ...deploy.generate import write_samples, write_texts
from ...runs.pictures import SavedText
from ...train.language import TextModel
from .. import theme
from ..data_preview import mosaic
from .text_samples import TextSamplesView


COLUMNS = 8  # images to a row: a latent walk is eight by eight
GAP = 8  # pixels of the images between two grids


def as_images(samples: torch.Tensor) -> torch.Tensor:
    return samples if samples.dim() == 4 else samples.reshape(len(samples), 1, *samples.shape[1:])


def side_by_side(pictures: list[np.ndarray]) -> np.ndarray:
    """Mosaics (x first, as mosaic() gives them) in a row, GAP apart, top-aligned on the background."""
    if len(pictures) == 1:
        return pictures[0]
    height = max(p.shape[1] for p in pictures)
    width = sum(p.shape[0] for p in pictures) + GAP * (len(pictures) - 1)
    row = np.ones((width, height, 3), dtype=np.float32)
    x = 0
    for picture in pictures:
        row[x:x + picture.shape[0], :picture.shape[1]] = picture
        x += picture.shape[0] + GAP
    return row


def _together(samples):
    """One tensor of what is shown, to save: grids side by side (a tuple) as one batch when their samples agree
    in shape (None when they do not)."""
    if not isinstance(samples, (tuple, list)):
        return samples
    shapes = {tuple(p.shape[1:]) for p in samples}
    return torch.cat(list(samples)) if len(shapes) == 1 else None


class SamplesView(QWidget):
    def __init__(self):
        super().__init__()
        self.setObjectName("samples")
        self.caption = QLabel("Generative recipes show here what the network makes, after every epoch.")
        self.caption.setWordWrap(True)
        self.stack = QStackedWidget()
        self.images = pg.PlotWidget()
        self.images.setAspectLocked(True)
        self.images.invertY(True)
        self.images.hideAxis("left")
        self.images.hideAxis("bottom")
        self.images.getViewBox().setDefaultPadding(0.01)  # the pictures fill the tab
        self.picture = pg.ImageItem()
        self.images.addItem(self.picture)
        self.points = pg.PlotWidget()
        self.points.setAspectLocked(True)
        self.real = pg.ScatterPlotItem(size=4, pen=None, brush=pg.mkBrush(150, 150, 150, 90))
        self.fake = pg.ScatterPlotItem(size=5, pen=None, brush=pg.mkBrush(220, 50, 47, 200))
        self.points.addItem(self.real)
        self.points.addItem(self.fake)
        for plot in (self.images, self.points):
            plot.setBackground(theme.canvas_background())
            for axis in ("left", "bottom"):
                plot.getAxis(axis).setTextPen(theme.text_color())
        self.stack.addWidget(self.images)
        self.stack.addWidget(self.points)
        self.text = TextSamplesView()  # a language model's writing
        self.text.written.connect(self._text_written)
        self.stack.addWidget(self.text)
        self.strip = Strip()
        self.strip.hide()
        self.save_button = QPushButton("Save Samples…")
        self.save_button.setObjectName("save_samples")
        self.save_button.setToolTip("Write the samples shown as samples.npy (and a PNG grid for images), or the"
                                    " text shown as text_1.txt, into a folder, with samples.json; netbuilder"
                                    " generate makes more from a run")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(lambda: self.save_to(None))
        self.said = QLabel("")  # what Save Samples… did: shown only when there is something to say
        self.said.hide()
        top = QHBoxLayout()
        top.addWidget(self.caption, 1)
        top.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)  # the pictures get the height
        layout.addLayout(top)
        layout.addWidget(self.said)
        layout.addWidget(self.strip, 1)  # the process above takes a quarter of a low tab, the samples the rest
        layout.addWidget(self.stack, 3)
        self.real_points = None
        self.shown: tuple | None = None  # the samples (or the text, a Generated) and their caption, to save
        self.text_caption = ""

    def show_samples(self, samples, caption: str, real: torch.Tensor | None = None, strip: list | None = None) -> None:
        """Images [N, C, H, W] as a grid, several such (a tuple) as grids side by side, points [N, 2] over the
        real ones, or a language model's text; `strip`: (label, images or points) along a reverse process, drawn
        in a row above them."""
        self.caption.setText(caption)
        self.stack.show()
        self.strip.show_path(strip or [])
        if isinstance(samples, (TextModel, SavedText)):
            self.shown = None  # until the text is written
            self.save_button.setEnabled(False)
            self.text_caption = caption
            self.stack.setCurrentWidget(self.text)
            (self.text.show_model if isinstance(samples, TextModel) else self.text.show_saved)(samples)
            return
        self.shown = (_together(samples), caption)
        self.save_button.setEnabled(self.shown[0] is not None)
        if isinstance(samples, torch.Tensor) and samples.dim() == 2 and samples.shape[1] == 2:
            if real is not None:  # a mixed thousand: the data may be sorted by class
                some = real[torch.randperm(len(real), generator=torch.Generator().manual_seed(0))[:1000]]
                self.real.setData(some[:, 0].numpy(), some[:, 1].numpy())
            self.fake.setData(samples[:, 0].numpy(), samples[:, 1].numpy())
            self.stack.setCurrentWidget(self.points)
            return
        panels = samples if isinstance(samples, (tuple, list)) else (samples,)
        self.picture.setImage(side_by_side([mosaic(as_images(p), COLUMNS) for p in panels]), levels=(0, 1))
        self.stack.setCurrentWidget(self.images)

    def _text_written(self) -> None:
        if self.stack.currentWidget() is self.text and self.text.last is not None:
            self.shown = (self.text.last, self.text_caption)
            self.save_button.setEnabled(True)

    def _say(self, text: str) -> None:
        self.said.setText(text)
        self.said.setVisible(bool(text))

    def save_to(self, folder: str | None) -> list:
        """Write the samples shown into `folder` (None: ask for one); says what it wrote, or why not."""
        if self.shown is None:
            return []
        folder = folder or QFileDialog.getExistingDirectory(self, "Save the samples into a folder")
        if not folder:
            return []
        samples, caption = self.shown
        text = not isinstance(samples, torch.Tensor)  # a language model's Generated
        try:
            if text:
                written = write_texts([samples], Path(folder), {
                    "caption": caption, "prompt": samples.prompt, "length": len(samples.text),
                    "temperature": samples.temperature, "top_k": samples.top_k, "seed": samples.seed})
            else:
                written = write_samples(samples, Path(folder), {"caption": caption})
        except OSError as e:
            self._say(f"The samples could not be saved in {folder}: {e.strerror or e}")
            return []
        what = "the text" if text else f"{len(samples)} samples"
        self._say(f"Saved {what}: {', '.join(p.name for p in written)} in {folder}")
        return written

    def clear(self, why: str = "Generative recipes show here what the network makes, after every epoch.") -> None:
        """Nothing to show (no plot, not even empty axes): `why` instead."""
        self.shown = None
        self.save_button.setEnabled(False)
        self._say("")
        self.strip.show_path([])
        self.picture.clear()
        self.fake.clear()
        self.real.clear()
        self.text.clear()
        self.caption.setText(why)
        self.stack.hide()


class Strip(pg.GraphicsLayoutWidget):
    """A row of small pictures along a reverse process: images side by side, or a cloud of points each.
    Its plots are kept and given new data each epoch (made anew only when the count or the kind changes)."""

    def __init__(self):
        super().__init__()
        self.setObjectName("reverse_strip")
        self.setBackground(theme.canvas_background())
        self.setMinimumHeight(70)
        self.setMaximumHeight(150)
        self.cells: list[tuple[pg.PlotItem, pg.GraphicsObject]] = []
        self.kind = ""

    def show_path(self, path: list) -> None:
        if not path:
            self.hide()
            return
        kind = "points" if path[0][1].dim() == 2 else "images"
        if len(path) != len(self.cells) or kind != self.kind:
            self._make(len(path), kind)
        if kind == "points":  # one scale for all, so the cloud is seen to gather
            every = torch.cat([values for _, values in path])
            low, high = every.amin(0).tolist(), every.amax(0).tolist()
        for (label, values), (plot, item) in zip(path, self.cells):
            plot.setTitle(label, color=theme.text_color(), size="8pt")
            if kind == "points":
                item.setData(values[:, 0].numpy(), values[:, 1].numpy())
                plot.setRange(xRange=(low[0], high[0]), yRange=(low[1], high[1]), padding=0.02)
            else:  # the samples of one step side by side, as large as a wide, low cell allows
                item.setImage(mosaic(values, len(values)), levels=(0, 1))
        self.show()

    def _make(self, count: int, kind: str) -> None:
        self.clear()
        self.cells, self.kind = [], kind
        for _ in range(count):
            plot = self.addPlot()
            plot.hideAxis("left")
            plot.hideAxis("bottom")
            plot.setMouseEnabled(False, False)
            plot.setAspectLocked(True)
            plot.layout.setContentsMargins(0, 0, 0, 0)  # the pictures, not the frame around them, get the room
            plot.getViewBox().setDefaultPadding(0.0)
            if kind == "points":
                item = pg.ScatterPlotItem(size=2, pen=None, brush=pg.mkBrush(220, 50, 47, 160))
            else:
                item = pg.ImageItem()
                plot.invertY(True)
            plot.addItem(item)
            self.cells.append((plot, item))
