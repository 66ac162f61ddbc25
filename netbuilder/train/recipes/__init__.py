"""The recipes, one file each; a new file here with a Recipe subclass is found by its `name`."""
from __future__ import annotations

import importlib
import pkgutil

from ..errors import TrainingError
from .base import Recipe

_found: dict[str, type[Recipe]] = {}


def recipes() -> dict[str, type[Recipe]]:
    """Every recipe by name, from the modules of this package."""
    if not _found:
        for module in pkgutil.iter_modules(__path__):
            importlib.import_module(f"{__name__}.{module.name}")
        pending = list(Recipe.__subclasses__())
        while pending:
            cls = pending.pop()
            pending += cls.__subclasses__()
            if cls.name:
                _found[cls.name] = cls
        ordered = sorted(_found.values(), key=lambda c: c.rank)
        _found.clear()
        _found.update((c.name, c) for c in ordered)
    return _found


def recipe_names() -> tuple[str, ...]:
    """The recipes there are, in the order Settings lists them."""
    return tuple(recipes())


def recipe_problem(name) -> str | None:
    known = recipes()
    return None if isinstance(name, str) and name in known else \
        f"recipe must be one of {', '.join(known)}, not {name!r}"


def recipe_class(name: str) -> type[Recipe]:
    problem = recipe_problem(name)
    if problem:
        raise TrainingError(problem)
    return recipes()[name]


def own_settings() -> set[str]:
    """The settings that only some recipes use (kl_weight, l1, ...): each applies where its recipe says so."""
    return {name for cls in recipes().values() for name in cls.settings}


__all__ = ["Recipe", "recipes", "recipe_class", "recipe_names", "recipe_problem", "own_settings"]
