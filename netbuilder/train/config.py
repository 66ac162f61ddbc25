"""The training configuration: part of the document (graph.meta["training"]), saved with it."""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..section import Section

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
LOSSES = ("cross_entropy", "bce_with_logits", "mse", "l1", "nll")
SCHEDULES = ("none", "step", "exponential", "cosine")
DEVICES = ("auto", "cpu", "cuda", "mps")
NOISE_SCHEDULES = ("linear", "cosine")  # denoising: how the noise grows over the diffusion steps
SAMPLINGS = ("ddpm", "ddim")  # denoising: how samples are made (every step, or DDIM's fewer)
CLASSIFICATION = ("cross_entropy", "nll", "bce_with_logits")


@dataclass
class TrainConfig(Section):
    """The training settings. Which recipe names are known is checked by settings.py (the recipes import
    this module)."""
    key, title = "training", "the training settings"
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.9  # SGD and RMSprop
    nesterov: bool = False  # SGD
    weight_decay: float = 0.0
    l1: float = 0.0  # L1 penalty on weights, added to the loss
    clip_norm: float = 0.0  # 0: no clipping
    loss: str = "cross_entropy"
    batch_size: int = 64
    epochs: int = 10
    schedule: str = "none"
    step_size: int = 5  # epochs between steps of the "step" schedule
    gamma: float = 0.5  # factor of "step" and "exponential"
    warmup_epochs: int = 0  # linear warmup before any schedule
    early_stopping: int = 0  # patience in epochs on validation loss; 0: off
    seed: int = 0
    device: str = "auto"
    mixed_precision: bool = True  # on CUDA only
    init_from: str = ""  # a checkpoint whose weights start the layers of the same name (transfer learning)
    recipe: str = "supervised"
    kl_weight: float = 1.0  # variational: weight of the KL term
    noise_schedule: str = "linear"  # denoising: linear or cosine
    diffusion_steps: int = 1000  # denoising: T, the steps from a sample to pure noise
    sampling: str = "ddpm"  # denoising: ddpm (all T steps back) or ddim (ddim_steps of them)
    ddim_steps: int = 50  # denoising: the steps DDIM takes back
    ddim_eta: float = 0.0  # denoising: the noise DDIM adds at each step, 0 (none) to 1 (DDPM's spread)
    ema_decay: float = 0.0  # denoising: samples come from a running average of the weights (0: off)
    unit_range: bool = False  # denoising: trained on the data's range mapped onto [-1, 1]
    snr_gamma: float = 0.0  # denoising: each step's loss weighted by min(SNR, snr_gamma) / SNR (0: off)

    memory_limit: float = 0.5  # share of this machine's memory a run may plan to use (0.05 to 1)

    def problems(self) -> list[str]:
        """What is wrong with the values, in words; empty when they are usable."""
        found = []
        for name, allowed in (("optimizer", OPTIMIZERS), ("loss", LOSSES), ("schedule", SCHEDULES),
                              ("device", DEVICES), ("noise_schedule", NOISE_SCHEDULES), ("sampling", SAMPLINGS)):
            value = getattr(self, name)
            if not isinstance(value, str) or value not in allowed:
                found.append(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
        for name, (low, high) in WHOLE.items():
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                found.append(f"{name} must be a whole number from {low:,} to {high:,}, not {value!r}")
        for name, (low, high, above) in NUMBERS.items():
            value = getattr(self, name)
            number = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            if not number or value < low or value > high or (above and value == low):
                bounds = (f"above {low:g}" if above else f"of at least {low:g}") if high == math.inf \
                    else f"above {low:g} and at most {high:g}" if above else f"from {low:g} to {high:g}"
                found.append(f"{name} must be a number {bounds}, not {value!r}")
        for name in ("nesterov", "mixed_precision", "unit_range"):
            if not isinstance(getattr(self, name), bool):
                found.append(f"{name} must be true or false, not {getattr(self, name)!r}")
        if isinstance(self.ddim_steps, int) and isinstance(self.diffusion_steps, int) \
                and self.ddim_steps > self.diffusion_steps:
            found.append(f"ddim_steps ({self.ddim_steps}) must be at most diffusion_steps ({self.diffusion_steps})")
        if not isinstance(self.init_from, str):
            found.append("init_from must be the path of a checkpoint file")
        if not isinstance(self.recipe, str):
            found.append(f"recipe must be a name, not {self.recipe!r}")
        return found


WHOLE = {"batch_size": (1, 1_000_000), "epochs": (1, 10_000_000), "step_size": (1, 10_000_000),
         "warmup_epochs": (0, 10_000_000), "early_stopping": (0, 10_000_000), "seed": (0, 2**63 - 1),
         "diffusion_steps": (2, 100_000), "ddim_steps": (1, 100_000)}
# lr and gamma keep the rate a finite float all run: the schedules only lower it (gamma at most 1), and the
# highest rate, times a layer's lr_scale (at most 1,000) and Adam's first-step correction (10), fits a float32.
# The factors torch takes as float32 scalars stay below its largest (3.4e38) too: weight_decay (AdamW multiplies
# the weights by 1 - rate * weight_decay: 1e33 * 1e5), l1 and kl_weight (times the loss's terms)
FACTOR = 1e5
NUMBERS = {"lr": (0.0, 1e30, True), "momentum": (0.0, 1.0, False), "weight_decay": (0.0, FACTOR, False),
           "l1": (0.0, FACTOR, False), "clip_norm": (0.0, math.inf, False), "gamma": (0.0, 1.0, False),
           "kl_weight": (0.0, FACTOR, False), "ema_decay": (0.0, 0.99999, False),
           "snr_gamma": (0.0, FACTOR, False), "ddim_eta": (0.0, 1.0, False),
           "memory_limit": (0.05, 1.0, False)}  # (lowest, highest, above it)
