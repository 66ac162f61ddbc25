"""A document's settings sections checked together: the training settings (with the recipe, which the
recipes know), the dataset and the diagnosis thresholds. Each section is a Section (section.py)."""
from __future__ import annotations

from ..data.dataset import DataSpec
from .callbacks.diagnosis import Thresholds
from .config import TrainConfig
from .recipes import recipe_problem

SECTIONS = (TrainConfig, DataSpec, Thresholds)


def settings_problems(meta: dict, warnings: list[str] | None = None,
                      sections: tuple[str, ...] = ("training", "data", "diagnosis")) -> list[str]:
    """The errors in a document's settings sections, in words; their warnings (unknown keys) are added to
    `warnings` when given."""
    errors = []
    for kind in SECTIONS:
        if kind.key not in sections:
            continue
        found, warned = kind.read(meta)
        errors += found
        if warnings is not None:
            warnings += warned
    training = meta.get("training") if isinstance(meta, dict) else None
    if "training" in sections and isinstance(training, dict) and "recipe" in training:
        problem = recipe_problem(training["recipe"])
        if problem and isinstance(training["recipe"], str):
            errors.append(f"{TrainConfig.title}: {problem}")
    return errors
