"""Training on a QThread. Metrics cross to the UI batched, a few dozen times a second.

The trainer is built on the thread too: loading the data and the first use of the optimizers
import large libraries, and the window must not freeze meanwhile."""
from __future__ import annotations

import os
import threading
import time
from typing import Callable

from PySide6.QtCore import QObject, Signal, Slot

from ...train import Callback
from ...train.trainer import Trainer

EMIT_SECONDS = 0.04  # at most 25 updates a second
TRAIN_THREADS = max(1, (os.cpu_count() or 2) - 1)


def warm_up() -> threading.Thread:
    """Make a throwaway optimizer in the background once the window is open: the first one imports
    torch's compiler stack (a second or more, holding the interpreter lock), which would otherwise
    make the window stutter just after the first press of Train."""

    def work() -> None:
        import torch

        torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)

    thread = threading.Thread(target=work, name="netbuilder-warm-up", daemon=True)
    thread.start()
    return thread


class Channel(Callback):
    """Collects steps on the training thread; hands them over in batches."""

    def __init__(self, worker: "TrainWorker"):
        self.worker = worker
        self.pending: list = []
        self.lock = threading.Lock()
        self.last = 0.0

    def on_step_end(self, trainer, step) -> None:
        with self.lock:
            self.pending.append(step)
        now = time.perf_counter()
        if now - self.last >= EMIT_SECONDS or step.step + 1 == step.steps_per_epoch:
            self.last = now
            self.flush()

    def flush(self) -> None:
        with self.lock:
            batch, self.pending = self.pending, []
        if batch:
            self.worker.steps.emit(batch)

    def on_epoch_end(self, trainer, epoch) -> None:
        self.flush()
        self.worker.epoch.emit(epoch)


class TrainWorker(QObject):
    ready = Signal(object)  # the Trainer, built
    failed = Signal(str)  # why it could not be built
    steps = Signal(list)  # a batch of train.Step
    epoch = Signal(object)  # train.Epoch
    finished = Signal(object)  # train.Result

    def __init__(self, build: Callable[[], Trainer]):
        super().__init__()
        self.build = build
        self.trainer: Trainer | None = None
        self._lock = threading.Lock()
        self._stop = self._paused = False

    # ---- control (the UI thread); remembered until the trainer exists -------------------------
    def stop(self) -> None:
        with self._lock:
            self._stop = True
            if self.trainer is not None:
                self.trainer.stop()

    def set_paused(self, paused: bool) -> None:
        with self._lock:
            self._paused = paused
            if self.trainer is not None:
                self.trainer.pause() if paused else self.trainer.resume()

    @property
    def paused(self) -> bool:
        return self._paused

    @Slot()
    def run(self) -> None:
        import torch

        torch.set_num_threads(TRAIN_THREADS)  # leave a core to the window
        try:
            trainer = self.build()
        except Exception as e:  # noqa: BLE001 - TrainingError, GraphError, a bad checkpoint: all said in words
            self.failed.emit(str(e))
            return
        trainer.callbacks.append(Channel(self))
        with self._lock:
            self.trainer = trainer
            if self._stop:
                trainer.stop()
            if self._paused:
                trainer.pause()
        self.ready.emit(trainer)
        self.finished.emit(trainer.run())
