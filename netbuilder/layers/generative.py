"""Layers for generative networks: the variational bottleneck of a VAE."""
from __future__ import annotations

from .rules import custom, fix_insert, need_rank
from .spec import Ctor, LayerSpec, Param


def _reparameterize_shape(p, xs):
    x = xs[0]
    need_rank(x, "Reparameterize", (1,), "[N, features]",
              fix=fix_insert("Flatten") if x.rank >= 2 else None)
    return x.with_shape(p["latent"])


SPECS = [
    LayerSpec(
        "Reparameterize", "Generative",
        "VAE bottleneck: learns a mean and a log-variance per latent value and samples z from them while"
        " training (the mean when evaluating); its KL term is added to the loss by the variational recipe",
        params=(Param("latent", "int", 2, "Size of the latent code z (2 can be drawn as a map)", min=1),),
        shape=_reparameterize_shape, weights="matrix", key_params=("latent",),
        module=lambda p, xs: Ctor(custom("Reparameterize"), dict(in_features=xs[0].shape[-1],
                                                                  latent=p["latent"]))),
]
