"""Which training settings have an effect under the chosen optimizer, recipe and schedule: the
Settings form shows only those (momentum under SGD and RMSprop, the KL weight under the variational
recipe, ...). The recipe says which of its own settings apply and whether it picks its own loss."""
from __future__ import annotations

from .config import TrainConfig
from .recipes import own_settings, recipes

OPTIMIZER_SETTINGS = {"momentum": ("sgd", "rmsprop"), "nesterov": ("sgd",)}
SCHEDULE_SETTINGS = {"step_size": ("step",), "gamma": ("step", "exponential")}


def applies(config: TrainConfig, name: str) -> bool:
    """Whether setting `name` changes anything in a run with these settings (values of the wrong type, which
    the settings' problems name, count as none of the choices)."""
    if name in OPTIMIZER_SETTINGS:
        return config.optimizer in OPTIMIZER_SETTINGS[name]
    if name in SCHEDULE_SETTINGS:
        return config.schedule in SCHEDULE_SETTINGS[name]
    recipe = recipes().get(config.recipe) if isinstance(config.recipe, str) else None
    if recipe is None:  # an unknown recipe: the Problems panel says so
        return name not in own_settings()
    if name in own_settings():
        return name in recipe.settings
    if name == "loss":
        return recipe.losses != ()
    if name == "early_stopping":  # it watches the recipe's monitored metric; GANs and comparisons have none
        return recipe.monitor is not None
    return True
