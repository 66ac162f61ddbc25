"""Variational (a VAE): reconstruction plus kl_weight times the KL term of the Reparameterize layers."""
from __future__ import annotations

import torch

from ...layers.modules import Reparameterize
from ..generative import latent_grid
from ..errors import TrainingError
from .reconstruction import Reconstruction


class Variational(Reconstruction):
    name = "variational"
    rank = 2
    summary = "a VAE: reconstruction plus kl_weight times the KL term of its Reparameterize layers"
    settings = ("l1", "kl_weight")

    def build(self, network):
        networks = super().build(network)
        self.kl_modules = [m for m in networks["model"].modules() if isinstance(m, Reparameterize)]
        if not self.kl_modules:
            raise TrainingError("the variational recipe needs a Reparameterize layer between the encoder and"
                                " the decoder: add one, or choose the reconstruction recipe")
        return networks

    def kl_term(self) -> torch.Tensor:
        """The sum of the KL terms the last forward pass left on the Reparameterize layers (unweighted)."""
        return sum(m.kl for m in self.kl_modules)

    def objective(self, out, x) -> dict:
        metrics = super().objective(out, x)
        kl = self.kl_term()
        return {"loss": metrics["loss"] + self.config.kl_weight * kl, "kl": kl.detach()}

    def pictures(self, epoch: int):
        """The reconstructions, and beside them (a panel of their own, eight by eight) the decoder's walk."""
        caption, pictures, _ = super().pictures(epoch)
        try:
            walk = latent_grid(self.graph, self.model, steps=8).clamp(0, 1)
        except ValueError:
            return caption, pictures, None  # a latent code of one dimension: no grid
        caption += "; on the right, a walk through the first two latent dimensions"
        return caption, (pictures, walk), None
