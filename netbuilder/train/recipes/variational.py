"""Variational (a VAE): reconstruction plus kl_weight times the KL term of the Reparameterize layers."""
from __future__ import annotations

import math

import torch

from ...layers.modules import Reparameterize
from ..generative import decode, latent_node, latent_size, latent_grid
from ..errors import TrainingError
from .reconstruction import Reconstruction


class Variational(Reconstruction):
    name = "variational"
    rank = 2
    summary = "a VAE: reconstruction plus kl_weight times the KL term of its Reparameterize layers"
    settings = ("l1", "kl_weight")
    scores = ("negative ELBO", "reconstruction error")

    @classmethod
    def called_for(cls, graph) -> bool:
        return any(n.type == "Reparameterize" for n in graph.nodes())

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

    def score_batch(self, inputs):
        """Each sample's negative ELBO as the recipe trains it (reconstruction error + kl_weight x its KL
        divergence from the prior), and its reconstruction error alone."""
        x = inputs[0]
        kls = []
        hooks = [m.register_forward_hook(lambda m, given, out: kls.append(sample_kl(m, given[0])))
                 for m in self.kl_modules]
        try:
            error = self.sample_error(self.model(x), x)
        finally:
            for hook in hooks:
                hook.remove()
        return {"negative ELBO": error + self.config.kl_weight * sum(kls), "reconstruction error": error}

    def generate(self, count: int, seed: int = 0) -> torch.Tensor:
        """The decoder on latent codes drawn from the prior, N(0, 1), shaped like the data."""
        try:
            name = latent_node(self.graph, self.model)
            z = torch.randn(count, latent_size(self.graph, name), generator=torch.Generator().manual_seed(seed))
            made = decode(self.graph, self.model, z, name)
        except ValueError as e:
            raise TrainingError(f"cannot generate from this VAE: {e}") from None
        shape = tuple(self.train_tensors[0].shape[1:])
        return made.reshape(count, *shape) if made[0].numel() == math.prod(shape) else made

    def pictures(self, epoch: int):
        """The reconstructions, and beside them (a panel of their own, eight by eight) the decoder's walk."""
        caption, pictures, _ = super().pictures(epoch)
        try:
            walk = latent_grid(self.graph, self.model, steps=8).clamp(0, 1)
        except ValueError:
            return caption, pictures, None  # a latent code of one dimension: no grid
        caption += "; on the right, a walk through the first two latent dimensions"
        return caption, (pictures, walk), None


def sample_kl(layer: Reparameterize, features: torch.Tensor) -> torch.Tensor:
    """The KL divergence from N(0, 1) of each sample's code [N] (the layer keeps only the batch's mean)."""
    mean, logvar = layer.mean(features), layer.logvar(features)
    return -0.5 * (1 + logvar - mean.pow(2) - logvar.exp()).sum(dim=1)
