"""Training on a QThread. Metrics cross to the UI batched, a few dozen times a second.

The trainer is built on the window's thread: building it on this one ran pure-Python graph code
alongside the window's garbage collector of Qt objects, and crashed now and then."""
from __future__ import annotations

import gc
import os
import threading
import time
from PySide6.QtCore import QCoreApplication, QObject, Signal, Slot

from ...train import Callback
from ...train.trainer import Result, Trainer

EMIT_SECONDS = 0.04  # at most 25 updates a second
TRAIN_THREADS = max(1, (os.cpu_count() or 2) - 1)


def warm_up() -> None:
    """Make a throwaway optimizer on the window's thread. The first one imports torch's compiler
    stack (a second or more); importing it on the training thread instead can deadlock against the
    window's thread. Instant after the first time."""
    import torch

    torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)


_runs = 0  # training runs going on in this process


def hold_garbage_collection() -> None:
    """While anything trains, collect cyclic garbage only on the window's thread (here, now).

    A collection on the training thread may free a Qt object from an old window there; PySide then
    deletes it on the window's thread while the training thread waits for the interpreter lock
    inside Qt, and the two threads deadlock. Freeing by reference count goes on as ever."""
    global _runs
    if _runs == 0:
        gc.collect()
        gc.disable()
    _runs += 1


def release_garbage_collection() -> None:
    global _runs
    _runs = max(0, _runs - 1)
    if _runs == 0:
        gc.enable()
        gc.collect()


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
        self.channel = Channel(self)
        trainer.callbacks.append(self.channel)

    @Slot()
    def run(self) -> None:
        import torch

        torch.set_num_threads(TRAIN_THREADS)  # leave a core to the window
        try:
            result = self.trainer.run()
        except Exception as e:  # noqa: BLE001 - the panel must always hear that the run ended
            result = Result("failed", f"training failed: {e}")
        self.trainer.callbacks.remove(self.channel)  # no cycle back to this QObject
        # Back to the window's thread before this one ends, so deleting it later is an ordinary
        # deletion there, not one on a thread that no longer runs.
        self.moveToThread(QCoreApplication.instance().thread())
        self.finished.emit(result)
