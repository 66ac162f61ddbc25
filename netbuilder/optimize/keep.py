"""Each optimised version kept as a run of its document, so the run list shows it and the service and `netbuilder
evaluate` take it: an int8 version is a run of the original's document whose model is its ONNX file (model.onnx,
no PyTorch weights: runs/run.py says so to whatever asks for them); the pruned network is a run of the pruned
document with its weights (best.pt), or the fine-tuning run itself, and its int8 version an ONNX run of the pruned
document. Each holds its test results from the comparison (evaluation.json, its best: test accuracy or loss) and
the original run's test samples. Optimising the same run again replaces its earlier versions' runs."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

from ..graph.model import Graph
from ..runs.run import ONNX_FILE, SAMPLES_FILE, Run, list_runs
from ..train.callbacks.checkpoints import write_states
from .measure import Row


def keep_onnx(row: Row, source: Run, graph: Graph, parent: Path) -> Run:
    """The ONNX version in `row` as a run of `graph`'s document (its runs folder `parent`)."""
    run = _run(row, source, graph, parent)
    shutil.copyfile(row.variant.file, run.folder / ONNX_FILE)
    return _finished(run, row, f"{row.variant.name} of '{source.name}': an ONNX model for ONNX Runtime"
                                f" ({row.variant.file.name}), without PyTorch weights")


def keep_weights(row: Row, source: Run, graph: Graph, parent: Path, recipe: str) -> Run:
    """The PyTorch version in `row` (the pruned network, not fine-tuned) as a run of `graph`'s document."""
    run = _run(row, source, graph, parent)
    state = {k: v.detach().clone() for k, v in row.variant.module.state_dict().items()}
    write_states(run.folder, {"best.pt": {"format": 2, "recipe": recipe, "model": state}})
    return _finished(run, row, f"{row.variant.name} of '{source.name}' (its weights, not trained further)")


def mark(run: Run, row: Row, source: Run) -> Run:
    """A run that already is a version (the fine-tuning of the pruned document): said to be one."""
    run.made_from = _made_from(row, source)
    run.save()
    return run


def _made_from(row: Row, source: Run) -> dict:
    return {"run": source.name, "run_id": source.id, "version": row.variant.name, "runtime": row.variant.runtime}


def _run(row: Row, source: Run, graph: Graph, parent: Path) -> Run:
    """A new run, or the folder of this version's run from an earlier Optimize of the same run (replaced)."""
    made = _made_from(row, source)
    earlier = next((r for r in list_runs(parent) if r.made_from.get("run_id") == source.id
                    and r.made_from.get("version") == made["version"]), None)
    if earlier is not None:
        for name in (ONNX_FILE, "best.pt", "last.pt"):
            (earlier.folder / name).unlink(missing_ok=True)
    run = Run.create(parent, graph, name=f"{row.variant.name} of {source.name}",
                     folder=earlier.folder if earlier is not None else None)
    run.made_from = made
    if earlier is not None:  # the same run, its name as the user left it
        run.id, run.name = earlier.id, earlier.name
    samples = source.folder / SAMPLES_FILE
    if samples.is_file():
        shutil.copyfile(samples, run.folder / SAMPLES_FILE)
    return run


def _finished(run: Run, row: Row, message: str) -> Run:
    if row.evaluation is not None:
        run.write_evaluation(row.evaluation)
    run.best = {"test_loss": row.loss} if row.accuracy is None else {"test_accuracy": row.accuracy,
                                                                     "test_loss": row.loss}
    run.status, run.ended, run.message = "finished", time.time(), message
    run.save()
    return run
