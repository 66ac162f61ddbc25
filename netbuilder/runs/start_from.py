"""A finished run as the starting point of a new network: the run's document (its layers, settings and data)
whose training starts from the run's weights (init_from: its best checkpoint, else its last), so the layers
that keep their names start where the run ended; replacing the final layer or freezing layers is then an edit
on the canvas. A weights file holding other names (a lesson's copies of the layers under new names) is written
beside the run's checkpoints."""
from __future__ import annotations

import json
from pathlib import Path

import torch

from ..atomic import write_atomic
from ..graph.io import FileFormatError, loads
from ..graph.model import Graph
from ..train.transfer import TransferError, read_weights
from .run import Run

STARTS = "starts"  # the run's subfolder of renamed weights


def run_weights(run: Run) -> Path:
    """The checkpoint a new network starts from: the run's best, else its last. TransferError when it has none."""
    found, why = run.weights_or_why("starting a new network from it")
    if found is not None:
        return found
    if run.onnx_only:
        raise TransferError(why)
    raise TransferError(f"the run '{run.name}' has no weights to start from (no best.pt or last.pt in"
                        f" {run.folder}): it ended before its first epoch")


def start_from_run(run: Run) -> Graph:
    """A new document: the run's network, settings and data, its layers starting from the run's weights.
    Raises TransferError (no weights) or FileFormatError (the run's copy of its document is damaged)."""
    weights = run_weights(run)
    graph = run.graph()
    training = graph.meta.get("training") if isinstance(graph.meta.get("training"), dict) else {}
    graph.meta["training"] = {**training, "init_from": str(weights)}
    graph.meta["description"] = f"Started from the run '{run.name}' ({run.summary() or run.status})."
    return graph


def renamed_weights(run: Run, renames: dict[str, str], name: str) -> Path:
    """The run's weights with layer `old` saved as `new` for each new: old of `renames` (a layer copied under
    another name), in the run's folder; TransferError naming the layers the run does not have."""
    weights = read_weights(run_weights(run))
    layers = sorted({k.split(".", 1)[0] for k in weights})
    absent = sorted({old for old in renames.values() if old not in layers})
    if absent:
        raise TransferError(f"the run '{run.name}' has no layer{'s' * (len(absent) > 1)} {', '.join(absent)}"
                            f" (it has {', '.join(layers)})")
    state = {f"{new}.{key.split('.', 1)[1]}": value for new, old in renames.items()
             for key, value in weights.items() if key.split(".", 1)[0] == old}
    path = run.folder / STARTS / f"{name}.pt"
    path.parent.mkdir(exist_ok=True)
    write_atomic(path, lambda f: torch.save({"model": state}, f))
    return path


def lesson_next(run: Run) -> dict | None:
    """The next step of the lesson the run's document is a step of (a document as JSON), or None."""
    try:
        lesson = run.graph().meta.get("lesson")
    except FileFormatError:
        return None
    return lesson["next"] if isinstance(lesson, dict) and isinstance(lesson.get("next"), dict) else None


def lesson_next_step(run: Run) -> Graph:
    """The lesson's next document, the layers its lesson.start names (new: old) starting from the run's
    weights. TransferError when the run is no lesson step with a next one, or has no weights."""
    from ..layers import check_node

    following = lesson_next(run)
    if following is None:
        raise TransferError(f"the run '{run.name}' is not a step of a lesson with a next step")
    graph = loads(json.dumps(following), check_node, f"the next step of the lesson in {run.folder}")
    lesson = graph.meta.get("lesson") if isinstance(graph.meta.get("lesson"), dict) else {}
    start = lesson.get("start") if isinstance(lesson.get("start"), dict) else {}
    training = graph.meta.get("training") if isinstance(graph.meta.get("training"), dict) else {}
    if start:
        path = renamed_weights(run, start, f"lesson-step-{lesson.get('step', 'next')}")
        graph.meta["training"] = {**training, "init_from": str(path)}
    return graph


def weights_fit(graph: Graph, path: str | Path) -> tuple[list[str], list[str], list[str]]:
    """How a weights file (a checkpoint or a bare state dict) fits the document's networks, matched by layer
    name and shape: (layers it fills, layers of its names it cannot fill and why, its layers the document
    lacks). TransferError naming the layers on both sides when it fills none (or cannot be read, or the
    document does not compile)."""
    from ..compile import build_model
    from ..errors import UserError
    from ..train.transfer import matching, refusal

    weights = read_weights(path)
    layers = {}
    for part in graph.networks():
        outputs = [graph.node(n).name for n in part if graph.node(n).type == "Output"]
        if not outputs:
            continue
        try:
            layers.update(build_model(graph, outputs[0]).named_children())
        except UserError as e:
            raise TransferError(f"the network of {outputs[0]} cannot be built to check the weights: {e}") from None
    _, loaded, skipped = matching(layers, weights)
    if not loaded:
        raise refusal(path, weights, layers, skipped)
    absent = sorted({k.split(".", 1)[0] for k in weights} - set(layers))
    return loaded, skipped, absent


def fit_words(path: str | Path, loaded: list[str], skipped: list[str], absent: list[str]) -> str:
    """weights_fit's answer in a sentence."""
    text = f"{', '.join(loaded)} start{'s' * (len(loaded) == 1)} from {Path(path).name}."
    if skipped:
        text += f" Not matching: {'; '.join(skipped)}."
    if absent:
        text += f" Not here: {', '.join(absent)} (no layer of that name)."
    return text
