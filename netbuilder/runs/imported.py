"""An imported PyTorch model on disk: the document, and its weights as the document's first run, "imported
weights": a finished run of no epochs whose best.pt holds the model's weights under the layers' names, so
the editor (run list, Inside tab), `netbuilder predict --run "imported weights"` and "start from" read them
as they read a trained run's. It has no last.pt: there is no training to resume.

The document's recipe is the one its layers call for (the variational for a VAE's Reparameterize layer), else
the default; its dataset the first built-in one that fits its Input and Output (MNIST for a 1x28x28 network of 10
outputs, the digits for a VAE of 64 values), else none, so it opens without a data error (choosing one is then
the user's)."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import math

from ..analysis import Analysis
from ..atomic import write_atomic
from ..compile.importer.model import Imported
from ..data.dataset import NONE, STANDARD, DataSpec, builtin_names, builtin_sample
from ..data.raw import DataError
from ..graph.io import dumps
from ..graph.model import Graph
from ..train.callbacks.checkpoints import write_states
from ..train.config import TrainConfig
from ..train.recipes import called_for, recipes
from .run import Run, document_folder

RUN_NAME = "imported weights"


def save_imported(imported: Imported, document: str | Path, weights: str | Path | None) -> Run | None:
    """Write the document to `document` and, when the model came with a weights file, its run first. When the
    document cannot be written, the run made for it is removed again (OSError goes on to the caller)."""
    graph = imported.graph
    settings = called_for(graph)  # a VAE's Reparameterize layer: the variational recipe
    if settings:
        training = graph.meta.get("training") if isinstance(graph.meta.get("training"), dict) else {}
        graph.meta["training"] = {**training, **settings}
    graph.meta["data"] = DataSpec(source=fitting_dataset(graph)).to_dict()
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


def fitting_dataset(graph: Graph) -> str:
    """The first built-in dataset whose samples fit the network's one Input (the same shape, else as many
    values) and whose classes or targets fit its one Output (or whose samples do, where the document's recipe
    gives back its input: an autoencoder), real data before generated; "none" when none does."""
    inputs = [n for n in graph.nodes() if n.type == "Input"]
    outputs = [n for n in graph.nodes() if n.type == "Output"]
    if len(inputs) != 1 or len(outputs) != 1 or inputs[0].params.get("dtype", "float") != "float":
        return NONE
    shape = tuple(inputs[0].params.get("shape", ()))
    analysis = Analysis(graph)
    try:
        given = analysis.inputs(outputs[0].id).get("in")
    finally:
        analysis.close()
    width = math.prod(given.shape) if given is not None else None
    settings = graph.meta.get("training") if isinstance(graph.meta.get("training"), dict) else {}
    chosen = settings.get("recipe", TrainConfig.recipe)
    recipe = recipes().get(chosen) if isinstance(chosen, str) else None
    rebuilds = recipe is not None and recipe.target_is_input
    fitting = []
    for order, name in enumerate(builtin_names()):
        try:
            sample, wanted = builtin_sample(name)
        except DataError:  # a generator that cannot be made here: not a candidate
            continue
        if math.prod(sample) == math.prod(shape) and width in (None, math.prod(sample) if rebuilds else wanted):
            generated = name != "digits" and name not in STANDARD
            fitting.append((sample != shape, generated, order, name))  # the same shape, real data, the list's order
    return min(fitting)[-1] if fitting else NONE
