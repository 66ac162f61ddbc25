"""Runs: the unit of training. A run belongs to one document and lives in a folder of its own:

    run.json        id, name, status, message, dates, recipe, settings, best results
    graph.json      the document as it was when the run started (network, settings, data)
    metrics.csv     one row per epoch, appended as the run goes
    steps.f32       one row of float32 per step (the columns are in run.json), appended
    evaluation.json the test-set results, when the run ends
    pictures.pt     what a generative run made last, for the Samples tab (runs/pictures.py)
    last.pt best.pt checkpoints
    model.onnx      a run made by Optimize (an int8 version): its network as an ONNX model, and no checkpoint

A run carries a PyTorch state dict (best.pt, else last.pt) or, when Optimize made it, an ONNX model instead
(`weights()`, `onnx_model()`): what opens a run's weights asks `weights_or_why()` and says the reason when the
run is ONNX only (an int8 model cannot be looked inside, resumed or started from).

A document's runs are the run folders in its runs folder: for a saved document, the app's folder keyed by
the document's path; for an unsaved one, a folder of its own that no other document shares.
"""
from __future__ import annotations

import csv
import errno
import hashlib
import io
import json
import math
import os
import secrets
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..atomic import NotAFile, append_whole, remove_stale, write_atomic
from ..graph.io import FileFormatError, dumps, loads
from ..graph.model import Graph
from ..paths import config_dir, why_missing
from ..processes import still_running, this_process
from ..train.config import TrainConfig
from .history import History

RUN_FILE = "run.json"
# metrics.csv keeps the column names it has always had, for the scripts that read it
CSV_NAMES = {"loss": "train_loss", "accuracy": "train_acc", "val_accuracy": "val_acc"}
FROM_CSV = {v: k for k, v in CSV_NAMES.items()}
STATUSES = ("running", "paused", "finished", "stopped", "early_stopped", "failed", "interrupted")
TRAINING = ("running", "paused")  # the statuses of a run a process trains now (run.json names the process)


def runs_root() -> Path:
    return config_dir() / "runs"


def document_folder(path: str | None, key: str) -> Path:
    """Where a document's runs live: by its path when saved, by `key` (its own) when not."""
    if not path:
        return runs_root() / f"untitled-{key}"
    resolved = str(Path(path).resolve())
    return runs_root() / f"{Path(path).stem}-{hashlib.sha1(resolved.encode()).hexdigest()[:8]}"


def new_key() -> str:
    return secrets.token_hex(4)


WEIGHTS = ("best.pt", "last.pt")  # a run's checkpoints, the one to use first
ONNX_FILE = "model.onnx"  # an ONNX-only run's model

SAMPLES = 256  # test samples a run keeps for looking inside it later
SAMPLES_FILE = "samples.pt"


@dataclass
class Run:
    folder: Path
    id: str
    name: str
    status: str = "running"
    message: str = ""
    created: float = 0.0
    ended: float | None = None
    recipe: str = TrainConfig.recipe  # the default recipe until the settings say
    settings: dict = field(default_factory=dict)  # the training settings it started with
    data: dict = field(default_factory=dict)  # the dataset it trained on
    best: dict = field(default_factory=dict)  # e.g. {"val_loss": 0.08, "val_accuracy": 0.97}
    epochs_done: int = 0
    step_columns: list[str] = field(default_factory=list)
    sweep: dict = field(default_factory=dict)  # a sweep's trial: {"study": ..., "trial": n, "values": {...}}
    baseline: dict = field(default_factory=dict)  # what learning nothing scores: {"loss": 2.3, "accuracy": 0.1}
    made_from: dict = field(default_factory=dict)  # a version Optimize made: {"run": name, "version": "int8 static"}
    owner: dict = field(default_factory=dict)  # the process that trains it (processes.this_process())

    # ---- making and reading ------------------------------------------------------------------
    @classmethod
    def create(cls, parent: Path, graph: Graph, name: str | None = None, folder: Path | None = None) -> "Run":
        """A new run of `graph` in a new folder under `parent` (or in `folder` itself)."""
        run_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"
        folder = Path(folder) if folder is not None else Path(parent) / run_id
        if os.path.lexists(folder) and not folder.is_dir():  # mkdir would say "File exists"
            why = "not a folder" if folder.exists() else why_missing(folder)
            raise NotAFile(errno.EEXIST, f"{why}: a run is a folder of files; give another place", str(folder))
        folder.mkdir(parents=True, exist_ok=True)
        remove_stale(folder)  # a reused folder: what a run killed mid-write left there
        count = len(list_runs(folder.parent)) + 1 if folder.parent.exists() else 1
        settings = dict(graph.meta.get("training") or {}) if isinstance(graph.meta.get("training"), dict) else {}
        data = dict(graph.meta.get("data") or {}) if isinstance(graph.meta.get("data"), dict) else {}
        run = cls(folder, run_id, name or f"run {count}", created=time.time(),
                  recipe=str(settings.get("recipe", TrainConfig.recipe)), settings=settings, data=data,
                  owner=this_process())
        write_atomic(folder / "graph.json", dumps(graph))
        for old in ("metrics.csv", "steps.f32", "evaluation.json", "pictures.pt"):  # a reused --out folder starts clean
            (folder / old).unlink(missing_ok=True)
        run.save()
        return run

    @classmethod
    def load(cls, folder: Path) -> "Run | None":
        """The run in `folder`, or None when it holds no readable run."""
        try:
            info = json.loads((Path(folder) / RUN_FILE).read_text(encoding="utf-8"))
            known = {f for f in cls.__dataclass_fields__ if f != "folder"}
            run = cls(Path(folder), **{k: v for k, v in info.items() if k in known})
        except (OSError, ValueError, TypeError):
            return None
        if not isinstance(run.id, str) or not isinstance(run.name, str) or run.status not in STATUSES:
            return None
        if not isinstance(run.owner, dict):
            run.owner = {}
        if run.status in TRAINING and not still_running(run.owner):  # the app or the terminal was killed
            run.status = "interrupted"
        remove_stale(run.folder)  # what a checkpoint or a save cut short by a kill left there
        return run

    def save(self) -> None:
        info = {k: v for k, v in asdict(self).items() if k != "folder"}
        write_atomic(self.folder / RUN_FILE, json.dumps(info, indent=1, default=_plain))

    def graph(self) -> Graph:
        """The document as it was when the run started; FileFormatError when its copy is damaged."""
        from ..layers import check_node

        path = self.folder / "graph.json"
        try:
            return loads(path.read_text(encoding="utf-8"), check_node, str(path))
        except OSError as e:
            raise FileFormatError(f"{path}: {e.strerror or e}") from None

    @property
    def checkpoint(self) -> Path:
        return self.folder / "last.pt"

    # ---- what the run's network is kept as -------------------------------------------------------
    def weights(self) -> Path | None:
        """Its PyTorch weights: best.pt, else last.pt; None when it has neither."""
        return next((self.folder / n for n in WEIGHTS if (self.folder / n).is_file()), None)

    def onnx_model(self) -> Path | None:
        """The ONNX model of a run Optimize made (model.onnx), or None."""
        path = self.folder / ONNX_FILE
        return path if path.is_file() else None

    @property
    def onnx_only(self) -> bool:
        return self.weights() is None and self.onnx_model() is not None

    def weights_or_why(self, wanted: str = "that") -> tuple[Path | None, str]:
        """(its PyTorch weights, "") or (None, why not), where `wanted` says what needs them ("looking inside
        it"): an ONNX-only run is told as one, with what it can do."""
        found = self.weights()
        if found is not None:
            return found, ""
        if self.onnx_model() is not None:
            what = self.made_from.get("version") or "an ONNX model"
            return None, (f"the run '{self.name}' is {what}, kept as an ONNX model ({ONNX_FILE}) without PyTorch"
                          f" weights, so {wanted} cannot use it: serve it (Serve This Run, netbuilder serve --run)"
                          " or read its test results (netbuilder evaluate --run)")
        return None, f"the run '{self.name}' has no checkpoint (best.pt or last.pt) in {self.folder}"

    # ---- samples to look inside with -----------------------------------------------------------
    def keep_samples(self, prepared, keeps_inputs: bool) -> dict:
        """samples.pt: the first test samples as the network takes them (a network of one input), the
        data's normalisation and range of values, its task and class names: what the Inside tab and
        `netbuilder predict` need to feed the run's network new inputs as it was trained. Returns them, with
        all the test samples (the file keeps the first SAMPLES)."""
        import torch

        inputs = [n for n in self.graph().nodes() if n.type == "Input"]
        one_input = len(inputs) == 1 and keeps_inputs  # what the recipe says its network takes
        x, y = prepared.test if len(prepared.test[0]) else prepared.val
        shown = prepared.shown(x[:SAMPLES])
        samples = {"inputs": x if one_input and len(x) else None, "labels": y,
                   "stats": prepared.stats, "task": prepared.raw.task, "kind": prepared.raw.kind,
                   "classes": list(prepared.raw.class_names or []) or None,
                   "range": (shown.min().item(), shown.max().item()) if len(shown) else (0.0, 1.0)}
        kept = dict(samples, inputs=None if samples["inputs"] is None else x[:SAMPLES].clone(),
                    labels=y[:SAMPLES].clone())
        write_atomic(self.folder / SAMPLES_FILE, lambda f: torch.save(kept, f))
        return samples

    def read_samples(self) -> dict | None:
        return read_samples(self.folder)

    # ---- metrics -----------------------------------------------------------------------------
    def append_steps(self, columns: list[str], rows: list[list[float]]) -> None:
        if not rows:
            return
        if not self.step_columns:
            self.step_columns = list(columns)
            self.save()
        if list(columns) != self.step_columns:  # a metric came or went: keep the known columns
            rows = [[dict(zip(columns, r)).get(c, math.nan) for c in self.step_columns] for r in rows]
        append_whole(self.folder / "steps.f32", np.asarray(rows, dtype=np.float32).tobytes())

    def read_steps(self) -> np.ndarray:
        """Every step's row [steps, columns] (float32), as far as it was written whole."""
        width = len(self.step_columns)
        path = self.folder / "steps.f32"
        if not width or not path.is_file():
            return np.zeros((0, max(width, 1)), dtype=np.float32)
        values = np.fromfile(path, dtype=np.float32)
        whole = len(values) // width * width
        return values[:whole].reshape(-1, width)

    def append_epoch(self, row: dict) -> None:
        row = {CSV_NAMES.get(k, k): v for k, v in row.items()}
        path = self.folder / "metrics.csv"
        new = not path.is_file() or path.stat().st_size == 0
        columns = list(row) if new else _csv_columns(path)
        if not new and not set(row) <= set(columns):
            rows = [{CSV_NAMES.get(k, k): v for k, v in r.items()} for r in self.read_epochs()] + [row]
            # a new column: rewrite with every column
            columns = list(dict.fromkeys(k for r in rows for k in r))
            text = io.StringIO()
            writer = csv.DictWriter(text, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
            write_atomic(path, text.getvalue())
            return
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=columns)
        if new:
            writer.writeheader()
        writer.writerow(row)
        append_whole(path, text.getvalue().encode("utf-8"))  # a full disk leaves no half row

    def read_epochs(self) -> list[dict]:
        path = self.folder / "metrics.csv"
        if not path.is_file():
            return []
        try:
            with open(path, newline="", encoding="utf-8") as f:
                return [{FROM_CSV.get(k, k): _number(v) for k, v in row.items() if k is not None}
                        for row in csv.DictReader(f)]
        except (OSError, csv.Error, UnicodeDecodeError):
            return []

    def history(self) -> History:
        """The run's curves, read back from its folder."""
        return History.from_columns(self.step_columns, self.read_steps().astype(float), self.read_epochs())

    # ---- results -----------------------------------------------------------------------------
    def write_evaluation(self, evaluation) -> None:
        write_atomic(self.folder / "evaluation.json", json.dumps(asdict(evaluation), default=_plain))

    def read_evaluation(self):
        from ..train.evaluate import Evaluation

        try:
            info = json.loads((self.folder / "evaluation.json").read_text(encoding="utf-8"))
            if info.get("confusion") is not None:
                info["confusion"] = np.asarray(info["confusion"], dtype=np.int64)
            return Evaluation(**info)
        except (OSError, ValueError, TypeError):
            return None

    @property
    def when(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(self.created))

    def summary(self) -> str:
        """The best result in words: "val acc 0.973" or "val loss 0.0412" (a version Optimize made: its test
        result, "test acc 0.961")."""
        if self.best.get("test_accuracy") is not None:
            return f"test acc {self.best['test_accuracy']:.3f}"
        if self.best.get("test_loss") is not None:
            return f"test loss {self.best['test_loss']:.4g}"
        if self.best.get("val_accuracy") is not None:
            return f"val acc {self.best['val_accuracy']:.3f}"
        if self.best.get("val_loss") is not None:
            return f"val loss {self.best['val_loss']:.4g}"
        if self.best.get("loss") is not None:
            return f"loss {self.best['loss']:.4g}"
        return ""


def read_samples(folder: Path) -> dict | None:
    """What Run.keep_samples wrote in a run's folder, or None (a run from before it, or a damaged file)."""
    import torch

    path = folder / SAMPLES_FILE
    try:
        found = torch.load(path, weights_only=True) if path.is_file() else None
    except Exception:  # noqa: BLE001 - any damage means the same: no samples to show
        return None
    return found if isinstance(found, dict) and "inputs" in found else None


def list_runs(folder: Path) -> list[Run]:
    """The runs in a document's runs folder, oldest first."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    runs = [Run.load(child) for child in folder.iterdir() if (child / RUN_FILE).is_file()]
    return sorted((r for r in runs if r is not None), key=lambda r: (r.created, r.id))


def differing_settings(runs: list[Run]) -> list[str]:
    """The training settings whose values are not the same in every run."""
    keys = sorted({k for r in runs for k in r.settings})
    return [k for k in keys if len({json.dumps(r.settings.get(k), sort_keys=True) for r in runs}) > 1]


def _csv_columns(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as f:
        return next(csv.reader(f), [])


def _number(text):
    if text in ("", None):
        return None
    try:
        return float(text)
    except ValueError:
        return text


def _plain(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")
