"""Layers for generative networks: the variational bottleneck of a VAE."""
from __future__ import annotations

from .rules import custom, fix_insert, need_rank
from .spec import Ctor, LayerSpec, Param

EVALUATING = ("mean", "mean + std")


def _reparameterize_shape(p, xs):
    x = xs[0]
    need_rank(x, "Reparameterize", (1,), "[N, features]",
              fix=fix_insert("Flatten") if x.rank >= 2 else None)
    return x.with_shape(p["latent"])


SPECS = [
    LayerSpec(
        "Reparameterize", "Generative",
        "VAE bottleneck: learns a mean and a log-variance per latent value and samples z from them while"
        " training (the mean when evaluating, unless `evaluating` says otherwise); its KL term is added to the"
        " loss by the variational recipe",
        params=(Param("latent", "int", 2, "Size of the latent code z (2 can be drawn as a map)", min=1),
                Param("evaluating", "choice", "mean", "What it gives when evaluating (not training)",
                      choices=EVALUATING, choice_help=(
                          ("mean", "the mean of z: the usual"),
                          ("mean + std", "the mean plus one standard deviation, as MONAI's VarAutoEncoder does"
                                         " unless use_mean_at_inference is set")))),
        shape=_reparameterize_shape, weights="matrix", key_params=("latent",),
        module=lambda p, xs: Ctor(custom("Reparameterize"), dict(
            in_features=xs[0].shape[-1], latent=p["latent"],
            **({"evaluating": p["evaluating"]} if p["evaluating"] != "mean" else {})))),
]
