"""The recipes, one file each; a new file here with a Recipe subclass is found by its `name`. A recipe defined
elsewhere (a plug-in, a test) joins them with `register`."""
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
            if cls.name and cls.__module__.startswith(__name__):  # others join by register()
                _found[cls.name] = cls
        ordered = sorted(_found.values(), key=lambda c: c.rank)
        _found.clear()
        _found.update((c.name, c) for c in ordered)
    return _found


def register(cls: type[Recipe]) -> type[Recipe]:
    """Make a Recipe subclass defined outside this package known by its name (usable as a decorator)."""
    if not (isinstance(cls, type) and issubclass(cls, Recipe)) or not cls.name or not cls.name.isidentifier():
        raise TypeError(f"{cls!r} is not a Recipe subclass with a name")
    known = recipes()
    if known.get(cls.name, cls) is not cls:
        raise ValueError(f"a recipe named '{cls.name}' is already known: {known[cls.name].__module__}")
    known[cls.name] = cls
    return cls


def unregister(name: str) -> None:
    """Forget a recipe that `register` added."""
    recipes().pop(name, None)


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


def called_for(graph) -> dict:
    """The settings of the recipe the document's layers call for (the first, in Settings' order), with a loss
    it takes where the default loss is not one of them; {} when none does (the default recipe then)."""
    from ..config import TrainConfig

    for cls in recipes().values():
        if cls.called_for(graph):
            found = {"recipe": cls.name}
            if cls.losses and TrainConfig.loss not in cls.losses:
                found["loss"] = cls.losses[0]
            return found
    return {}


def own_settings() -> set[str]:
    """The settings that only some recipes use (kl_weight, l1, ...): each applies where its recipe says so."""
    return {name for cls in recipes().values() for name in cls.settings}


__all__ = ["Recipe", "recipes", "recipe_class", "called_for", "register", "unregister", "recipe_names", "recipe_problem",
           "own_settings"]
