"""What a generative run makes, taken on the training thread at the end of every epoch (the model is not
touched from the window's thread while it trains). The recipe says what its pictures are."""
from __future__ import annotations

from . import Callback


class Pictures(Callback):
    """`latest` holds (caption, samples, real points or None); replaced whole, so the window may read it."""

    def __init__(self):
        self.latest = None

    def on_epoch_end(self, trainer, epoch) -> None:
        latest = trainer.recipe.pictures(epoch.epoch + 1)
        if latest is not None:
            self.latest = latest
