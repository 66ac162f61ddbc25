"""An imported PyTorch model on disk: the document, and its weights as the document's first run, "imported
weights": a finished run of no epochs whose best.pt holds the model's weights under the layers' names, so
the editor (run list, Inside tab), `netbuilder predict --run "imported weights"` and "start from" read them
as they read a trained run's. It has no last.pt: there is no training to resume."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

from ..atomic import write_atomic
from ..compile.importer.model import Imported
from ..graph.io import dumps
from ..train.callbacks.checkpoints import write_states
from ..train.config import TrainConfig
from .run import Run, document_folder

RUN_NAME = "imported weights"


def save_imported(imported: Imported, document: str | Path, weights: str | Path | None) -> Run | None:
    """Write the document to `document` and, when the model came with a weights file, its run first. When the
    document cannot be written, the run made for it is removed again (OSError goes on to the caller)."""
    run = None
    if weights:
        run = write_run(imported, document, Path(weights))
    try:
        write_atomic(document, dumps(imported.graph))
    except BaseException:
        if run is not None:
            shutil.rmtree(run.folder, ignore_errors=True)
        raise
    return run


def write_run(imported: Imported, document: str | Path, weights: Path) -> Run:
    graph = imported.graph
    run = Run.create(document_folder(str(document), ""), graph, name=RUN_NAME)
    settings = graph.meta.get("training") if isinstance(graph.meta.get("training"), dict) else {}
    recipe = str(settings.get("recipe", TrainConfig.recipe))
    try:
        write_states(run.folder, {"best.pt": {"format": 2, "recipe": recipe, "model": imported.state,
                                              "imported": f"{weights.name} ({imported.source})"}})
    except BaseException:
        shutil.rmtree(run.folder, ignore_errors=True)
        raise
    run.status, run.ended = "finished", time.time()
    run.message = f"weights imported from {weights.name} ({imported.source})"
    run.save()
    return run
