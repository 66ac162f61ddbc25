"""`netbuilder train`: the same training, runs, metrics and diagnosis as the editor, in a terminal."""
from __future__ import annotations

import contextlib
import csv
import io
import signal
import sys
import time
from pathlib import Path

from ..atomic import no_space, write_atomic
from ..data.dataset import STANDARD, DataSpec
from ..graph.model import Graph
from ..errors import UserError, describe
from ..train.callbacks import Callback
from ..train.callbacks.diagnosis import Diagnosis
from ..runs.pictures import PictureKeeper
from ..runs.recorder import RunRecorder
from ..train.callbacks.tensorboard import TensorBoardLog
from ..train.config import TrainConfig
from ..train.fitting import data_problems
from ..train.settings import settings_problems
from ..train.evaluate import Evaluation, per_class_table
from ..train.loop import make_trainer, out_of_space
from ..runs.run import Run, document_folder


class Progress(Callback):
    """A progress bar with loss, samples per second and ETA; a line per epoch."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout
        self.started = time.perf_counter()
        self.samples = 0
        self.shown = 0.0

    def on_step_end(self, trainer, step) -> None:
        self.samples += step.samples
        now = time.perf_counter()
        if now - self.shown < 0.1 and step.step + 1 < step.steps_per_epoch:
            return  # ten redraws a second are enough
        self.shown = now
        total = trainer.config.epochs * step.steps_per_epoch
        done = step.global_step + 1 - trainer.start_epoch * step.steps_per_epoch
        elapsed = now - self.started
        rate = self.samples / elapsed if elapsed else 0.0
        left = (total - step.global_step - 1) * (elapsed / max(1, done))
        filled = int(30 * (step.global_step + 1) / total)
        self.stream.write(f"\repoch {step.epoch + 1}/{trainer.config.epochs} [{'#' * filled}{'.' * (30 - filled)}]"
                          f" loss {step.loss:.4f}  {rate:,.0f} samples/s  ETA {left:4.0f} s ")
        self.stream.flush()

    def on_epoch_end(self, trainer, epoch) -> None:
        acc = f"  val acc {epoch.val_acc:.3f}" if epoch.val_acc is not None else ""
        val = f"  val loss {epoch.val_loss:.4f}" if epoch.val_loss is not None else ""
        self.stream.write(f"\repoch {epoch.epoch + 1}: train loss {epoch.train_loss:.4f}{val}{acc}" + " " * 30 + "\n")
        self.stream.flush()


class _Loading:
    """Progress of a download (bytes) or of reading an image folder (images), on one terminal line."""

    def __init__(self, stream, what: str):
        self.stream, self.what, self.shown = stream, what, False

    def __call__(self, done, total) -> None:
        if not total:
            return
        self.shown = True
        if self.what == "downloading":
            self.stream.write(f"\rdownloading: {done / 1e6:6.1f} of {total / 1e6:.1f} MB ")
        else:
            self.stream.write(f"\rreading images: {done:,} of {total:,} ")
        self.stream.flush()

    def end(self) -> None:
        if self.shown:
            self.stream.write("\n")


def write_evaluation(e: Evaluation, out: Path, stream) -> None:
    """The test-set results in the terminal, and as test_classes.csv and confusion.csv."""
    acc = f", accuracy {e.accuracy:.1%}" if e.accuracy is not None else ""
    stream.write(f"test set ({e.samples} samples): loss {e.loss:.4f}{acc}\n")
    rows = per_class_table(e)
    if not rows:
        return
    worst = min(rows, key=lambda r: r["recall"])
    stream.write(f"lowest recall: class {worst['class']} ({worst['recall']:.1%});"
                 f" per class in {out / 'test_classes.csv'}, confusion matrix in {out / 'confusion.csv'}\n")
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    write_atomic(out / "test_classes.csv", text.getvalue())
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["true \\ predicted"] + list(range(len(e.confusion))))
    writer.writerows([i] + row.tolist() for i, row in enumerate(e.confusion))
    write_atomic(out / "confusion.csv", text.getvalue())


class _Interrupt:
    """Ctrl+C stops the run after the current batch (its checkpoints are written); a second one quits."""

    def __init__(self, trainer, stream):
        self.trainer, self.stream, self.count = trainer, stream, 0

    def __call__(self, signum, frame) -> None:
        self.count += 1
        if self.count > 1:
            raise KeyboardInterrupt
        self.stream.write("\nstopping after this batch (Ctrl+C again to quit at once)\n")
        self.stream.flush()
        self.trainer.stop()


def train_file(graph: Graph, dataset: str | None, out: Path | None, overrides: dict, stream=None,
               download: bool = False, document: str | None = None) -> int:
    """Train on `dataset` (a built-in name or a path; None: the document's own dataset) as a new run: in
    `out` when given, else in the runs folder of the document at path `document`."""
    stream = stream or sys.stdout
    settings = graph.meta.get("training", {})
    given = {k: v for k, v in overrides.items() if v is not None}
    merged = {**settings, **given} if isinstance(settings, dict) else settings
    problems = settings_problems({**graph.meta, "training": merged})  # what the command line sets counts
    if problems:
        print(f"error: {'; '.join(problems)}", file=sys.stderr)
        return 1
    config = TrainConfig.from_dict(merged)
    try:
        spec = DataSpec.from_dict(graph.meta.get("data"))
        if dataset is not None and dataset != spec.source:
            spec = DataSpec(source=dataset, seed=spec.seed)
        graph.meta["training"], graph.meta["data"] = config.to_dict(), spec.to_dict()  # as this run trains
        run = Run.create(document_folder(document, "terminal") if out is None else out.parent, graph,
                         folder=out)
        shown = _Loading(stream, "downloading" if spec.source in STANDARD else "reading images")
        diagnosis = Diagnosis(graph)
        trainer, data = make_trainer(graph, config, [Progress(stream), diagnosis, RunRecorder(run),
                                                     TensorBoardLog(run.folder), PictureKeeper(run.folder)],
                                     run.folder, spec, shown, download)
        shown.end()
        run.keep_samples(data.prepared, trainer.recipe.keeps_inputs)
        for note in data.prepared.raw.notes:
            stream.write(f"note: {note}\n")
        names = {n.id: n.name for n in graph.nodes()}
        for problem in data_problems(graph, config, data.prepared, spec):  # what the window shows as warnings
            stream.write(f"{problem.severity}: {problem.describe(names)}\n")
    except (UserError, OSError) as e:  # an OSError: the run's folder cannot be written (a full disk, no permission)
        hint = " (add --download to fetch it)" if "can be downloaded" in str(e) else ""
        message = str(e) if isinstance(e, UserError) else \
            out_of_space(e, out, 0) if no_space(e) else describe(e)
        print(f"error: {message}{hint}", file=sys.stderr)
        if "run" in locals():
            run.status, run.message = "failed", message
            with contextlib.suppress(OSError):  # the same full disk
                run.save()
        return 1
    stream.write(f"{run.name} in {run.folder}\n")
    interrupt = _Interrupt(trainer, stream)
    previous = signal.signal(signal.SIGINT, interrupt)
    try:
        result = trainer.run()
    except KeyboardInterrupt:
        run.status, run.message = "stopped", "interrupted with Ctrl+C twice: the last checkpoint may be older"
        run.save()
        print("\nerror: quit at once (Ctrl+C twice); the run's last checkpoint may be older", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, previous)
    names = {n.id: n.name for n in graph.nodes()}
    for problem in diagnosis.latest:
        stream.write(f"warning: {problem.describe(names)}\n")
    if result.status == "failed":
        print(f"error: {result.message}", file=sys.stderr)
        return 1
    if result.evaluation is not None:
        write_evaluation(result.evaluation, run.folder, stream)
    saved = " and ".join(str(run.folder / name) for name in ("best.pt", "last.pt") if (run.folder / name).exists())
    stream.write(f"{result.message or 'finished'}; metrics in {run.folder / 'metrics.csv'}, weights in {saved}\n")
    if interrupt.count:
        print("stopped with Ctrl+C", file=sys.stderr)
        return 130
    return 0


def sweep_file(graph: Graph, varies: list[str], trials: int, sampler: str, metric: str, prune: bool,
               storage: str | None, study: str | None, out: Path | None, document: str, epochs: int | None = None,
               stream=None) -> int:
    """`netbuilder sweep`: trials one after another, a line each, then a table; the study in `storage`."""
    import hashlib

    from ..data.dataset import prepare
    from ..tune.sweep import Sweep, SweepSpec, label, parse_vary, train_trial

    stream = stream or sys.stdout
    if epochs is not None:
        graph.meta["training"] = {**(graph.meta.get("training") or {}), "epochs": epochs}
    problems = settings_problems(graph.meta)
    if problems:
        print(f"error: {'; '.join(problems)}", file=sys.stderr)
        return 1
    spec = SweepSpec([parse_vary(v, graph) for v in varies], trials, sampler, metric, prune)
    folder = out if out is not None else document_folder(document, "terminal")
    folder.mkdir(parents=True, exist_ok=True)
    storage = storage or f"sqlite:///{folder / 'sweeps.db'}"
    name = study or "sweep-" + hashlib.sha1(f"{Path(document).stem}|{spec.to_dict()}".encode()).hexdigest()[:8]
    sweep = Sweep(graph, spec, storage, name)
    config = TrainConfig.from_dict(graph.meta.get("training"))
    prepared = prepare(DataSpec.from_dict(graph.meta.get("data")))  # read once, shared by the trials
    done = sweep.finished()
    stream.write(f"sweep '{name}' in {storage}: {spec.trials} trials of {', '.join(v.to_text() for v in spec.varies)}"
                 f" ({spec.sampler}{', pruning' if prune else ''}), {done} done before\n")

    def train(trial_graph, values, trial, pruning):
        trainer, run = train_trial(trial_graph, values, trial, pruning, folder, name, prepared)
        sweep.trainer = trainer
        return trainer.run(), run.id

    def show(record):
        if record.status == "running":
            stream.write(f"trial {record.number + 1}: {label(record.values)}: training...")
        else:
            got = f", {metric} {record.metric:.4g}" if record.metric is not None else ""
            why = f" ({record.message})" if record.message else ""
            stream.write(f"\rtrial {record.number + 1}: {label(record.values)}: {record.status}{got}{why},"
                         f" {record.seconds:.1f} s\n")
        stream.flush()

    interrupt = _Interrupt(sweep, stream)
    previous = signal.signal(signal.SIGINT, interrupt)
    try:
        found = sweep.run(train, show)
    except KeyboardInterrupt:
        print("\nerror: quit at once (Ctrl+C twice); the sweep goes on from its storage next time", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, previous)
    _table(found, spec, stream)
    best = sweep.best()
    if best is not None:
        stream.write(f"best: trial {best.number + 1}, {label(best.values)}: {metric} {best.metric:.4g}\n")
    return 130 if interrupt.count else 0


def _table(found, spec, stream) -> None:
    names = [v.target for v in spec.varies]
    header = ["trial", *names, "status", spec.metric, "seconds"]
    order = sorted(found, key=lambda r: (r.metric is None, r.metric if spec.metric == "val_loss" else -(r.metric or 0)))
    rows = [[str(r.number + 1), *(f"{r.values.get(n):.4g}" if isinstance(r.values.get(n), float) else
                                  str(r.values.get(n, "")) for n in names),
             r.status, f"{r.metric:.4g}" if r.metric is not None else "", f"{r.seconds:.1f}"] for r in order]
    widths = [max(len(row[i]) for row in [header] + rows) for i in range(len(header))]
    for row in [header] + rows:
        stream.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() + "\n")
