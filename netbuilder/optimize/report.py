"""A finished run made smaller and faster, every version measured against the original in one table: the
original in PyTorch and in ONNX Runtime (the runtime the int8 versions run in, so their speed-up is the
quantization's), int8 (dynamic or static), the pruned document (fine-tuned through the normal training loop as
a run of its own), and the pruned network in int8 when both are asked for. The files land in one folder:

    original.pt  original.onnx  int8-static.onnx     the original and its int8 version
    pruned.json  pruned.pt  pruned.onnx  ...         the pruned document, its weights, its ONNX files
    table.txt  table.csv                             the comparison

Each version is also kept as a run of its document (keep.py): the int8 versions as runs whose model is their ONNX
file, the pruned network as a run of the pruned document."""
from __future__ import annotations

import contextlib
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..atomic import write_atomic
from ..errors import UserError
from .measure import Row, Variant, compare, table, threads_of_torch, torch_parameters
from .prune import Pruned, prune, save_pruned
from .sparsify import HONEST, sparsify
from .quantize import METHODS, OnnxModule, export_onnx, nonzero_weights, quantize, suggested
from .source import OptimizeError, Trained, load_trained


class Cancelled(UserError):
    """The user stopped it."""


@dataclass
class Plan:
    quantize: str | None = None  # "dynamic", "static", "auto" (the one suggested for the network) or None
    prune: float | None = None  # the share of channels removed, or None
    finetune: int = 0  # epochs of training after pruning
    global_pruning: bool = False
    threads: int = 1  # for ONNX Runtime (its session's own setting), and for PyTorch when set_torch_threads
    # torch's thread count is the process's: set it (to `threads`, restored after) only in a process of its own (the
    # command); in the app a training run shares it, so it is left as it is and the table says what it was
    set_torch_threads: bool = False
    repeats: int = 20
    sparsify: float | None = None  # the lesson: this share of the weights set to zero (the same size and speed)

    def problems(self) -> list[str]:
        found = []
        if self.quantize is None and self.prune is None and self.sparsify is None:
            found.append("say what to do: quantize (dynamic or static), prune (a ratio), or both")
        if self.sparsify is not None and not 0 < self.sparsify < 1:
            found.append(f"the share of weights set to zero is above 0 and below 1, not {self.sparsify}")
        if self.quantize not in (None, "auto", *METHODS):
            found.append(f"quantization is {' or '.join(METHODS)}, not '{self.quantize}'")
        if self.prune is not None and not 0 < self.prune < 1:
            found.append(f"the pruning ratio is the share of channels removed, above 0 and below 1, not {self.prune}")
        if self.finetune < 0:
            found.append(f"fine-tuning epochs cannot be negative ({self.finetune})")
        if self.threads < 1 or self.repeats < 1:
            found.append("threads and repetitions are whole numbers from 1")
        return found


@dataclass
class Report:
    trained: Trained
    rows: list[Row]
    threads: int
    folder: Path
    pruned: Pruned | None = None
    finetune_run: object = None  # the pruned document's fine-tuning run
    notes: list[str] = field(default_factory=list)
    runs: list = field(default_factory=list)  # the versions kept as runs (Run), in the table's order
    torch_threads: int = 1  # PyTorch's thread count while measuring

    def text(self) -> str:
        return table(self.rows, self.threads, self.torch_threads)


def optimize_run(document: str | None, run: str, plan: Plan, folder: Path, progress=None,
                 cancelled=lambda: False) -> Report:
    """Optimise the run `run` of the document at `document` as `plan` says, into `folder`. `progress(share,
    text)` hears each stage (share from 0 to 1); `cancelled()` is asked between stages and while fine-tuning."""
    problems = plan.problems()
    if problems:
        raise OptimizeError("; ".join(problems))
    say = progress or (lambda share, text: None)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)

    def stage(share: float, text: str) -> None:
        if cancelled():
            raise Cancelled("optimising was stopped")
        say(share, text)

    stage(0.0, "reading the run and its data")
    trained = load_trained(document, run)
    original = folder / "original.pt"
    write_atomic(original, lambda f: torch.save(trained.model.state_dict(), f))
    variants = [Variant("original", trained.model, original, "PyTorch", torch_parameters(trained.model))]
    method = suggested(trained.model) if plan.quantize == "auto" else plan.quantize
    notes: list[str] = []
    with threads_of_torch(plan.threads) if plan.set_torch_threads else contextlib.nullcontext():
        torch_threads = torch.get_num_threads()
        if method:
            stage(0.1, "exporting to ONNX")
            onnx_file = export_onnx(trained.graph, original, folder / "original.onnx")
            variants.append(_onnx("original", onnx_file, plan.threads))
            stage(0.2, f"quantizing to int8 ({method})")
            variants.append(_onnx(f"int8 {method}", quantize(onnx_file, folder / f"int8-{method}.onnx", method,
                                                             trained.calibration(), trained.input_name),
                                  plan.threads))
        pruned, finetuned = None, None
        if plan.prune is not None:
            stage(0.3, f"pruning {plan.prune:.0%} of the channels")
            try:
                pruned = prune(trained.graph, trained.model, trained.calibration(1, 2)[0], plan.prune,
                               plan.global_pruning)
            except OptimizeError as e:
                if not method:
                    raise
                notes.append(f"not pruned: {e}")  # the int8 versions are still measured
        if pruned is not None:
            document_file, weights = save_pruned(pruned, folder)
            notes.append(f"{document_file.name}: " + ", ".join(f"{name} {a} -> {b}"
                                                                 for name, (a, b) in pruned.widths.items()))
            if plan.finetune:
                stage(0.4, f"fine-tuning the pruned network for {plan.finetune} epoch(s)")
                finetuned, weights = _finetune(trained, pruned, document_file, weights, plan.finetune, cancelled,
                                               lambda share: say(0.4 + 0.4 * share, "fine-tuning"))
            label = f"pruned {plan.prune:.0%}" + (f" +{plan.finetune} ep" if plan.finetune else "")
            variants.append(Variant(label, pruned.model, weights, "PyTorch", torch_parameters(pruned.model)))
            if method:
                stage(0.8, "quantizing the pruned network")
                pruned_onnx = export_onnx(pruned.graph, weights, folder / "pruned.onnx")
                variants.append(_onnx(f"{label}, int8 {method}",
                                      quantize(pruned_onnx, folder / f"pruned-int8-{method}.onnx", method,
                                               trained.calibration(), trained.input_name), plan.threads))
        if plan.sparsify is not None:
            stage(0.82, f"setting {plan.sparsify:.0%} of the weights to zero (the lesson)")
            sparse = sparsify(trained.model, plan.sparsify, plan.global_pruning)
            kept = folder / "sparsified.pt"
            write_atomic(kept, lambda f: torch.save(sparse.state_dict(), f))
            variants.append(Variant(f"zeros {plan.sparsify:.0%}", sparse, kept, "PyTorch", torch_parameters(sparse)))
            notes.append(f"zeros {plan.sparsify:.0%}: {HONEST}")
        stage(0.85, "measuring every version on the test set")
        rows = compare(variants, trained.recipe, trained.test, plan.repeats)
    report = Report(trained, rows, plan.threads, folder, pruned, finetuned, notes, torch_threads=torch_threads)
    stage(0.95, "keeping each version as a run")
    report.runs = _keep(report, document, document_file if pruned is not None else None)
    _write_tables(report)
    say(1.0, "done")
    return report


def _keep(report: Report, document: str | None, pruned_document: Path | None) -> list:
    """Each version but the original (in PyTorch and in ONNX Runtime) as a run of its document: the document at
    `document` (else the one whose runs folder holds the run) or the pruned one."""
    from ..runs.run import document_folder
    from .keep import keep_onnx, keep_weights, mark

    source, kept = report.trained.run, []
    runs = document_folder(document, "") if document else source.folder.parent
    pruned_runs = document_folder(str(pruned_document), "") if pruned_document else None
    for row in report.rows[1:]:
        pruned = row.variant.name.startswith("pruned")  # the other versions are of the original document
        if row.variant.name == "original":
            continue
        if pruned and pruned_runs is None:
            continue
        graph, parent = (report.pruned.graph, pruned_runs) if pruned else (report.trained.graph, runs)
        if row.variant.runtime == "ONNX Runtime":
            kept.append(keep_onnx(row, source, graph, parent))
        elif pruned and report.finetune_run is not None:
            kept.append(mark(report.finetune_run, row, source))
        else:
            kept.append(keep_weights(row, source, graph, parent, report.trained.config.recipe))
    return kept


def _onnx(name: str, path: Path, threads: int) -> Variant:
    return Variant(name, OnnxModule(path, threads), path, "ONNX Runtime", nonzero_weights(path))


def _finetune(trained: Trained, pruned: Pruned, document_file: Path, weights: Path, epochs: int, cancelled,
              progress):
    """Train the pruned document from its pruned weights for `epochs` epochs with the run's settings, as a run
    of the pruned document (the editor lists it when the document is opened). Its best weights (else last)
    become the pruned network's."""
    from ..deploy.predict import trained_model, weights_of
    from ..runs.recorder import RunRecorder
    from ..runs.run import Run, document_folder
    from ..train.callbacks import Callback
    from ..train.config import TrainConfig
    from ..train.errors import TrainingError
    from ..train.loop import make_trainer

    class Watch(Callback):
        def on_step_end(self, trainer, step) -> None:
            if cancelled():
                trainer.stop()

        def on_epoch_end(self, trainer, epoch) -> None:
            progress((epoch.epoch + 1) / epochs)

    settings = {**trained.config.to_dict(), "epochs": epochs, "init_from": str(weights.resolve())}
    pruned.graph.meta["training"] = settings
    pruned.graph.save(document_file)
    run = Run.create(document_folder(str(document_file), ""), pruned.graph, name=f"fine-tuned {epochs} epoch(s)")
    try:
        trainer, _ = make_trainer(pruned.graph, TrainConfig.from_dict(settings), [Watch(), RunRecorder(run)],
                                  run.folder, prepared=trained.data.prepared)
        result = trainer.run()
    except TrainingError as e:
        raise OptimizeError(f"fine-tuning the pruned network failed: {e}") from None
    if cancelled():
        raise Cancelled("optimising was stopped while fine-tuning")
    if result.status == "failed":
        raise OptimizeError(f"fine-tuning the pruned network failed: {result.message}")
    path = weights_of(str(document_file), str(run.folder), None)
    pruned.model = trained_model(pruned.graph, path)
    weights = document_file.with_name("pruned-finetuned.pt")
    write_atomic(weights, lambda f: torch.save(pruned.model.state_dict(), f))
    return run, weights


def _write_tables(report: Report) -> None:
    write_atomic(report.folder / "table.txt", report.text() + "\n")
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["version", "runtime", "file", "accuracy", "loss", "bytes", "parameters", "seconds_batch_1",
                     "seconds_batch_64", "agreement", "mean_abs_difference", "threads"])
    for r in report.rows:
        writer.writerow([r.variant.name, r.variant.runtime, r.variant.file.name, r.accuracy, r.loss, r.size,
                         r.variant.parameters, r.latency_1, r.latency_64, r.agreement, r.difference,
                         report.torch_threads if r.variant.runtime == "PyTorch" else report.threads])
    write_atomic(report.folder / "table.csv", text.getvalue())
