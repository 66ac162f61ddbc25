"""Training on a QThread. Metrics cross to the UI batched, a few dozen times a second."""
from __future__ import annotations

import threading
import time

from PySide6.QtCore import QObject, Signal, Slot

from ...train import Callback
from ...train.trainer import Trainer

EMIT_SECONDS = 0.04  # at most 25 updates a second


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
    steps = Signal(list)  # a batch of train.Step
    epoch = Signal(object)  # train.Epoch
    finished = Signal(object)  # train.Result

    def __init__(self, trainer: Trainer):
        super().__init__()
        self.trainer = trainer
        trainer.callbacks.append(Channel(self))

    @Slot()
    def run(self) -> None:
        self.finished.emit(self.trainer.run())
