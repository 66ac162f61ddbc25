"""What a generative run makes, taken on the training thread at the end of every epoch (the
model is not touched from the window's thread while it trains)."""
from __future__ import annotations

import torch

from .callbacks import Callback
from .generative import latent_grid, reconstructions


class Pictures(Callback):
    """`latest` holds (caption, samples, real points or None); replaced whole, so the window may read it."""

    def __init__(self):
        self.latest = None

    def on_epoch_end(self, trainer, epoch) -> None:
        recipe, n = trainer.config.recipe, epoch.epoch + 1
        if hasattr(trainer, "samples"):  # a GAN: from the same noise every epoch
            samples = trainer.samples(64)
            data = trainer.train_data
            real = (data[0] if isinstance(data, tuple) else data).cpu() if samples.dim() == 2 else None
            where = ", over the real points in grey" if real is not None else ""
            self.latest = (f"Epoch {n}: generated from the same noise each epoch{where}", samples, real)
        elif recipe in ("reconstruction", "variational"):
            x = (trainer.val_data or trainer.train_data)[0]
            originals, made = reconstructions(trainer.model, x, n=16)
            pictures = torch.cat([originals, made])
            caption = f"Epoch {n}: 16 validation samples (top two rows) and their reconstructions (below)"
            if recipe == "variational":
                try:
                    pictures = torch.cat([pictures, latent_grid(trainer.graph, trainer.model, steps=8)])
                    caption += "; then a walk through the first two latent dimensions"
                except ValueError:
                    pass  # a latent code of one dimension: no grid
            self.latest = (caption, pictures.clamp(0, 1), None)
