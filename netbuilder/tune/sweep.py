"""Sweeps: Optuna varies 1 to 4 training settings or layer parameters, and each trial is a run of the document
through the same loop, recorder and event files as any run. The study lives in a database Optuna takes
(by default `sweeps.db` in the document's runs folder), so it is listed again when the document reopens,
a killed sweep goes on where it stopped, and several processes or machines sharing one database work on
one study.

    lr=1e-4..1e-1:log          a range of numbers, on a log scale (grid: 3 points, or :N)
    batch_size=16..128         whole numbers
    fc1.out_features=16,32,64  a list
    optimizer=adam,sgd         choices
"""
from __future__ import annotations

import itertools
import math
import os
import socket
import time
from dataclasses import dataclass, field, fields
from typing import Callable

from ..errors import UserError
from ..processes import still_running, this_process
from ..graph.edits import Group, SetMeta, SetParam
from ..graph.io import dumps, loads
from ..graph.model import Graph
from ..analysis.blocks import spec_of
from ..layers import check_node
from ..train.callbacks import Callback
from ..train.config import LOSSES, OPTIMIZERS, SCHEDULES, TrainConfig

SAMPLERS = ("tpe", "random", "grid")
METRICS = ("val_loss", "val_accuracy")
SETTINGS = {"lr": "float", "batch_size": "int", "epochs": "int", "weight_decay": "float", "momentum": "float",
            "clip_norm": "float", "warmup_epochs": "int", "l1": "float", "kl_weight": "float", "gamma": "float",
            "optimizer": OPTIMIZERS, "schedule": SCHEDULES, "loss": LOSSES}  # what a sweep may vary
STATES = ("running", "complete", "pruned", "failed")


class SweepError(UserError):
    """A sweep that cannot start: the message names the field."""


@dataclass
class Vary:
    target: str  # a training setting ("lr") or a layer's parameter ("fc1.out_features")
    kind: str  # "float", "int" or "choice"
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: list = field(default_factory=list)
    points: int = 3  # of a range, for the grid sampler

    @property
    def label(self) -> str:
        return self.target

    def suggest(self, trial):
        if self.choices:
            return trial.suggest_categorical(self.target, self.choices)
        if self.kind == "int":
            return trial.suggest_int(self.target, int(self.low), int(self.high), log=self.log)
        return trial.suggest_float(self.target, self.low, self.high, log=self.log)

    def grid(self) -> list:
        """The values a grid search tries."""
        if self.choices:
            return list(self.choices)
        if self.points == 1:
            return [self.low]
        if self.log:
            values = [math.exp(math.log(self.low) + (math.log(self.high) - math.log(self.low)) * i / (self.points - 1))
                      for i in range(self.points)]
        else:
            values = [self.low + (self.high - self.low) * i / (self.points - 1) for i in range(self.points)]
        values = [min(self.high, max(self.low, v)) for v in values]  # no rounding past the ends
        values[0], values[-1] = self.low, self.high
        if self.kind == "int":
            values = list(dict.fromkeys(int(round(v)) for v in values))
        return values

    def to_text(self) -> str:
        if self.choices:
            return f"{self.target}={','.join(map(str, self.choices))}"
        return f"{self.target}={self.low:g}..{self.high:g}{':log' if self.log else ''}"


def parse_vary(text: str, graph: Graph) -> Vary:
    """'name=low..high[:log][:N]' or 'name=a,b,c', checked against the document. SweepError naming the field."""
    if not isinstance(text, str) or "=" not in text:
        raise SweepError(f"'{text}': say what to vary and how, as lr=1e-4..1e-1:log or fc1.out_features=16,32,64")
    target, spec = (part.strip() for part in text.split("=", 1))
    kind, allowed = _kind(target, graph)
    if ".." in spec:
        if kind == "choice":
            raise SweepError(f"{target} is a choice ({', '.join(map(str, allowed))}): list the ones to try, not a range")
        low_text, _, rest = spec.partition("..")
        high_text, *options = rest.split(":")
        low, high = _number(low_text, target, kind), _number(high_text, target, kind)
        log, points = False, 3
        for option in options:
            if option == "log":
                log = True
            elif option.isdigit() and int(option) >= 1:
                points = int(option)
            else:
                raise SweepError(f"{target}: '{option}' is neither 'log' nor a number of grid points")
        if low > high:
            raise SweepError(f"{target}: the range {low:g}..{high:g} runs backwards (the low end is above the high)")
        if log and low <= 0:
            raise SweepError(f"{target}: a log range cannot reach zero or below ({low:g}..{high:g})")
        return Vary(target, kind, low, high, log, points=points)
    values = [v.strip() for v in spec.split(",") if v.strip()]
    if not values:
        raise SweepError(f"{target}: no values to try")
    if kind == "choice":
        bad = [v for v in values if v not in allowed]
        if bad:
            raise SweepError(f"{target}: {', '.join(map(repr, bad))} is not one of {', '.join(map(str, allowed))}")
        return Vary(target, kind, choices=values)
    return Vary(target, kind, choices=list(dict.fromkeys(_number(v, target, kind) for v in values)))


def _kind(target: str, graph: Graph) -> tuple[str, tuple]:
    """("float" | "int" | "choice", the choices) of what `target` names."""
    if "." not in target:
        if target not in SETTINGS:
            raise SweepError(f"'{target}' is not a training setting a sweep can vary (those are"
                             f" {', '.join(SETTINGS)}), nor a layer's parameter (layer.parameter)")
        kind = SETTINGS[target]
        return ("choice", tuple(kind)) if isinstance(kind, tuple) else (kind, ())
    layer, _, name = target.partition(".")
    node = graph.by_name(layer)
    if node is None:
        raise SweepError(f"'{target}': the document has no layer named '{layer}'")
    spec = spec_of(graph, node)  # a block's too: how many times it is stacked is worth a sweep
    param = spec.param(name) if spec is not None else None
    if param is None or param.kind not in ("int", "float", "choice"):
        usable = [p.name for p in spec.all_params if p.kind in ("int", "float", "choice")] if spec else []
        raise SweepError(f"'{target}': {node.type} '{layer}' has no number or choice parameter '{name}'"
                         + (f" (it has {', '.join(usable)})" if usable else ""))
    return param.kind, tuple(param.choices)


def _number(text: str, target: str, kind: str):
    try:
        value = float(text)
    except ValueError:
        raise SweepError(f"{target}: '{text}' is not a number") from None
    if not math.isfinite(value):
        raise SweepError(f"{target}: '{text}' is not a finite number")
    if kind == "int":
        if value != int(value):
            raise SweepError(f"{target} takes whole numbers, not {text}")
        return int(value)
    return value


def apply(graph: Graph, values: dict) -> Graph:
    """A copy of the document with these values set."""
    copy = loads(dumps(graph), check_node)
    settings = dict(copy.meta.get("training") or {})
    for target, value in values.items():
        if "." in target:
            layer, _, name = target.partition(".")
            copy.node(copy.by_name(layer).id).params[name] = value
        else:
            settings[target] = value
    copy.meta["training"] = settings
    return copy


def apply_edit(graph: Graph, values: dict) -> Group:
    """One undoable edit setting the document to these values (a sweep's best trial)."""
    edits, settings = [], dict(graph.meta.get("training") or {})
    for target, value in values.items():
        if "." in target:
            layer, _, name = target.partition(".")
            node = graph.by_name(layer)
            if node is not None:
                edits.append(SetParam(graph, node.id, name, value))
        else:
            settings[target] = value
    if settings != (graph.meta.get("training") or {}):
        edits.insert(0, SetMeta(graph, "training", settings))
    return Group(edits, "Apply the sweep's best values")


def label(values: dict) -> str:
    """A run's name from its values: 'lr 0.0042, fc1.out_features 32'."""
    return ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in values.items())


@dataclass
class TrialRecord:
    number: int
    values: dict
    status: str  # one of STATES
    metric: float | None = None
    seconds: float = 0.0
    run_id: str = ""
    message: str = ""


class Pruning(Callback):
    """Reports the watched metric to the trial after every epoch; stops the run when Optuna prunes it."""

    def __init__(self, trial, metric: str, prune: bool):
        self.trial, self.metric, self.prune = trial, metric, prune
        self.pruned_at: int | None = None

    def on_epoch_end(self, trainer, epoch) -> None:
        value = epoch.metrics.get(self.metric)
        if not self.prune or value is None or not math.isfinite(value):
            return  # (each report is a write to the study: only a pruner needs them)
        self.trial.report(value, epoch.epoch)
        if self.prune and self.trial.should_prune():
            self.pruned_at = epoch.epoch + 1
            trainer.stop_early(f"pruned by the sweep after epoch {epoch.epoch + 1}: its {self.metric} is worse than"
                               " the median of the other trials at that epoch")


@dataclass
class SweepSpec:
    varies: list[Vary]
    trials: int = 10
    sampler: str = "tpe"
    metric: str = "val_loss"
    prune: bool = False
    seed: int = 0

    def problems(self) -> list[str]:
        found = []
        if not 1 <= len(self.varies) <= 4:
            found.append(f"a sweep varies 1 to 4 things, not {len(self.varies)}")
        targets = [v.target for v in self.varies]
        if len(set(targets)) != len(targets):
            found.append("each thing is varied once")
        if not isinstance(self.trials, int) or not 1 <= self.trials <= 10_000:
            found.append("trials must be a whole number from 1 to 10,000")
        if self.sampler not in SAMPLERS:
            found.append(f"sampler must be one of {', '.join(SAMPLERS)}, not {self.sampler!r}")
        if self.metric not in METRICS:
            found.append(f"metric must be one of {', '.join(METRICS)}, not {self.metric!r}")
        return found

    def to_dict(self) -> dict:
        return {**{f.name: getattr(self, f.name) for f in fields(self) if f.name != "varies"},
                "varies": [v.to_text() for v in self.varies]}


def open_study(spec: SweepSpec, storage: str, name: str, keep_spec: bool = True):
    """The Optuna study `name` in `storage` (made when new). SweepError when the database cannot be opened."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # a grid is every combination queued as a trial (Optuna's GridSampler stops the study from inside tell(),
    # which only an optimize() loop allows); the random sampler then only draws what is not queued
    sampler = optuna.samplers.TPESampler(seed=spec.seed) if spec.sampler == "tpe" \
        else optuna.samplers.RandomSampler(seed=spec.seed)
    pruner = optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1) if spec.prune \
        else optuna.pruners.NopPruner()
    try:
        study = optuna.create_study(storage=_storage(storage), study_name=name, sampler=sampler, pruner=pruner,
                                    direction="minimize" if spec.metric == "val_loss" else "maximize",
                                    load_if_exists=True)
    except Exception as e:  # noqa: BLE001 - a URL SQLAlchemy cannot open raises many kinds
        raise SweepError(f"the sweep's storage '{storage}' cannot be opened: {str(e).splitlines()[0]}") from None
    if keep_spec:
        study.set_user_attr("spec", spec.to_dict())
    if spec.sampler == "grid" and not study.trials:
        for combination in itertools.product(*(v.grid() for v in spec.varies)):
            study.enqueue_trial(dict(zip((v.target for v in spec.varies), combination)))
    return study


def _storage(url: str):
    """The study's storage. An SQLite file keeps a write-ahead log synced at checkpoints rather than at every
    write: a trial makes many small writes (its values, its reports, its result), and readers never block it.
    (A crash may lose the last writes, not the file.)"""
    import optuna

    if not url.startswith("sqlite:///"):
        return url
    storage = optuna.storages.RDBStorage(url)

    def pragmas(connection, _record):
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    import sqlalchemy

    sqlalchemy.event.listen(storage.engine, "connect", pragmas)
    storage.engine.dispose()  # connections made from now on have them
    return storage


def records(study) -> list[TrialRecord]:
    """The trials of a study as the sweep view and `netbuilder sweep` show them."""
    from optuna.trial import TrialState

    state = {TrialState.RUNNING: "running", TrialState.COMPLETE: "complete", TrialState.PRUNED: "pruned",
             TrialState.FAIL: "failed", TrialState.WAITING: "running"}
    found = []
    for t in study.get_trials(deepcopy=False):
        seconds = (t.datetime_complete - t.datetime_start).total_seconds() \
            if t.datetime_complete and t.datetime_start else 0.0
        result = t.user_attrs.get("result", {})
        metric = t.value if t.value is not None else result.get("metric")
        found.append(TrialRecord(t.number, dict(t.params), state[t.state], metric, seconds,
                                 result.get("run_id", ""), result.get("message", "")))
    return found


class Sweep:
    """Runs trials one after another until the study has `spec.trials` finished ones (counting those other
    processes finish in the same storage). `stop()` may be called from another thread."""

    def __init__(self, graph: Graph, spec: SweepSpec, storage: str, name: str):
        problems = spec.problems()
        if problems:
            raise SweepError("the sweep is not usable: " + "; ".join(problems))
        self.graph, self.spec, self.name = graph, spec, name
        self.study = open_study(spec, storage, name)
        self.trainer = None
        self._stop = False
        self._requeue_interrupted()

    def stop(self) -> None:
        self._stop = True
        if self.trainer is not None:
            self.trainer.stop()

    def _requeue_interrupted(self) -> None:
        """Trials left running by a process of this machine that is gone were interrupted: they fail with
        that reason, and their values are tried again."""
        from optuna.trial import TrialState

        host = socket.gethostname()
        for t in self.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            owner = t.user_attrs.get("owner", {})
            if owner.get("host") == host and not still_running(owner):
                self.study.tell(t.number, state=TrialState.FAIL)
                interrupted = self.study.user_attrs.get("interrupted", []) + [t.number]
                self.study.set_user_attr("interrupted", interrupted)
                self.study.enqueue_trial(t.params, skip_if_exists=False)

    def finished(self) -> int:
        from optuna.trial import TrialState

        done = self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED,
                                                              TrialState.FAIL))
        interrupted = set(self.study.user_attrs.get("interrupted", []))  # tried again: they do not count
        return len([t for t in done if t.number not in interrupted])

    def run(self, train: Callable, on_trial: Callable[[TrialRecord], None] = lambda r: None) -> list[TrialRecord]:
        """Run trials until done. train(graph, values, trial, pruning) -> (result, run_id) trains one trial."""
        from optuna.trial import TrialState

        while not self._stop and self.finished() + self._running_elsewhere() < self.spec.trials:
            if self.spec.sampler == "grid" and not self.study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
                break  # every combination of the grid was tried
            trial = self.study.ask()
            trial.set_user_attr("owner", this_process())
            values = {v.target: v.suggest(trial) for v in self.spec.varies}
            record = TrialRecord(trial.number, values, "running")
            on_trial(record)
            started = time.perf_counter()
            pruning = Pruning(trial, self.spec.metric, self.spec.prune)
            try:
                result, record.run_id = train(apply(self.graph, values), values, trial, pruning)
            except UserError as e:  # an invalid value (a layer too small for its input...): this trial fails
                result, record.message = None, str(e)
            record.seconds = time.perf_counter() - started
            metric = self._best(result) if result is not None else None
            if result is not None and result.status == "stopped":  # the sweep was stopped: try it again next time
                self.study.tell(trial, state=TrialState.FAIL)
                self.study.set_user_attr("interrupted", self.study.user_attrs.get("interrupted", []) + [trial.number])
                self.study.enqueue_trial(values, skip_if_exists=False)
                record.status, record.message = "failed", "stopped with the sweep: it runs again when the sweep"\
                    " goes on"
                on_trial(record)
                break
            if result is not None and result.status == "failed":
                record.message = result.message
            record.metric = metric
            if pruning.pruned_at is not None:
                record.status, record.message = "pruned", f"pruned after epoch {pruning.pruned_at}"
                state = TrialState.PRUNED
            elif metric is None:
                record.message = record.message or f"no {self.spec.metric}: the data has no validation split"
                record.status, state = "failed", TrialState.FAIL
            else:
                record.status, state = "complete", TrialState.COMPLETE
            trial.set_user_attr("result", {"run_id": record.run_id, "message": record.message, "metric": metric})
            self.study.tell(trial, metric if state == TrialState.COMPLETE else None, state=state)
            on_trial(record)
        return records(self.study)

    def _running_elsewhere(self) -> int:
        from optuna.trial import TrialState

        pid = os.getpid()
        return len([t for t in self.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
                    if t.user_attrs.get("owner", {}).get("pid") != pid])

    def _best(self, result) -> float | None:
        values = [e.metrics.get(self.spec.metric) for e in result.epochs]
        values = [v for v in values if v is not None and math.isfinite(v)]
        if not values:
            return None
        return min(values) if self.spec.metric == "val_loss" else max(values)

    def best(self) -> TrialRecord | None:
        complete = [r for r in records(self.study) if r.status == "complete" and r.metric is not None]
        if not complete:
            return None
        pick = min if self.spec.metric == "val_loss" else max
        return pick(complete, key=lambda r: r.metric)


def trial_config(graph: Graph) -> TrainConfig:
    return TrainConfig.from_dict(graph.meta.get("training"))


def train_trial(graph: Graph, values: dict, trial, pruning: Pruning, folder, study: str, prepared=None,
                callbacks=(), on_run: Callable = lambda run: None):
    """Train one trial as a run of the document in `folder`: (result, run id). A generative trial keeps its
    pictures in its folder as any run does (runs/pictures.py): those of a Pictures callback among `callbacks` (the
    window's), else the recipe's at the end."""
    from ..runs.pictures import PictureKeeper
    from ..runs.recorder import RunRecorder
    from ..train.callbacks.pictures import Pictures
    from ..train.callbacks.tensorboard import TensorBoardLog
    from ..train.loop import make_trainer
    from ..runs.run import Run

    run = Run.create(folder, graph, name=f"#{trial.number + 1} {label(values)}")  # counted from 1, as everywhere
    run.sweep = {"study": study, "trial": trial.number, "values": values}
    run.save()
    on_run(run)
    try:
        source = next((c for c in callbacks if isinstance(c, Pictures)), None)
        trainer, _ = make_trainer(graph, trial_config(graph), [RunRecorder(run), TensorBoardLog(run.folder, values),
                                                              pruning, *callbacks, PictureKeeper(run.folder, source)],
                                  run.folder, prepared=prepared)
    except UserError as e:
        run.status, run.message = "failed", str(e)
        run.save()
        raise
    return trainer, run
