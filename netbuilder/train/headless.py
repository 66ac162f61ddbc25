"""`netbuilder train`: the same training, metrics and diagnosis as the editor, in a terminal."""
from __future__ import annotations

import csv
import sys
import time
from pathlib import Path

from ..graph.model import Graph
from ..graph.problems import GraphError
from .callbacks import Callback
from .config import TrainConfig
from .diagnosis import Diagnosis
from ..data.dataset import STANDARD, DataSpec
from .evaluate import Evaluation, per_class_table
from .recipes import make_trainer
from .trainer import TrainingError

class Terminal(Callback):
    """A progress bar with loss, samples per second and ETA; CSV rows per epoch."""

    def __init__(self, out: Path, stream=None):
        self.out, self.stream = out, stream or sys.stdout
        self.started = time.perf_counter()
        self.samples = 0
        self.shown = 0.0
        self.rows: list[dict] = []

    def on_step_end(self, trainer, step) -> None:
        self.samples += step.samples
        now = time.perf_counter()
        if now - self.shown < 0.1 and step.step + 1 < step.steps_per_epoch:
            return  # ten redraws a second are enough
        self.shown = now
        total = trainer.config.epochs * step.steps_per_epoch
        done = step.global_step + 1 - trainer.start_epoch * step.steps_per_epoch
        elapsed = time.perf_counter() - self.started
        rate = self.samples / elapsed if elapsed else 0.0
        left = (total - step.global_step - 1) * (elapsed / max(1, done))
        filled = int(30 * (step.global_step + 1) / total)
        self.stream.write(f"\repoch {step.epoch + 1}/{trainer.config.epochs} [{'#' * filled}{'.' * (30 - filled)}]"
                          f" loss {step.loss:.4f}  {rate:,.0f} samples/s  ETA {left:4.0f} s ")
        self.stream.flush()

    def on_epoch_end(self, trainer, epoch) -> None:
        row = {"epoch": epoch.epoch + 1, "train_loss": epoch.train_loss, "train_acc": epoch.train_acc,
               "val_loss": epoch.val_loss, "val_acc": epoch.val_acc, "lr": epoch.lr,
               "seconds": round(epoch.seconds, 3)}
        self.rows.append(row)
        acc = f"  val acc {epoch.val_acc:.3f}" if epoch.val_acc is not None else ""
        val = f"  val loss {epoch.val_loss:.4f}" if epoch.val_loss is not None else ""
        self.stream.write(f"\repoch {epoch.epoch + 1}: train loss {epoch.train_loss:.4f}{val}{acc}"
                          + " " * 30 + "\n")
        with open(self.out / "metrics.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(row))
            writer.writeheader()
            writer.writerows(self.rows)


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
    with open(out / "test_classes.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with open(out / "confusion.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["true \\ predicted"] + list(range(len(e.confusion))))
        writer.writerows([i] + row.tolist() for i, row in enumerate(e.confusion))


def train_file(graph: Graph, dataset: str | None, out: Path, overrides: dict, stream=None,
               download: bool = False) -> int:
    """Train on `dataset` (a built-in name or a path; None: the document's own dataset)."""
    stream = stream or sys.stdout
    config = TrainConfig.from_dict({**graph.meta.get("training", {}),
                                    **{k: v for k, v in overrides.items() if v is not None}})
    out.mkdir(parents=True, exist_ok=True)
    try:
        spec = DataSpec.from_dict(graph.meta.get("data"))
        if dataset is not None and dataset != spec.source:
            spec = DataSpec(source=dataset, seed=spec.seed)
        shown = _Loading(stream, "downloading" if spec.source in STANDARD else "reading images")
        diagnosis = Diagnosis(graph)
        trainer, data = make_trainer(graph, config, [Terminal(out, stream), diagnosis], out, spec, shown, download)
        shown.end()
        for note in data.prepared.raw.notes:
            stream.write(f"note: {note}\n")
    except (TrainingError, GraphError) as e:
        hint = " (add --download to fetch it)" if "can be downloaded" in str(e) else ""
        print(f"error: {e}{hint}", file=sys.stderr)
        return 1
    result = trainer.run()
    names = {n.id: n.name for n in graph.nodes()}
    for problem in diagnosis.latest:
        stream.write(f"warning: {problem.describe(names)}\n")
    if result.status == "failed":
        print(f"error: {result.message}", file=sys.stderr)
        return 1
    if result.evaluation is not None:
        write_evaluation(result.evaluation, out, stream)
    saved = " and ".join(str(out / name) for name in ("best.pt", "last.pt") if (out / name).exists())
    stream.write(f"{result.message or 'finished'}; metrics in {out / 'metrics.csv'}, weights in {saved}\n")
    return 0
