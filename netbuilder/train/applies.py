"""Which training settings have an effect under the chosen optimizer, recipe and schedule: the
Settings form shows only those (momentum under SGD and RMSprop, the KL weight under the variational
recipe, ...)."""
from __future__ import annotations

from .config import TrainConfig

OPTIMIZER_SETTINGS = {"momentum": ("sgd", "rmsprop"), "nesterov": ("sgd",)}
SCHEDULE_SETTINGS = {"step_size": ("step",), "gamma": ("step", "exponential")}
RECIPE_SETTINGS = {"kl_weight": ("variational",), "l1": ("supervised", "reconstruction", "variational")}
FIXED_LOSS = ("adversarial",)  # the recipe chooses its own loss


def applies(config: TrainConfig, name: str) -> bool:
    """Whether setting `name` changes anything in a run with these settings (values of the wrong type, which
    the settings' problems name, count as none of the choices)."""
    if name in OPTIMIZER_SETTINGS:
        return config.optimizer in OPTIMIZER_SETTINGS[name]
    if name in SCHEDULE_SETTINGS:
        return config.schedule in SCHEDULE_SETTINGS[name]
    if name in RECIPE_SETTINGS:
        return config.recipe in RECIPE_SETTINGS[name]
    if name == "loss":
        return config.recipe not in FIXED_LOSS
    if name == "early_stopping":  # it watches the recipe's monitored metric; GANs and comparisons have none
        from .recipes import recipes

        recipe = recipes().get(config.recipe) if isinstance(config.recipe, str) else None
        return recipe is None or recipe.monitor is not None  # an unknown recipe: the Problems panel says so
    return True
