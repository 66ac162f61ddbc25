"""The training configuration: part of the document (graph.meta["training"]), saved with it."""
from __future__ import annotations

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

    def problems(self) -> list[str]:
        """What is wrong with the values, in words; empty when they are usable."""
        found = []
        for name, allowed in (("optimizer", OPTIMIZERS), ("loss", LOSSES), ("schedule", SCHEDULES),
                              ("device", DEVICES), ("recipe", recipe_names())):
            if getattr(self, name) not in allowed:
                found.append(f"{name} must be one of {', '.join(allowed)}, not {getattr(self, name)!r}")
        for name in ("batch_size", "epochs", "step_size"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                found.append(f"{name} must be a whole number of at least 1")
        for name in ("lr", "weight_decay", "l1", "clip_norm", "gamma", "momentum", "kl_weight"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or value != value or value < 0 or (name == "lr" and value == 0):
                found.append(f"{name} must be a number above 0" if name == "lr"
                             else f"{name} must be a number of at least 0")
        if not isinstance(self.init_from, str):
            found.append("init_from must be the path of a checkpoint file")
        return found

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> "TrainConfig":
        """Known keys are taken, unknown ones ignored (a newer file), missing ones defaulted."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in names})
