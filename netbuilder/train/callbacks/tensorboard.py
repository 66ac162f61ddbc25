"""TensorBoard event files in a run's folder (torch.utils.tensorboard with the tensorboard package): the loss
as the steps go, the learning rate and every metric of every epoch, each layer's mean gradient norm over
the epoch, histograms of the weights and their gradients, the network's graph, and for a sweep's trials
the hyperparameters with their results (HParams).

Writing stays off the training step. The loss is written as the mean of the steps since the last point, at
most POINTS_PER_SECOND points a second (TensorBoard shows a thousand points of a curve at most, and every
step's loss is in the run's steps.f32); points are written in bursts, at most every WRITE_SECONDS and at
each epoch's end. Histograms are written at an epoch's end when the time since the last ones is at least
HISTOGRAM_BUDGET times what they took (so they cost at most 1% of the run), and at the run's end."""
from __future__ import annotations

import logging
import math
import time
from pathlib import Path

from . import Callback

log = logging.getLogger("netbuilder")
WRITE_SECONDS = 2.0
POINTS_PER_SECOND = 50
HISTOGRAM_BUDGET = 100


class TensorBoardLog(Callback):
    def __init__(self, folder: Path, hparams: dict | None = None):
        self.folder = Path(folder)
        self.hparams = hparams  # a sweep trial's values: logged with its results at the end
        self.writer = None
        self.pending: list[tuple[int, float]] = []
        self.losses: list[float] = []  # since the last point
        self.pointed_at = time.perf_counter()
        self.norms: list[list[float]] = []
        self.written_at = time.perf_counter()
        self.histograms_at = time.perf_counter()
        self.histogram_cost = math.inf  # seconds the last histograms took (unknown: not before the run's end)

    def on_train_start(self, trainer) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(str(self.folder), flush_secs=WRITE_SECONDS * 5)
        except Exception:  # noqa: BLE001 - no tensorboard: the run goes on without event files
            log.warning("TensorBoard event files cannot be written", exc_info=True)
            self.writer = None
            return
        try:
            from ...compile import example_inputs

            if len(trainer.recipe.networks) == 1 and self.hparams is None:  # (a sweep's trials share one graph)
                model = trainer.model
                inputs = [t.to(trainer.device) for t in example_inputs(trainer.graph, batch_size=2)]
                was = model.training
                model.eval()
                try:
                    self.writer.add_graph(model, inputs)
                finally:
                    model.train(was)
        except Exception:  # noqa: BLE001 - a graph TensorBoard cannot trace is no reason to stop
            log.info("the network's graph was not written to TensorBoard", exc_info=True)

    def on_step_end(self, trainer, step) -> None:
        if self.writer is None:
            return
        self.losses.append(step.loss)
        if step.grad_norms:
            self.norms.append(step.grad_norms)
        now = time.perf_counter()
        if now - self.pointed_at >= 1 / POINTS_PER_SECOND:
            self._point(step.global_step, now)
        if now - self.written_at >= WRITE_SECONDS:
            self._write_steps()

    def _point(self, global_step: int, now: float) -> None:
        if self.losses:
            self.pending.append((global_step, sum(self.losses) / len(self.losses)))
            self.losses = []
        self.pointed_at = now

    def _write_steps(self) -> None:
        for global_step, loss in self.pending:
            self.writer.add_scalar("step/loss", loss, global_step)
        self.pending = []
        self.written_at = time.perf_counter()

    def on_epoch_end(self, trainer, epoch) -> None:
        if self.writer is None:
            return
        self._point(trainer.global_step - 1, time.perf_counter())
        self._write_steps()
        step = trainer.global_step
        self.writer.add_scalar("epoch/lr", epoch.lr, step)
        for name, value in epoch.metrics.items():
            if value is not None and math.isfinite(value):
                self.writer.add_scalar(f"epoch/{name}", value, step)
        if self.norms:
            layers = trainer.monitor.layers
            for i, layer in enumerate(layers):
                values = [n[i] for n in self.norms if len(n) == len(layers)]
                if values:
                    self.writer.add_scalar(f"gradient_norm/{layer}", sum(values) / len(values), step)
            self.norms = []
        if time.perf_counter() - self.histograms_at >= HISTOGRAM_BUDGET * self.histogram_cost:
            self._histograms(trainer, step)

    def _histograms(self, trainer, step: int) -> None:
        started = time.perf_counter()
        for name, param in trainer.model.named_parameters():
            self.writer.add_histogram(f"weights/{name}", param.detach().float().cpu(), step)
            if param.grad is not None:
                self.writer.add_histogram(f"gradients/{name}", param.grad.detach().float().cpu(), step)
        self.histograms_at = time.perf_counter()
        self.histogram_cost = self.histograms_at - started

    def on_train_end(self, trainer, result) -> None:
        if self.writer is None:
            return
        self._point(trainer.global_step - 1, time.perf_counter())
        self._write_steps()
        if result.epochs:
            self._histograms(trainer, trainer.global_step)
        if self.hparams is not None:
            final = {}
            for key in ("val_loss", "val_accuracy", "loss", "accuracy"):
                values = [e.metrics.get(key) for e in result.epochs if e.metrics.get(key) is not None]
                if values:
                    final[f"hparam/{key}"] = min(values) if "loss" in key else max(values)
            self.writer.add_hparams({k: (v if isinstance(v, (int, float, str, bool)) else str(v))
                                     for k, v in self.hparams.items()}, final or {"hparam/status": 0.0},
                                    run_name=".")
        self.writer.close()
        self.writer = None
