"""The trainer: builds the model from the graph and trains it. Knows nothing of Qt.

Monitoring and the UI are callbacks (see callbacks.py). `stop()`, `pause()` and `resume()` may be
called from another thread; a stop takes effect within one batch.
"""
from __future__ import annotations

import math
import os
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from ..analysis import Analysis
from ..compile import build_model
from ..compile.plan import network_nodes
from ..graph.model import Graph
from ..layers.modules import Reparameterize
from .callbacks import Callback
from .config import TrainConfig
from .evaluate import Evaluation, evaluate
from .gradients import GradientMonitor
from .transfer import TransferError, load_matching

CLASSIFICATION = ("cross_entropy", "nll", "bce_with_logits")
GENERATIVE = ("reconstruction", "variational")  # recipes whose target is the input itself
RECONSTRUCTION_LOSSES = ("mse", "l1", "bce_with_logits")
CHECKPOINT_SECONDS = 5.0  # the newest checkpoint on disk is at most this old while training
RATIO_EVERY = 25  # steps between update-to-weight ratios (they copy every weight)


@dataclass
class Step:
    epoch: int
    step: int  # within the epoch
    global_step: int
    steps_per_epoch: int
    loss: float
    lr: float
    samples: int
    grad_norms: list[float] = field(default_factory=list)
    update_ratios: list[float] = field(default_factory=list)
    kl: float | None = None  # variational: the batch's KL term (unweighted; loss holds kl_weight x kl)


@dataclass
class Epoch:
    epoch: int
    train_loss: float
    train_acc: float | None
    val_loss: float | None
    val_acc: float | None
    lr: float
    seconds: float
    kl: float | None = None  # variational: the mean KL term of the epoch's batches (unweighted)


@dataclass
class Result:
    status: str  # "finished", "stopped", "early_stopped" or "failed"
    message: str = ""
    epochs: list[Epoch] = field(default_factory=list)
    bad_layer: str | None = None  # the first layer whose output or gradient was not finite
    evaluation: Evaluation | None = None  # on the test set, after training


class TrainingError(Exception):
    pass


def pick_device(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise TrainingError("device 'cuda' was chosen but no CUDA GPU is available")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise TrainingError("device 'mps' was chosen but Apple's MPS is not available")
    return torch.device(name)


def make_loss(name: str) -> nn.Module:
    return {"cross_entropy": nn.CrossEntropyLoss, "bce_with_logits": nn.BCEWithLogitsLoss,
            "mse": nn.MSELoss, "l1": nn.L1Loss, "nll": nn.NLLLoss}[name]()


def make_optimizer(config: TrainConfig, model: nn.Module, graph: Graph) -> torch.optim.Optimizer:
    """One parameter group per learning-rate scale (a node's lr_scale); frozen layers left out."""
    scales: dict[float, list] = {}
    for name, module in model.named_children():
        node = graph.by_name(name)
        scale = float(node.params.get("lr_scale", 1.0)) if node else 1.0
        scales.setdefault(scale, []).extend(p for p in module.parameters() if p.requires_grad)
    groups = [{"params": params, "lr": config.lr * scale} for scale, params in scales.items() if params]
    if not groups:
        raise TrainingError("every layer is frozen (trainable is off): there is nothing to train")
    c = config
    if c.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=c.lr, momentum=c.momentum, nesterov=c.nesterov and c.momentum > 0,
                               weight_decay=c.weight_decay)
    if c.optimizer == "adam":
        return torch.optim.Adam(groups, lr=c.lr, weight_decay=c.weight_decay)
    if c.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=c.lr, weight_decay=c.weight_decay)
    return torch.optim.RMSprop(groups, lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay)


def lr_factor(config: TrainConfig, epoch: int) -> float:
    """The learning-rate multiplier for an epoch: linear warmup, then the schedule."""
    c = config
    if epoch < c.warmup_epochs:
        return (epoch + 1) / c.warmup_epochs
    e = epoch - c.warmup_epochs
    if c.schedule == "step":
        return c.gamma ** (e // c.step_size)
    if c.schedule == "exponential":
        return c.gamma ** e
    if c.schedule == "cosine":
        span = max(1, c.epochs - c.warmup_epochs)
        return 0.5 * (1 + math.cos(math.pi * min(e, span) / span))
    return 1.0


class Controls:
    """Stop, pause and resume from any thread (a stop takes effect within one batch), and the
    callbacks' hooks: what every trainer (supervised, adversarial, side by side) shares."""

    callbacks: list[Callback]

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

    def _stopped(self, result: Result, epoch: int) -> bool:
        """Wait while paused; True (and the result says so) when a stop was asked for."""
        self._running.wait()
        if self._stop.is_set():
            result.status, result.message = "stopped", f"stopped during epoch {epoch + 1}"
            return True
        return False

    def _emit(self, hook: str, *args) -> None:
        for callback in self.callbacks:
            getattr(callback, hook)(*args)


class Trainer(Controls):
    def __init__(self, graph: Graph, config: TrainConfig, train: tuple[torch.Tensor, torch.Tensor],
                 val: tuple[torch.Tensor, torch.Tensor] | None = None, callbacks: list[Callback] = (),
                 network: str | None = None, checkpoint_dir: str | Path | None = None,
                 test: tuple[torch.Tensor, torch.Tensor] | None = None, augment=None):
        problems = config.problems()
        if problems:
            raise TrainingError("the training settings are not usable: " + "; ".join(problems))
        self.graph, self.config, self.callbacks = graph, config, list(callbacks)
        torch.manual_seed(config.seed)
        self.device = pick_device(config.device)
        self.reconstructs = config.recipe in GENERATIVE  # the target is the input (labels unused)
        if self.reconstructs and config.loss not in RECONSTRUCTION_LOSSES:
            raise TrainingError(f"the {config.recipe} recipe compares the network's output with its input:"
                                f" choose the mse loss (or l1, or bce_with_logits), not {config.loss}")
        analysis = Analysis(graph) if self.reconstructs else None
        try:
            self.model = build_model(graph, network, analysis)
            if analysis is not None:
                _check_reconstruction(graph, network, analysis, config.recipe)
        finally:
            if analysis is not None:
                analysis.close()
        # variational: the Reparameterize layers whose KL terms join the loss (empty otherwise)
        self._kl_modules = [m for m in self.model.modules() if isinstance(m, Reparameterize)] \
            if config.recipe == "variational" else []
        if config.recipe == "variational" and not self._kl_modules:
            raise TrainingError("the variational recipe needs a Reparameterize layer between the encoder and"
                                " the decoder: add one, or choose the reconstruction recipe")
        self._step_kl: float | None = None
        self.transferred: list[str] = []  # layers started from config.init_from
        self.transfer_skipped: list[str] = []
        if config.init_from:
            try:
                self.transferred, self.transfer_skipped = load_matching(self.model, config.init_from)
            except TransferError as e:
                raise TrainingError(str(e)) from None
        self.model = self.model.to(self.device)
        self.train_data = tuple(t.to(self.device) for t in train)
        self.val_data = tuple(t.to(self.device) for t in val) if val is not None and len(val[0]) else None
        self.test_data = tuple(t.to(self.device) for t in test) if test is not None and len(test[0]) else None
        if self.reconstructs:  # the input is its own target: (x, x), one tensor, no copy
            self.train_data = (self.train_data[0], self.train_data[0])
            self.val_data = (self.val_data[0], self.val_data[0]) if self.val_data else None
            self.test_data = (self.test_data[0], self.test_data[0]) if self.test_data else None
        self.augment = augment  # callable(batch, generator): training batches only
        self.loss_fn = make_loss(config.loss)
        self.optimizer = make_optimizer(config, self.model, graph)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, lambda e: lr_factor(config, e))
        self.amp = config.mixed_precision and self.device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp)
        self.monitor = GradientMonitor(self.model)
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir else None
        self._gen = torch.Generator().manual_seed(config.seed)  # shuffling and augmentation; checkpointed
        self._unsaved: dict[str, dict] = {}  # file name -> state not yet written
        self._saved_at = -math.inf
        self.start_epoch = 0
        self.best_val = math.inf
        self._last_norms: list[float] = []
        self._last_ratios: list[float] = []
        Controls.__init__(self)

    # ---- the loop ----------------------------------------------------------------------------
    def run(self) -> Result:
        result = Result("finished")
        self._emit("on_train_start", self)
        try:
            self._loop(result)
            if self.test_data is not None and result.epochs:
                result.evaluation = self.evaluate(self.test_data, limit=64)
        except TrainingError as e:
            result.status, result.message = "failed", str(e)
            result.bad_layer = getattr(e, "layer", None)
        except (RuntimeError, ValueError) as e:
            result.status, result.message = "failed", f"training failed: {e}"
        try:
            self.write_checkpoints()
        except Exception as e:  # noqa: BLE001 - a full disk is a RuntimeError from torch.save
            self._unsaved.clear()
            result.message += f" The checkpoints could not be written: {str(e).splitlines()[0]}"
        self._emit("on_train_end", self, result)
        return result

    def _loop(self, result: Result) -> None:
        x, y = self.train_data
        same = y is x  # reconstruction: the batch is its own target (taken before augmentation)
        n = len(x)
        bs = self.config.batch_size
        steps = max(1, math.ceil(n / bs))
        gen = self._gen
        global_step = self.start_epoch * steps
        patience = 0
        for epoch in range(self.start_epoch, self.config.epochs):
            started = time.perf_counter()
            self._emit("on_epoch_start", self, epoch)
            self.model.train()
            order = torch.randperm(n, generator=gen).to(self.device)
            total_loss, total_kl, predicted, seen = 0.0, 0.0, [], 0  # predictions compared once an epoch
            for step in range(steps):
                if self._stopped(result, epoch):
                    return
                idx = order[step * bs:(step + 1) * bs]
                xb = x[idx]
                yb = xb if same else y[idx]
                if self.augment is not None:
                    xb = self.augment(xb, gen)
                loss, out = self._train_step(xb, yb, global_step)
                total_loss += loss * len(idx)
                seen += len(idx)
                if self._classifies:
                    predicted.append(self._predict(out))
                if self._step_kl is not None:
                    total_kl += self._step_kl * len(idx)
                info = Step(epoch, step, global_step, steps, loss, self.lr,
                            len(idx), self._last_norms, self._last_ratios, self._step_kl)
                self._emit("on_step_end", self, info)
                global_step += 1
            lr = self.lr  # the rate this epoch trained with
            self.scheduler.step()
            val = self.evaluate(self.val_data) if self.val_data else None
            val_loss, val_acc = (val.loss, val.accuracy) if val else (None, None)
            train_acc = self._right(torch.cat(predicted), y[order]) / seen if self._classifies else None
            record = Epoch(epoch, total_loss / seen, train_acc, val_loss, val_acc, lr,
                           time.perf_counter() - started, total_kl / seen if self._kl_modules else None)
            result.epochs.append(record)
            self._emit("on_epoch_end", self, record)
            improved = val_loss is not None and val_loss < self.best_val
            if improved:
                self.best_val = val_loss
                patience = 0
            else:
                patience += 1
            self._save_checkpoints(epoch, improved)
            if self.config.early_stopping and val_loss is not None and patience >= self.config.early_stopping:
                result.status = "early_stopped"
                result.message = (f"validation loss did not improve for {patience} epochs:"
                                  f" stopped after epoch {epoch + 1}")
                return

    @property
    def lr(self) -> float:
        """The learning rate now (of a layer with lr_scale 1)."""
        return self.config.lr * self.scheduler.lr_lambdas[0](self.scheduler.last_epoch)

    @property
    def _classifies(self) -> bool:
        return self.config.loss in CLASSIFICATION and not self.reconstructs

    def _train_step(self, xb, yb, global_step: int):
        self.optimizer.zero_grad(set_to_none=True)
        if self.amp:
            with torch.autocast(self.device.type):
                out, loss = self._forward(xb, yb)
        else:
            out, loss = self._forward(xb, yb)
        value = loss.item()
        if self._kl_modules:
            self._step_kl = float(self._kl_now)
        if not math.isfinite(value):
            self._fail_not_finite(xb, yb, global_step, "loss")
        if self.amp:
            self.scaler.scale(loss).backward()
            self.scaler.unscale_(self.optimizer)
        else:
            loss.backward()
        norms = self.monitor.grad_norms()  # before clipping
        if not all(map(math.isfinite, norms)):
            self._fail_not_finite(xb, yb, global_step, "gradient", norms)
        if self.config.clip_norm:
            nn.utils.clip_grad_norm_(self.model.parameters(), self.config.clip_norm)
        sample_ratio = global_step % RATIO_EVERY == 0
        if sample_ratio:
            self.monitor.remember_weights()
        if self.amp:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        self._last_norms = norms
        if sample_ratio:
            self._last_ratios = self.monitor.update_ratios().tolist()
        return value, out.detach()

    def _forward(self, xb, yb):
        out = self.model(xb)
        loss = self.loss_fn(out, self._target(yb, out))
        if self._kl_modules:  # variational: plus the KL terms this forward pass left on the modules
            kl = self.kl_term()
            self._kl_now = kl.detach()
            loss = loss + self.config.kl_weight * kl
        if self.config.l1:
            loss = loss + self.config.l1 * sum(p.abs().sum() for p in self.model.parameters()
                                               if p.requires_grad and p.dim() > 1)
        return out, loss

    def kl_term(self) -> torch.Tensor:
        """The sum of the KL terms of the model's Reparameterize layers from the last forward pass."""
        return sum(m.kl for m in self._kl_modules)

    def _target(self, yb, out):
        if self.config.loss in ("bce_with_logits", "mse", "l1"):
            return yb.to(out.dtype).reshape(out.shape) if yb.numel() == out.numel() else yb.to(out.dtype)
        return yb.long()

    def _predict(self, out) -> torch.Tensor:
        """The predicted class per sample (classification losses only; no wait for the device)."""
        return out.argmax(dim=1) if self.config.loss in ("cross_entropy", "nll") else (out > 0).flatten()

    @staticmethod
    def _right(predicted, labels) -> int:
        return int((predicted.to(labels.dtype) == labels.reshape(predicted.shape)).sum())

    def evaluate(self, data, limit: int = 0) -> Evaluation:
        """The network as it is now on (x, y): loss, accuracy, confusion, up to `limit` it got wrong.

        Reconstruction and variational recipes: the loss of reconstructing x (labels are not used);
        variational adds kl_weight x the KL term, with z at its mean (eval mode)."""
        if self.reconstructs:
            loss_fn = self.loss_fn
            if self._kl_modules:
                def loss_fn(out, target):
                    return self.loss_fn(out, target) + self.config.kl_weight * self.kl_term()
            return evaluate(self.model, data[0], data[0], loss_fn, self._target, None, limit=limit)
        classify = {"cross_entropy": "multiclass", "nll": "multiclass", "bce_with_logits": "binary"}
        return evaluate(self.model, *data, self.loss_fn, self._target, classify.get(self.config.loss),
                        limit=limit)

    def _fail_not_finite(self, xb, yb, step: int, what: str, norms=None) -> None:
        """Name the first layer (in network order) whose output, then gradient, is not finite."""
        bad = None
        found: list[str] = []
        hooks = [m.register_forward_hook(
            lambda mod, inp, out, name=name: found.append(name)
            if isinstance(out, torch.Tensor) and not torch.isfinite(out).all() else None)
            for name, m in self.model.named_children()]
        try:
            with torch.no_grad():
                self.model(xb)
        finally:
            for h in hooks:
                h.remove()
        if found:
            bad, where = found[0], "output"
        elif norms is not None:
            bad = next((n for n, v in zip(self.monitor.layers, norms) if not math.isfinite(v)), None)
            where = "gradient"
        detail = f": the first layer with a non-finite {where} is '{bad}'" if bad else ""
        raise _NotFinite(f"the {what} became NaN or infinite at step {step + 1}{detail}. "
                         "Try a lower learning rate, gradient clipping, or BatchNorm.", bad)

    def _save_checkpoints(self, epoch: int, best: bool) -> None:
        """Keep the newest and best states; write them at most every CHECKPOINT_SECONDS and at the end
        (serialising holds the interpreter lock, which the window needs to stay smooth)."""
        if self.checkpoint_dir is None:
            return
        state = {"model": copy_state(self.model.state_dict()), "optimizer": copy_state(self.optimizer.state_dict()),
                 "scheduler": self.scheduler.state_dict(), "epoch": epoch, "best_val": self.best_val,
                 "shuffle": self._gen.get_state()}
        self._unsaved["last.pt"] = state
        if best:
            self._unsaved["best.pt"] = state
        if time.perf_counter() - self._saved_at >= CHECKPOINT_SECONDS:
            try:
                self.write_checkpoints()
            except Exception as e:  # noqa: BLE001 - a full disk is a RuntimeError from torch.save
                self._unsaved.clear()
                raise TrainingError(f"the checkpoints could not be written to {self.checkpoint_dir}:"
                                    f" {str(e).splitlines()[0]}") from None

    def write_checkpoints(self) -> None:
        write_states(self.checkpoint_dir, self._unsaved)
        self._saved_at = time.perf_counter()

    def load_checkpoint(self, path: str | Path) -> None:
        """Resume: weights, optimizer and schedule state; training goes on after its epoch."""
        path = Path(path)
        if not path.is_file():
            raise TrainingError(f"there is no checkpoint to resume from at '{path}'")
        bases = list(self.scheduler.base_lrs)  # the learning rates set now, not those of that run
        try:
            state = torch.load(path, map_location=self.device, weights_only=True)
            self.model.load_state_dict(state["model"])
        except Exception as e:  # another network's checkpoint, or a damaged file
            lines = [line.strip() for line in str(e).splitlines()[1:] if line.strip()]
            detail = "; ".join(lines[:2]) or str(e).splitlines()[0]
            raise TrainingError(f"cannot resume from '{path.name}': the network has changed since that run"
                                f" ({detail})") from None
        try:
            self.optimizer.load_state_dict(state["optimizer"])
            self.scheduler.load_state_dict(state["scheduler"])
            epoch, best = int(state["epoch"]), float(state["best_val"])
        except (ValueError, KeyError, TypeError):
            raise TrainingError(f"cannot resume from '{path.name}': layers were frozen, unfrozen or given another"
                                " lr_scale since that run; start a new run instead") from None
        if "shuffle" in state:
            self._gen.set_state(state["shuffle"])
        factor = self.scheduler.lr_lambdas[0](self.scheduler.last_epoch)
        self.scheduler.base_lrs = bases
        for group, base in zip(self.optimizer.param_groups, bases):
            group["initial_lr"], group["lr"] = base, base * factor
        if epoch + 1 >= self.config.epochs:
            raise TrainingError(f"the checkpoint already has all {self.config.epochs} epochs:"
                                " raise epochs to train on")
        self.start_epoch, self.best_val = epoch + 1, best



def _check_reconstruction(graph: Graph, network: str | None, analysis: Analysis, recipe: str) -> None:
    """The output must hold as many values per sample as the input: it is compared with it."""
    members = network_nodes(graph, network)
    inputs = [n for n in members if graph.node(n).type == "Input"]
    outputs = [n for n in members if graph.node(n).type == "Output"]
    if len(inputs) != 1 or len(outputs) != 1:
        raise TrainingError(f"the {recipe} recipe needs a network with one Input and one Output"
                            f" (this one has {len(inputs)} and {len(outputs)})")
    given, taken = analysis.inputs(outputs[0])["in"], analysis.output(inputs[0])
    if math.prod(given.shape) != math.prod(taken.shape):
        size = math.prod(taken.shape)
        raise TrainingError(f"the {recipe} recipe compares the Output with the Input, but the Output"
                            f" '{graph.node(outputs[0]).name}' gives {given} ({math.prod(given.shape)} values)"
                            f" and the Input '{graph.node(inputs[0]).name}' takes {taken} ({size} values):"
                            f" make the last layer give {size} values (a Linear with {size} outputs, then a"
                            f" Reshape to {list(taken.shape)})")


def write_states(folder: Path, unsaved: dict[str, dict]) -> None:
    """Write each state to folder/name through a .part file (a crash mid-write leaves the old file
    whole); a state listed twice (the best is also the last) is serialised once, then copied."""
    if not unsaved:
        return
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, state in unsaved.items():
        target = folder / name
        part = target.with_name(target.name + ".part")
        if id(state) in written:
            shutil.copyfile(written[id(state)], part)
        else:
            torch.save(state, part)
        os.replace(part, target)
        written[id(state)] = target
    unsaved.clear()


def copy_state(state):
    """A snapshot of a state dict: tensors cloned, containers rebuilt."""
    if isinstance(state, torch.Tensor):
        return state.detach().clone()
    if isinstance(state, dict):
        return {k: copy_state(v) for k, v in state.items()}
    if isinstance(state, (list, tuple)):
        return type(state)(copy_state(v) for v in state)
    return state


class _NotFinite(TrainingError):
    def __init__(self, message: str, layer: str | None):
        super().__init__(message)
        self.layer = layer
