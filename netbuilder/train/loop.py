"""The one fit loop. It owns epochs, batching and shuffling, pause and stop, learning-rate schedules and
warmup, the non-finite rule, gradient monitoring, early stopping, checkpoints and resume, evaluation and
the callbacks; a recipe (recipes/) says what one step and one validation pass are. Knows nothing of Qt.

`stop()`, `pause()` and `resume()` may be called from another thread; a stop takes effect within one
batch. Per-step values stay on the device and are fetched in batches: every step on the CPU (there is
no device to wait for), every FETCH_SECONDS on a GPU, so the device never waits for Python.

Gradient norms are taken at the rate they are read: every NORMS_EVERY-th step and the last step of each epoch
(the heatmap, the canvas's tints, the diagnosis and TensorBoard read them as samples). A loss that stops being
finite is caught on its own step (every step's loss is read); a gradient that does, on its step when norms are
taken (every step when clipping: clipping takes them anyway), else by the next step's loss (the weights it
reached are no longer finite). An epoch never ends (nor is its checkpoint taken) on an unchecked gradient.
"""
from __future__ import annotations

import logging
import math
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from ..atomic import no_space
from ..graph.model import Graph
from .callbacks import Callback
from .config import TrainConfig
from .evaluate import Evaluation
from .gradients import GradientMonitor
from .errors import TrainingError
from .optim import batch_bounds, batch_statistics_of_one, lr_factor, pick_device
from .transfer import TransferError, load_matching

log = logging.getLogger("netbuilder")
FETCH_SECONDS = 0.04  # on a GPU: per-step values reach the host at most 25 times a second
RATIO_EVERY = 100  # steps between update-to-weight ratios (they copy every weight)
NORMS_EVERY = 4  # steps between gradient norms (and the last step of each epoch): 2% of a small CNN's step each
REMEDY = "Try a lower learning rate, gradient clipping (clip_norm), or BatchNorm."


@dataclass
class Step:
    epoch: int
    step: int  # within the epoch
    global_step: int
    steps_per_epoch: int
    samples: int
    lr: float
    metrics: dict[str, float]  # "loss", and what the recipe adds ("kl", "loss/generator", ...)
    grad_norms: list[float] = field(default_factory=list)  # per layer of monitor.layers, before clipping; empty
    #                                                         on a step whose norms were not taken (NORMS_EVERY)
    update_ratios: list[float] = field(default_factory=list)  # the latest ones (every RATIO_EVERY steps)

    @property
    def loss(self) -> float:
        return self.metrics["loss"]


@dataclass
class Epoch:
    epoch: int
    metrics: dict[str, float | None]  # training means ("loss", "accuracy", ...) and "val_..." values
    lr: float
    seconds: float

    @property
    def train_loss(self) -> float:
        return self.metrics["loss"]

    @property
    def train_acc(self) -> float | None:
        return self.metrics.get("accuracy")

    @property
    def val_loss(self) -> float | None:
        return self.metrics.get("val_loss")

    @property
    def val_acc(self) -> float | None:
        return self.metrics.get("val_accuracy")


def parts(metrics: dict, prefix: str) -> dict[str, float]:
    """The per-network (or per-term) values of a metric: {"generator": v} from "loss/generator"."""
    start = prefix + "/"
    return {k[len(start):]: v for k, v in metrics.items() if k.startswith(start)}


@dataclass
class Result:
    status: str  # "finished", "stopped", "early_stopped" or "failed"
    message: str = ""
    epochs: list[Epoch] = field(default_factory=list)
    bad_layer: str | None = None  # the first layer whose output or gradient was not finite
    evaluation: Evaluation | None = None  # on the test set, after training


class Controls:
    """Stop, pause and resume from any thread; a stop takes effect within one batch."""

    def __init__(self):
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()


@dataclass
class _Row:
    """One step's values, still on the device."""
    epoch: int
    step: int
    global_step: int
    samples: int
    metrics: dict[str, torch.Tensor]
    norms: dict[str, list[torch.Tensor]]  # per parameter tensor, by network
    ratios: dict[str, torch.Tensor]


class Trainer(Controls):
    """Trains the document's network(s) with the recipe that config.recipe names.

    train, val and test are tuples of tensors (inputs..., target) as the recipe's data() gives them."""

    def __init__(self, graph: Graph, config: TrainConfig, train, val=None, callbacks: list[Callback] = (),
                 network: str | None = None, checkpoint_dir: str | Path | None = None, test=None, augment=None):
        from .recipes import recipe_class  # the recipes import this module

        problems = config.problems()
        if problems:
            raise TrainingError("the training settings are not usable: " + "; ".join(problems))
        Controls.__init__(self)
        self.graph, self.config = graph, config
        torch.manual_seed(config.seed)
        self.device = pick_device(config.device)
        self.recipe = recipe_class(config.recipe)(graph, config, network)
        self.recipe.attach(self, train, val, test, augment)
        self.model = self.recipe.model
        self._refuse_batches_of_one()
        self.transferred: list[str] = []  # layers started from config.init_from
        self.transfer_skipped: list[str] = []
        if config.init_from:
            try:
                self.transferred, self.transfer_skipped = load_matching(self.model, config.init_from)
            except TransferError as e:
                raise TrainingError(str(e)) from None
        self.model.to(self.device)
        self.optimizers = self.recipe.configure_optimizers()
        self.schedulers = {k: torch.optim.lr_scheduler.LambdaLR(o, lambda e: lr_factor(config, e))
                           for k, o in self.optimizers.items()}
        self.amp = config.mixed_precision and self.device.type == "cuda" and self.recipe.mixed_precision
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp)
        self.monitor = GradientMonitor(self.recipe.networks)
        self.gen = torch.Generator().manual_seed(config.seed)  # shuffling, augmentation, noise; checkpointed
        self.fetch_seconds = 0.0 if self.device.type == "cpu" else FETCH_SECONDS
        # steps between gradient norms (their readers read this): every step when clipping, which takes them anyway
        self.norms_every = 1 if config.clip_norm else NORMS_EVERY
        self._take_norms = True  # on this step
        self.start_epoch = 0
        self.best = math.inf  # the best value of recipe.monitor so far
        self.improved = False  # did the epoch just ended improve on it
        self.steps_per_epoch = 0
        self.epoch = self.global_step = 0
        self.order = torch.arange(0)  # this epoch's shuffle
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir else None
        from .callbacks.checkpoints import Checkpoints
        from .callbacks.early_stopping import EarlyStopping

        # the loop's own callbacks first: the others hear of an epoch once its checkpoint is taken
        self.callbacks = [EarlyStopping(config.early_stopping)] if config.early_stopping and self.recipe.monitor else []
        if self.checkpoint_dir is not None:
            self.callbacks.append(Checkpoints(self.checkpoint_dir))
        self.callbacks += list(callbacks)
        self._early: str | None = None
        self._pending: list[_Row] = []
        self._fetched_at = -math.inf
        self._norms: dict[str, list[torch.Tensor]] = {}
        self._ratios: dict[str, torch.Tensor] = {}
        self._last_ratios: list[float] = []
        self._batch: tuple = ()
        self._sums: dict[str, float] = {}
        self._seen = 0
        self._lr_now = 0.0  # the rate of this epoch

    def _refuse_batches_of_one(self) -> None:
        """A BatchNorm layer cannot train on a batch of one sample where it sees one value per channel:
        said before training, rather than torch's error in its first step."""
        n = len(self.recipe.train_tensors[0])
        if min(b - a for a, b in batch_bounds(n, self.config.batch_size, self.recipe.drop_last)) > 1:
            return
        lone = batch_statistics_of_one(self.graph, {name for name, _ in self.model.named_children()})
        if lone:
            kind, name = lone[0]
            why, remedy = ("there is only one training sample", "train on more samples") if n == 1 else \
                ("batch_size is 1", "set batch_size to 2 or more")
            raise TrainingError(f"{kind} '{name}' cannot train on batches of one sample ({why}): it normalises"
                                f" each channel over the batch, and one sample leaves one value to normalise;"
                                f" {remedy}, or use LayerNorm")

    # ---- what recipes and callbacks use --------------------------------------------------------
    @property
    def lr(self) -> float:
        """The learning rate now (of a layer with lr_scale 1)."""
        scheduler = next(iter(self.schedulers.values()))
        return self.config.lr * lr_factor(self.config, scheduler.last_epoch)

    def autocast(self):
        """Mixed precision around a forward pass, where the run uses it."""
        return torch.autocast(self.device.type) if self.amp else nullcontext()

    def stop_early(self, message: str) -> None:
        """End the run after this epoch (early stopping)."""
        self._early = message

    def optimize(self, loss: torch.Tensor, network: str | None = None) -> None:
        """One optimizer step of a network on a loss: backward, the gradient norms (before clipping),
        the non-finite rule, clipping, the step, and now and then the update-to-weight ratios."""
        name = network or next(iter(self.optimizers))
        optimizer, part = self.optimizers[name], self.monitor.parts[name]
        if self.fetch_seconds == 0 and not math.isfinite(loss.item()):  # on the CPU, reading it costs nothing
            raise self._not_finite("loss", name)  # (gradients are checked when they are fetched)
        optimizer.zero_grad(set_to_none=True)
        scaled = self.scaler.scale(loss) if self.amp else loss
        if len(self.optimizers) > 1:  # only this network's weights get gradients
            scaled.backward(inputs=part.params)
        else:
            scaled.backward()
        if self.amp:
            self.scaler.unscale_(optimizer)
        if part.layers and self._take_norms:
            self._norms[name] = norms = part.norms()
            if self.config.clip_norm:  # clipped by the norms just taken (clip_grad_norm_ would take them again)
                nn.utils.clip_grads_with_norm_(part.params, self.config.clip_norm,
                                               torch.linalg.vector_norm(torch.stack(norms)))
        elif self.config.clip_norm:
            nn.utils.clip_grad_norm_(part.params, self.config.clip_norm)
        sample = self.global_step % RATIO_EVERY == 0 and part.layers
        if sample:
            part.remember_weights()
        if self.amp:
            self.scaler.step(optimizer)
        else:
            optimizer.step()
        if sample:
            self._ratios[name] = part.update_ratios()

    # ---- the loop ------------------------------------------------------------------------------
    def run(self) -> Result:
        result = Result("finished")
        try:
            self._emit("on_train_start", self)
            self._fit(result)
            if result.epochs and result.status != "failed":
                result.evaluation = self.recipe.test()
        except TrainingError as e:
            result.status, result.message, result.bad_layer = "failed", str(e), e.layer
        except Exception as e:  # noqa: BLE001 - the run's boundary: torch's errors on this data and network
            if no_space(e):
                result.status, result.message = "failed", out_of_space(e, self.checkpoint_dir, self._epochs_done(result))
            else:
                log.exception("training failed")
                result.status, result.message = "failed", f"training failed: {_first_line(e)}"
        self._pending.clear()
        for callback in list(self.callbacks):  # each one hears the end, whatever another one did
            try:
                callback.on_train_end(self, result)
            except Exception as e:  # noqa: BLE001 - e.g. the last checkpoint could not be written
                if not no_space(e):
                    log.exception("ending the run failed")
                    result.message = f"{result.message} {_first_line(e)}".strip()
                elif not result.message.startswith("no space left"):  # said once, whichever file it was
                    result.status = "failed"
                    result.message = out_of_space(e, self.checkpoint_dir, self._epochs_done(result))
        return result

    def _epochs_done(self, result: Result) -> int:
        return result.epochs[-1].epoch + 1 if result.epochs else self.start_epoch

    def _fit(self, result: Result) -> None:
        data = self.recipe.train_tensors
        n = len(data[0])
        bounds = batch_bounds(n, self.config.batch_size, self.recipe.drop_last)
        self.steps_per_epoch = len(bounds)
        self.global_step = self.start_epoch * len(bounds)
        for epoch in range(self.start_epoch, self.config.epochs):
            started = time.perf_counter()
            self.epoch = epoch
            self._emit("on_epoch_start", self, epoch)
            self.recipe.train()
            self.order = torch.randperm(n, generator=self.gen).to(self.device)
            self._sums, self._seen = {}, 0
            self._lr_now = self.lr
            automatic, amp, step_fn, every = self.recipe.automatic, self.amp, self.recipe.training_step, \
                self.fetch_seconds
            last = len(bounds) - 1
            for step, (a, b) in enumerate(bounds):
                if (not self._running.is_set() or self._stop.is_set()) and self._wait_or_stop(result):
                    self._fetch()
                    return
                idx = self.order[a:b]
                batch = self._batch = tuple([t[idx] for t in data])
                self._norms, self._ratios = {}, {}
                self._take_norms = self.global_step % self.norms_every == 0 or step == last
                if not automatic:
                    metrics = step_fn(batch)
                elif amp:
                    with self.autocast():
                        metrics = step_fn(batch)
                    self.optimize(metrics["loss"])
                else:
                    metrics = step_fn(batch)
                    self.optimize(metrics["loss"])
                if amp:
                    self.scaler.update()
                self._pending.append(_Row(epoch, step, self.global_step, b - a, metrics, self._norms, self._ratios))
                self.global_step += 1
                if not every or time.perf_counter() - self._fetched_at >= every:
                    self._fetch()
            self._fetch()
            lr = self.lr  # the rate this epoch trained with
            for scheduler in self.schedulers.values():
                scheduler.step()
            means = {k: v / self._seen for k, v in self._sums.items()}
            metrics = {**means, **self.recipe.training_epoch_end(), **self.recipe.validation()}
            record = Epoch(epoch, metrics, lr, time.perf_counter() - started)
            result.epochs.append(record)
            watched = metrics.get(self.recipe.monitor) if self.recipe.monitor else None
            self.improved = watched is not None and watched < self.best
            if self.improved:
                self.best = watched
            self._emit("on_epoch_end", self, record)
            if self._early:
                result.status, result.message = "early_stopped", self._early
                return

    def _wait_or_stop(self, result: Result) -> bool:
        """Wait while paused; True (and the result says so) when a stop was asked for."""
        if not self._running.is_set():
            self._fetch()  # what was done before the pause is shown while paused
            self._emit("on_pause", self)
            self._running.wait()
            if not self._stop.is_set():
                self._emit("on_resume", self)
        if self._stop.is_set():
            result.status, result.message = "stopped", f"stopped during epoch {self.epoch + 1}"
            return True
        return False

    def _fetch(self) -> None:
        """Copy the pending steps' values to the host in one go, check them, and hand them to the callbacks."""
        self._fetched_at = time.perf_counter()
        rows, self._pending = self._pending, []
        if not rows:
            return
        parts = self.monitor.parts
        if len(rows) == 1:  # on the CPU: nothing to gather
            row = rows[0]
            values = [[t.item() for t in row.metrics.values()]]
            norms = [[v for name, ts in row.norms.items() for v in parts[name].per_layer([t.item() for t in ts])]]
        else:
            values = _host([torch.stack([t.detach().float() for t in r.metrics.values()]) for r in rows])
            norms = [[] for _ in rows]
            taken = [i for i, r in enumerate(rows) if r.norms]  # the rows whose step took norms
            for name, part in parts.items():
                if part.layers and taken and all(name in rows[i].norms for i in taken):
                    for i, per_param in zip(taken, _host([torch.stack(rows[i].norms[name]) for i in taken])):
                        norms[i] += part.per_layer(per_param)
        lr, sums, isfinite = self._lr_now, self._sums, math.isfinite
        for row, vals, grad in zip(rows, values, norms):
            metrics = dict(zip(row.metrics, vals))
            if not all(map(isfinite, vals)) or not all(map(isfinite, grad)):
                what = "loss" if not isfinite(metrics.get("loss", 0.0)) else "gradient"
                raise self._not_finite(what, None, grad, row.global_step)
            if row.ratios and len(row.ratios) == len(parts):
                self._last_ratios = [r for name, part in parts.items() for r in part.ratios(row.ratios[name].tolist())]
            for k, v in metrics.items():
                sums[k] = sums.get(k, 0.0) + v * row.samples
            self._seen += row.samples
            step = Step(row.epoch, row.step, row.global_step, self.steps_per_epoch, row.samples, lr, metrics, grad,
                        self._last_ratios)
            for callback in self.callbacks:
                callback.on_step_end(self, step)

    def _not_finite(self, what: str, network: str | None, norms=None, step: int | None = None) -> TrainingError:
        """Name where a value stopped being finite: the data itself; else, for a loss, the first layer (in the
        order the batch reaches them) whose output is not finite; for a gradient, the first layer whose
        gradient is not (`norms`: per layer, of every network in turn)."""
        step = self.global_step if step is None else step
        bad = where = None
        if what == "gradient" and norms is not None:
            bad, where = next((n for n, v in zip(self.monitor.layers, norms) if not math.isfinite(v)), None), "gradient"
            network = network or next((k for k, layers in self.monitor.networks.items() if bad in layers), None)
        role = f"the {network}'s" if network and len(self.optimizers) > 1 else "the"
        if any(t.is_floating_point() and not bool(torch.isfinite(t).all()) for t in self._batch):
            return TrainingError(f"{role} {what} became NaN or infinite at step {step + 1}: the training data itself"
                                 " holds NaN or infinite values; fill or drop them (the Data panel reports missing"
                                 " values in a CSV)")
        if bad is None:
            bad, where = self._first_bad_output(), "output"
        detail = f": the first layer with a non-finite {where} is '{bad}'" if bad else ""
        return TrainingError(f"{role} {what} became NaN or infinite at step {step + 1}{detail}. {REMEDY}", bad)

    def _first_bad_output(self) -> str | None:
        found: list[str] = []
        hooks = [m.register_forward_hook(
            lambda mod, inp, out, name=name: found.append(name)
            if isinstance(out, torch.Tensor) and out.is_floating_point() and not torch.isfinite(out).all() else None)
            for name, m in self.model.named_children()]
        try:
            with torch.no_grad():
                self.recipe.probe(self._batch)
        except Exception:  # noqa: BLE001 - naming the layer is a courtesy; the run fails anyway
            log.exception("probing for the non-finite layer failed")
        finally:
            for h in hooks:
                h.remove()
        return found[0] if found else None

    def _emit(self, hook: str, *args) -> None:
        for callback in list(self.callbacks):
            getattr(callback, hook)(*args)

    # ---- checkpoints -----------------------------------------------------------------------------
    def state(self, epoch: int) -> dict:
        """Everything needed to go on after `epoch`: weights, optimizers, schedules, the shuffle."""
        from .callbacks.checkpoints import copy_state

        return {"format": 2, "recipe": self.config.recipe, "model": copy_state(self.model.state_dict()),
                "optimizers": {k: copy_state(o.state_dict()) for k, o in self.optimizers.items()},
                "schedulers": {k: s.state_dict() for k, s in self.schedulers.items()},
                "epoch": epoch, "best": self.best, "shuffle": self.gen.get_state(),
                "recipe_state": copy_state(self.recipe.state_dict())}

    def load_checkpoint(self, path: str | Path) -> None:
        """Resume: weights, optimizers, schedules and shuffle; training goes on after its epoch."""
        from .callbacks.checkpoints import restore

        restore(self, Path(path))


def _host(tensors: list[torch.Tensor]) -> list[list[float]]:
    """Rows of values on the host, with one copy from the device."""
    if len(tensors) == 1:
        return [tensors[0].tolist()]
    return torch.stack(tensors).tolist()


def out_of_space(error: OSError, folder: Path | None, epochs: int) -> str:
    """What a run that filled the disk says: where, how far it got, and that what it wrote is whole (every file
    is written atomically)."""
    where = Path(error.filename).parent if error.filename else folder
    if not epochs:
        return f"no space left on the disk of {where or 'the run'}: the run stopped before its first epoch"
    return f"no space left on the disk of {where or 'the run'}: the run stopped after epoch {epochs}; its" \
        " checkpoints are intact"


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def make_trainer(graph: Graph, config: TrainConfig, callbacks=(), checkpoint_dir=None, spec=None,
                 progress=None, download: bool = False, prepared=None):
    """(trainer, data) for the document, the one way in for the window, the terminal and sweeps: the recipe
    says what data it takes (`prepared`: the dataset already read, as a sweep's trials share it). Raises
    TrainingError (or GraphError) saying what is wrong."""
    from ..data.dataset import DataSpec
    from .settings import settings_problems
    from .recipes import recipe_class

    problems = settings_problems(graph.meta, sections=("data", "diagnosis")) + config.problems()
    if problems:
        raise TrainingError("the settings are not usable: " + "; ".join(problems))
    spec = spec or DataSpec.from_dict(graph.meta.get("data"))
    data = recipe_class(config.recipe).data(graph, config, spec, progress, download, prepared)
    trainer = Trainer(graph, config, data.train, data.val, callbacks=list(callbacks), checkpoint_dir=checkpoint_dir,
                      test=data.test, augment=data.augment)
    return trainer, data
