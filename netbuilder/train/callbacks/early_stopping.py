"""Early stopping: end the run when the recipe's watched metric has not improved for `patience` epochs."""
from __future__ import annotations

from . import Callback


class EarlyStopping(Callback):
    def __init__(self, patience: int):
        self.patience = patience
        self.waited = 0

    def on_train_start(self, trainer) -> None:
        self.waited = 0

    def on_epoch_end(self, trainer, epoch) -> None:
        if epoch.metrics.get(trainer.recipe.monitor) is None:  # nothing to judge by (no validation split)
            return
        self.waited = 0 if trainer.improved else self.waited + 1
        if self.waited >= self.patience:
            watched = trainer.recipe.monitor.replace("val_", "validation ").replace("_", " ")
            trainer.stop_early(f"{watched} did not improve for {self.waited} epochs: stopped after epoch"
                               f" {epoch.epoch + 1}")
