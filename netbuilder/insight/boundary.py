"""The decision boundary of a classifier of two features (moons, spirals, a two-column CSV), taken on the
training thread at the end of every epoch: the class the network gives each point of a grid over the
data, how sure it is, and what each layer's first unit gives there (taken in the same forward pass). A grid of 100 x 100 points is one forward pass of 10,000 rows; for a small
network that is more than an epoch of training, so it is drawn when it keeps within 2% of the training
time (every epoch for most networks, every few for a tiny one), and always at the last epoch."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .probes import class_scores, plane, watching
from ..train.callbacks import Budgeted

POINTS = 1500  # validation samples drawn over the boundary at most
BUDGET = 0.02  # of the training time (the last epoch is drawn besides)


@dataclass
class BoundaryPicture:
    epoch: int
    extent: tuple  # x low, x high, y low, y high
    classes: np.ndarray  # [size, size] the class at each grid point, rows from the bottom
    sureness: np.ndarray  # [size, size] its probability
    points: np.ndarray  # [N, 2] validation samples
    labels: np.ndarray  # [N] their classes
    units: dict  # layer name -> [size, size] its first unit's output at each grid point


def why_not(recipe, data: tuple) -> str:
    """Why this run gets no boundary, in words the recipe's declarations give ("" when it gets one)."""
    if not recipe.classifies:
        if recipe.target_is_input:
            return "the boundary is drawn for classifiers, and this run's network gives back or draws samples"
        return f"the boundary is drawn for classifiers, and this network is trained as a regression" \
               f" (the {recipe.config.loss} loss)"
    if len(data) != 2:
        return "the boundary is drawn for a network of one input"
    if data[0].dim() != 2 or data[0].shape[1] != 2:
        return f"the boundary is drawn for samples of two features (points on a plane), and these are" \
               f" {'x'.join(map(str, data[0].shape[1:]))}"
    if "boundary" not in recipe.shows:
        return f"the boundary is drawn for one network, and this run trains {len(recipe.networks)} side by side"
    return ""


class Boundary(Budgeted):
    """`latest` holds the newest BoundaryPicture (replaced whole, so the window may read it); `why_not`
    says why there is none for this network."""

    budget = BUDGET

    def __init__(self, size: int = 100):
        self.size = size
        self.latest: BoundaryPicture | None = None
        self.why_not = ""
        self._grid = None

    def on_train_start(self, trainer) -> None:
        super().on_train_start(trainer)
        recipe = trainer.recipe
        data = recipe.val_tensors or recipe.train_tensors
        self.why_not = why_not(recipe, data)
        if not self.why_not:
            self._grid, self._extent = plane(data[0].detach().float().cpu(), self.size)
            self._points = data[0][:POINTS].detach().float().cpu().numpy()
            self._labels = data[1][:POINTS].detach().cpu().numpy().reshape(len(self._points), -1)[:, 0]

    def ready(self) -> bool:
        return self._grid is not None

    def capture(self, trainer, epoch: int) -> None:
        with watching(trainer.model) as outputs:  # the hidden units come with the same forward pass
            scores = class_scores(trainer.model, self._grid, batch=len(self._grid))
        sureness, classes = scores.max(dim=1)
        shape = (self.size, self.size)
        units = {name: out.reshape(len(self._grid), -1)[:, 0].reshape(shape).numpy()
                 for name, out in outputs.items() if "." not in name and out.numel() >= len(self._grid)}
        self.latest = BoundaryPicture(epoch, self._extent, classes.reshape(shape).numpy(),
                                      sureness.reshape(shape).numpy(), self._points, self._labels, units)
