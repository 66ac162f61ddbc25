"""What a generative network makes, live: a grid of generated images (GAN), originals above their
reconstructions (autoencoder, VAE), or generated 2-D points over the real ones."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import torch
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

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
        self.stack.addWidget(self.text)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.stack, 1)
        self.real_points = None

    def show_samples(self, samples, caption: str, real: torch.Tensor | None = None) -> None:
        """Images [N, C, H, W] as a grid, several such (a tuple) as grids side by side, points [N, 2] over the
        real ones, or a language model's text."""
        self.caption.setText(caption)
        self.stack.show()
        if isinstance(samples, TextModel):
            self.text.show_model(samples)
            self.stack.setCurrentWidget(self.text)
            return
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

    def clear(self, why: str = "Generative recipes show here what the network makes, after every epoch.") -> None:
        """Nothing to show (no plot, not even empty axes): `why` instead."""
        self.picture.clear()
        self.fake.clear()
        self.real.clear()
        self.text.clear()
        self.caption.setText(why)
        self.stack.hide()
