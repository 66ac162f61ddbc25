"""The training configuration: part of the document (graph.meta["training"]), saved with it."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
LOSSES = ("cross_entropy", "bce_with_logits", "mse", "l1", "nll")
SCHEDULES = ("none", "step", "exponential", "cosine")
DEVICES = ("auto", "cpu", "cuda", "mps")
CLASSIFICATION = ("cross_entropy", "nll", "bce_with_logits")
GENERATIVE = ("reconstruction", "variational")  # recipes whose target is the input itself
RECONSTRUCTION_LOSSES = ("mse", "l1", "bce_with_logits")


def recipe_names() -> tuple[str, ...]:
    """The recipes there are (train/recipes/, one file each): supervised, reconstruction, variational,
    adversarial, compare, ..."""
    from .recipes import recipes

    return tuple(recipes())


@dataclass
class TrainConfig:
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

    memory_limit: float = 0.5  # share of this machine's memory a run may plan to use (0.05 to 1)

    def problems(self) -> list[str]:
        """What is wrong with the values, in words; empty when they are usable."""
        found = []
        for name, allowed in (("optimizer", OPTIMIZERS), ("loss", LOSSES), ("schedule", SCHEDULES),
                              ("device", DEVICES), ("recipe", recipe_names())):
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
        for name in ("nesterov", "mixed_precision"):
            if not isinstance(getattr(self, name), bool):
                found.append(f"{name} must be true or false, not {getattr(self, name)!r}")
        if not isinstance(self.init_from, str):
            found.append("init_from must be the path of a checkpoint file")
        return found

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def check(cls, data: dict) -> list[str]:
        """The problems of settings as a document holds them."""
        return cls.from_dict(data).problems()

    @classmethod
    def from_dict(cls, data: dict | None) -> "TrainConfig":
        """Known keys are taken, missing ones defaulted; what is not a mapping, and unknown keys, are left
        out (settings_problems says so). The values are checked by problems()."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (data if isinstance(data, dict) else {}).items() if k in names})


WHOLE = {"batch_size": (1, 1_000_000), "epochs": (1, 10_000_000), "step_size": (1, 10_000_000),
         "warmup_epochs": (0, 10_000_000), "early_stopping": (0, 10_000_000), "seed": (0, 2**63 - 1)}
# lr and gamma keep the rate a finite float all run: the schedules only lower it (gamma at most 1), and the
# highest rate, times a layer's lr_scale (at most 1,000) and Adam's first-step correction (10), fits a float32
NUMBERS = {"lr": (0.0, 1e30, True), "momentum": (0.0, 1.0, False), "weight_decay": (0.0, math.inf, False),
           "l1": (0.0, math.inf, False), "clip_norm": (0.0, math.inf, False), "gamma": (0.0, 1.0, False),
           "kl_weight": (0.0, math.inf, False), "memory_limit": (0.05, 1.0, False)}  # (lowest, highest, above it)


def section_problems(meta: dict, key: str, kind) -> tuple[list[str], list[str]]:
    """(errors, warnings) of one section of a document's meta: not a mapping, or values its class refuses,
    are errors; keys the section does not have are warnings (a newer netbuilder's, or a typo)."""
    raw = meta.get(key) if isinstance(meta, dict) else None
    if raw is None:
        return [], []
    label = {"training": "the training settings", "data": "the dataset settings",
             "diagnosis": "the diagnosis thresholds"}.get(key, key)
    if not isinstance(raw, dict):
        return [f"{label} (meta.{key}) must be a mapping of names to values, not {type(raw).__name__}"], []
    unknown = sorted(set(raw) - {f.name for f in fields(kind)})
    warnings = [f"{label}: unknown setting{'s' * (len(unknown) > 1)} {', '.join(map(repr, unknown))}"
                " (ignored: a newer netbuilder's, or a typo)"] if unknown else []
    return [f"{label}: {p}" for p in kind.check(raw)], warnings


def settings_problems(meta: dict, warnings: list[str] | None = None,
                      sections: tuple[str, ...] = ("training", "data", "diagnosis")) -> list[str]:
    """The errors in a document's training, dataset and diagnosis settings, in words; its warnings are
    added to `warnings` when given."""
    from ..data.dataset import DataSpec
    from .callbacks.diagnosis import Thresholds

    kinds = {"training": TrainConfig, "data": DataSpec, "diagnosis": Thresholds}
    errors = []
    for key in sections:
        found, warned = section_problems(meta, key, kinds[key])
        errors += found
        if warnings is not None:
            warnings += warned
    return errors
