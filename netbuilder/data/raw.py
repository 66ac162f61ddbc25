"""What every loader returns: tensors for all samples, what they are, and what the user should know.

Loaders never print and never drop data silently: anything skipped is counted in `notes`, and a
file that cannot be used raises DataError with where (file, row, column, image path) and what."""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

from ..errors import UserError

KINDS = ("image", "table", "sequence", "text")  # text: character indices [N, length], targets alike
TASKS = ("classification", "regression")


class DataError(UserError):
    """A dataset that cannot be used; the message says where and what, in words."""


@dataclass
class RawData:
    x: torch.Tensor  # float32 [N, ...]: image [N, C, H, W], table [N, F], sequence [N, T, F]
    y: torch.Tensor  # classification: int64 class indices [N]; regression: float32 [N, ...]
    kind: str  # one of KINDS
    task: str  # one of TASKS
    class_names: list[str] | None = None  # classification: the name of each class index
    feature_names: list[str] | None = None  # tables: one per column of x
    notes: list[str] = field(default_factory=list)  # e.g. "skipped 3 rows with missing values (rows 4, 9, 12)"
    test: tuple[torch.Tensor, torch.Tensor] | None = None  # the source's own test set (MNIST, CIFAR-10)
    inputs: dict[str, torch.Tensor] = field(default_factory=dict)  # named arrays, one per Input of a network
    # with several Inputs (float32 [N, ...]; an .npz's arrays other than the target, x among them)

    def __post_init__(self):
        if len(self.x) != len(self.y):
            raise DataError(f"{len(self.x)} samples but {len(self.y)} targets: every sample needs one")
        if self.kind not in KINDS or self.task not in TASKS:
            raise ValueError(f"kind must be one of {KINDS} and task one of {TASKS}")

    @property
    def classes(self) -> int:
        """How many classes (0 for regression)."""
        if self.task != "classification":
            return 0
        if self.class_names:
            return len(self.class_names)
        return int(self.y.max()) + 1 if len(self.y) else 0
