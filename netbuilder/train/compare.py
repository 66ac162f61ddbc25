"""Side by side: every network of a document trains on the same batches, each with its own
optimizer, so their curves and gradients can be compared (the vanishing-gradient lesson)."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import torch
from torch import nn

from ..compile import build_model
from ..data.dataset import DataSpec, prepare
from ..data.raw import DataError
from ..graph.model import Graph
from .callbacks import Callback
from .config import TrainConfig
from .gradients import GradientMonitor
from .inputs import TrainingData
from .trainer import CLASSIFICATION, Controls, Epoch, Result, Step, TrainingError, lr_factor, make_loss, \
    make_optimizer, pick_device


@dataclass
class CompareStep(Step):
    losses: dict[str, float] = field(default_factory=dict)  # by network (named after its Output)


@dataclass
class CompareEpoch(Epoch):
    accuracies: dict[str, float | None] = field(default_factory=dict)  # validation, by network


class CompareMonitor:
    """Gradient norms of every network: `layers` lists each network's in turn."""

    def __init__(self, models: dict[str, nn.Module]):
        self.parts = {name: GradientMonitor(model) for name, model in models.items()}
        self.layers = [layer for monitor in self.parts.values() for layer in monitor.layers]
        self.networks = {name: list(monitor.layers) for name, monitor in self.parts.items()}

    def grad_norms(self) -> list[float]:
        return [v for monitor in self.parts.values() for v in monitor.grad_norms()]


def networks_of(graph: Graph) -> list[str]:
    """The name of each network's Output, in document order."""
    names = []
    for part in graph.networks():
        outputs = [graph.node(n).name for n in part if graph.node(n).type == "Output"]
        if len(outputs) != 1:
            raise TrainingError("to compare networks side by side, each needs exactly one Output")
        names.append(outputs[0])
    return names


def compare_data(graph: Graph, spec: DataSpec | None = None, progress=None, download: bool = False) -> TrainingData:
    spec = spec or DataSpec.from_dict(graph.meta.get("data"))
    try:
        prepared = prepare(spec, progress, download)
    except DataError as e:
        raise TrainingError(str(e)) from None
    return TrainingData(prepared, prepared.train, prepared.val, prepared.test, None)


class CompareTrainer(Controls):
    """Trainer's surface (run, stop, pause, resume, monitor, model, callbacks...) over several networks."""

    def __init__(self, graph: Graph, config: TrainConfig, train, val=None, callbacks: list[Callback] = (),
                 checkpoint_dir=None, test=None, augment=None):
        problems = config.problems()
        if problems:
            raise TrainingError("the training settings are not usable: " + "; ".join(problems))
        if config.loss not in CLASSIFICATION or config.loss == "bce_with_logits":
            raise TrainingError("comparing side by side needs a classification loss (cross_entropy or nll)")
        self.graph, self.config, self.callbacks = graph, config, list(callbacks)
        torch.manual_seed(config.seed)
        self.device = pick_device(config.device)
        self.names = networks_of(graph)
        self.models = {name: build_model(graph, name).to(self.device) for name in self.names}
        self.model = nn.Module()  # every network's layers (shared): for the diagnosis
        for model in self.models.values():
            for layer, module in model.named_children():
                self.model.add_module(layer, module)
        self.shapes = {name: self._input_shape(name) for name in self.names}
        self.train_data = tuple(t.to(self.device) for t in train)
        self.val_data = tuple(t.to(self.device) for t in val) if val is not None and len(val[0]) else None
        self.test_data, self.augment = None, None
        self.loss_fn = make_loss(config.loss)
        self.optimizers = {name: make_optimizer(config, model, graph) for name, model in self.models.items()}
        self.schedulers = {name: torch.optim.lr_scheduler.LambdaLR(o, lambda e: lr_factor(config, e))
                           for name, o in self.optimizers.items()}
        self.monitor = CompareMonitor(self.models)
        self.start_epoch, self.transferred, self.transfer_skipped = 0, [], []
        self._gen = torch.Generator().manual_seed(config.seed)
        Controls.__init__(self)

    def _input_shape(self, name: str) -> tuple[int, ...]:
        part = next(p for p in self.graph.networks() if any(self.graph.node(n).name == name for n in p))
        inputs = [self.graph.node(n) for n in part if self.graph.node(n).type == "Input"]
        if len(inputs) != 1:
            raise TrainingError(f"the network of '{name}' needs exactly one Input")
        return tuple(inputs[0].params["shape"])

    @property
    def lr(self) -> float:
        return self.config.lr * lr_factor(self.config, next(iter(self.schedulers.values())).last_epoch)

    def load_checkpoint(self, path) -> None:
        raise TrainingError("resuming is not supported when networks are compared side by side")

    def _feed(self, name: str, x: torch.Tensor) -> torch.Tensor:
        return self.models[name](x.reshape(-1, *self.shapes[name]))

    def run(self) -> Result:
        result = Result("finished")
        self._emit("on_train_start", self)
        try:
            self._loop(result)
        except (TrainingError, RuntimeError, ValueError) as e:
            result.status, result.message = "failed", f"training failed: {e}"
        self._emit("on_train_end", self, result)
        return result

    def _loop(self, result: Result) -> None:
        x, y = self.train_data
        bs, n = self.config.batch_size, len(x)
        steps = max(1, math.ceil(n / bs))
        global_step = 0
        for epoch in range(self.config.epochs):
            started = time.perf_counter()
            self._emit("on_epoch_start", self, epoch)
            order = torch.randperm(n, generator=self._gen).to(self.device)
            totals = dict.fromkeys(self.names, 0.0)
            for step in range(steps):
                if self._stopped(result, epoch):
                    return
                idx = order[step * bs:(step + 1) * bs]
                xb, yb = x[idx], y[idx]
                losses = {}
                for name, model in self.models.items():
                    model.train()
                    self.optimizers[name].zero_grad(set_to_none=True)
                    loss = self.loss_fn(self._feed(name, xb), yb.long())
                    loss.backward()
                    if self.config.clip_norm:
                        nn.utils.clip_grad_norm_(model.parameters(), self.config.clip_norm)
                    losses[name] = loss.item()
                    totals[name] += losses[name] * len(idx)
                norms = self.monitor.grad_norms()  # each network's gradients, before the steps
                for name in self.names:
                    self.optimizers[name].step()
                if not all(map(math.isfinite, losses.values())):
                    bad = next(k for k, v in losses.items() if not math.isfinite(v))
                    raise TrainingError(f"the loss of '{bad}' became NaN or infinite at step {global_step + 1}")
                mean = sum(losses.values()) / len(losses)
                self._emit("on_step_end", self, CompareStep(
                    epoch=epoch, step=step, global_step=global_step, steps_per_epoch=steps, loss=mean, lr=self.lr,
                    samples=len(idx), grad_norms=norms, losses=losses))
                global_step += 1
            lr = self.lr
            for scheduler in self.schedulers.values():
                scheduler.step()
            accuracies = {name: self._accuracy(name) for name in self.names}
            best = max((a for a in accuracies.values() if a is not None), default=None)
            record = CompareEpoch(epoch=epoch, train_loss=sum(totals.values()) / len(totals) / n, train_acc=None,
                                  val_loss=None, val_acc=best, lr=lr, seconds=time.perf_counter() - started,
                                  accuracies=accuracies)
            result.epochs.append(record)
            self._emit("on_epoch_end", self, record)

    @torch.no_grad()
    def _accuracy(self, name: str) -> float | None:
        if self.val_data is None:
            return None
        model = self.models[name]
        model.eval()
        x, y = self.val_data
        right = (self._feed(name, x).argmax(dim=1) == y).sum().item()
        model.train()
        return right / len(x)

