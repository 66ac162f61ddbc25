"""Extension points of the loop: a callback overrides the hooks it needs; the rest do nothing.

Steps reach on_step_end in order, at the rate the loop fetches them from the device (every step on
the CPU, a few dozen times a second on a GPU), so a callback never makes the device wait."""
from __future__ import annotations


class Callback:
    def on_train_start(self, trainer) -> None:
        pass

    def on_epoch_start(self, trainer, epoch: int) -> None:
        pass

    def on_step_end(self, trainer, step) -> None:
        pass

    def on_epoch_end(self, trainer, epoch) -> None:
        pass

    def on_train_end(self, trainer, result) -> None:
        pass
