"""Keeps a run's folder up to date as it trains: every step's values (written in blocks), a row per
epoch, the best results, the status (paused too, while a pause holds it) and the test-set results at the end."""
from __future__ import annotations

import time

from ..processes import this_process
from .run import Run
from ..train.callbacks import Callback

WRITE_SECONDS = 1.0  # step rows are written at most once a second (and at every epoch's end)
SAVE_SECONDS = 1.0  # run.json (status, best results) is rewritten at most once a second, and at the end


class RunRecorder(Callback):
    def __init__(self, run: Run):
        self.run = run
        self.rows: list[list[float]] = []
        self.columns: list[str] = []
        self.written_at = time.perf_counter()
        self.saved_at = -SAVE_SECONDS

    def on_train_start(self, trainer) -> None:
        self.run.status, self.run.message, self.run.ended = "running", "", None
        self.run.owner = this_process()  # `netbuilder runs` elsewhere tells a run trained now from one cut short
        self.run.baseline = trainer.recipe.baseline()  # what the coach compares the curves with
        self.run.save()

    def on_step_end(self, trainer, step) -> None:
        if not self.columns:
            self.columns = ["step", "lr", *step.metrics]
        self.rows.append([step.global_step, step.lr, *(step.metrics.get(k, float("nan")) for k in self.columns[2:])])
        if time.perf_counter() - self.written_at >= WRITE_SECONDS:
            self._write()

    def _write(self) -> None:
        self.run.append_steps(self.columns, self.rows)
        self.rows = []
        self.written_at = time.perf_counter()

    def on_epoch_end(self, trainer, epoch) -> None:
        self._write()
        row = {"epoch": epoch.epoch + 1, "step": trainer.global_step, "lr": epoch.lr,
               "seconds": round(epoch.seconds, 3), **epoch.metrics}
        self.run.append_epoch(row)
        self.run.epochs_done = epoch.epoch + 1
        for key, value in epoch.metrics.items():
            if value is None or not key.startswith("val_") and key not in ("loss", "accuracy"):
                continue
            better = max if "accuracy" in key else min
            old = self.run.best.get(key)
            self.run.best[key] = value if old is None else better(old, value)
        if time.perf_counter() - self.saved_at >= SAVE_SECONDS:  # run.json is synced to disk: not every epoch
            self.run.save()
            self.saved_at = time.perf_counter()

    def on_pause(self, trainer) -> None:
        self._write()
        self.run.status = "paused"
        self.run.save()

    def on_resume(self, trainer) -> None:
        self.run.status = "running"
        self.run.save()

    def on_train_end(self, trainer, result) -> None:
        self._write()
        self.run.status, self.run.message, self.run.ended = result.status, result.message, time.time()
        if result.evaluation is not None:
            self.run.write_evaluation(result.evaluation)
        self.run.save()
