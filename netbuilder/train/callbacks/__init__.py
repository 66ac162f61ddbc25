"""Extension points of the loop: a callback overrides the hooks it needs; the rest do nothing.

Steps reach on_step_end in order, at the rate the loop fetches them from the device (every step on
the CPU, a few dozen times a second on a GPU), so a callback never makes the device wait."""
from __future__ import annotations

import time


class Callback:
    def on_train_start(self, trainer) -> None:
        pass

    def on_epoch_start(self, trainer, epoch: int) -> None:
        pass

    def on_step_end(self, trainer, step) -> None:
        pass

    def on_epoch_end(self, trainer, epoch) -> None:
        pass

    def on_pause(self, trainer) -> None:
        """A pause took effect: the loop waits (after the step under way) until it is resumed or stopped."""

    def on_resume(self, trainer) -> None:
        """Training goes on after a pause (a stop ends the run instead: on_train_end)."""

    def on_train_end(self, trainer, result) -> None:
        pass


class Budgeted(Callback):
    """Work done at the end of an epoch that keeps within a share (`budget`) of the training time: skipped
    while what it has spent is over that share of the time since training started, and always done at the
    last epoch. A subclass says whether it can (`ready`) and does it (`capture`)."""

    budget = 0.03

    def on_train_start(self, trainer) -> None:
        self._started, self._spent = time.perf_counter(), 0.0

    def ready(self) -> bool:
        return True

    def capture(self, trainer, epoch: int) -> None:
        raise NotImplementedError

    def on_epoch_end(self, trainer, epoch) -> None:
        last = epoch.epoch + 1 >= trainer.config.epochs
        if not self.ready() or (self._spent > self.budget * (time.perf_counter() - self._started) and not last):
            return
        began = time.perf_counter()
        self.capture(trainer, epoch.epoch + 1)
        self._spent += time.perf_counter() - began
