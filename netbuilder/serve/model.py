"""What the service serves: the document's network with a run's weights, a weights file, or an ONNX file; the
shape it takes, its classes, the training data's normalisation (requests come in the data's own units) and the
training inputs and labels that drift is measured against. Plain data, so that LitServe can hand it to its
inference worker, which loads the network itself (`load`)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..errors import UserError
from ..graph.model import Graph


class ServeError(UserError):
    """The service cannot start that way; the message says why."""


@dataclass
class Served:
    graph: Graph
    shape: tuple[int, ...]  # one sample, without the batch
    weights: Path | None = None  # a checkpoint (a run's, or a file)
    onnx: Path | None = None  # or an ONNX file
    run: str | None = None  # the run's name, when it is one
    classes: list[str] | None = None  # class names (classification)
    classifies: bool = True
    stats: tuple | None = None  # (shift, scale) as numpy arrays: x' = (x - shift) / scale
    image: bool = False
    metrics: dict = field(default_factory=dict)  # the run's best results
    reference: np.ndarray | None = None  # training inputs in the data's own units
    labels: np.ndarray | None = None  # training labels (classification)
    note: str = ""  # why drift is not watched, when it is not

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def describe(self) -> dict:
        """GET /model."""
        return {"input_shape": list(self.shape), "batch": "one sample shaped like input_shape, or a list of them",
                "classes": self.classes, "task": "classification" if self.classifies else "regression",
                "run": self.run, "metrics": self.metrics,
                "weights": str(self.onnx or self.weights or "") or None,
                "runtime": "ONNX Runtime" if self.onnx else "PyTorch",
                "normalised": "inputs in the training data's own units are normalised as it was"
                if self.stats else "inputs are given to the network as they are"}

    def load(self):
        """The predicting function [N, *shape] float32 numpy -> [N, outputs] numpy, in the inference worker."""
        if self.onnx is not None:
            from ..deploy.formats import onnx_session as session

            runner = session(self.onnx, 1)
            name = runner.get_inputs()[0].name
            return lambda x: np.asarray(runner.run(None, {name: x})[0])
        from ..deploy.predict import trained_model

        model = trained_model(self.graph, self.weights)

        def run(x: np.ndarray) -> np.ndarray:
            with torch.inference_mode():
                return model(torch.from_numpy(x)).reshape(len(x), -1).numpy()
        return run

    def normalise(self, x: np.ndarray) -> np.ndarray:
        if not self.stats:
            return x
        return ((x - self.stats[0]) / self.stats[1]).astype(np.float32)


def refusal(graph: Graph) -> str | None:
    """Why this network cannot be served (the service feeds one Input); None when it can."""
    inputs = [n for n in graph.nodes() if n.type == "Input"]
    if len(inputs) != 1:
        return f"the service feeds one Input, and this network has {len(inputs)}"
    return None


def served(document: str, graph: Graph, run: str | None = None, weights: str | None = None,
           onnx: str | None = None) -> Served:
    """The service's description for the document at `document`: with a run of it (its name, id or folder;
    a run kept as an ONNX model, an int8 version Optimize made, is served in ONNX Runtime), a weights file, or
    an ONNX file exported from it."""
    from ..deploy.predict import run_folder, trained_model, weights_of
    from ..runs.run import Run

    why = refusal(graph)
    if why is not None:
        raise ServeError(why)
    inputs = [n for n in graph.nodes() if n.type == "Input"]
    given = [g for g in (run, weights, onnx) if g]
    if len(given) != 1:
        raise ServeError("say what to serve: --run NAME (a run of the document), --weights FILE.pt or --onnx"
                         " FILE.onnx (one of them)")
    found, path, onnx_path = None, None, None
    if run and (kept := Run.load(run_folder(document, run))) is not None and kept.onnx_only:
        found, onnx_path, graph = kept, kept.onnx_model(), kept.graph()
        _check_onnx(onnx_path)
    elif onnx:
        onnx_path = Path(onnx)
        if not onnx_path.is_file():
            raise ServeError(f"{onnx}: no such file")
        _check_onnx(onnx_path)
    else:
        path = weights_of(document, run, weights)
        found = Run.load(path.parent) if run else None
        if found is not None:
            graph = found.graph()
        trained_model(graph, path)  # refused now, with the reason, rather than in the worker
    shape = tuple(int(s) for s in inputs[0].params["shape"])
    result = Served(graph, shape, path, onnx_path, found.name if found else None,
                    metrics=dict(found.best) if found else {})
    _with_data(result)
    return result


def _check_onnx(path: Path) -> None:
    from ..deploy.formats import onnx_session as session

    try:
        session(path, 1)
    except Exception as e:  # noqa: BLE001 - onnxruntime's own errors
        raise ServeError(f"{path}: ONNX Runtime cannot load it ({str(e).splitlines()[0] if str(e) else e})") from None


def _with_data(result: Served) -> None:
    """The classes, normalisation and drift reference from the document's dataset, read as the run read it."""
    from ..data.dataset import DataSpec, prepare
    from ..train.config import CLASSIFICATION, TrainConfig

    config = TrainConfig.from_dict(result.graph.meta.get("training"))
    result.classifies = config.loss in CLASSIFICATION
    try:
        prepared = prepare(DataSpec.from_dict(result.graph.meta.get("data")))
    except (UserError, OSError) as e:
        result.note = f"drift is not watched: the training data cannot be read ({e})"
        return
    x = prepared.shown(prepared.train[0])
    if tuple(x.shape[1:]) != result.shape and x[0].numel() == result.size:
        x = x.reshape(-1, *result.shape)
    if tuple(x.shape[1:]) != result.shape:
        result.note = f"drift is not watched: the training data's samples are {list(x.shape[1:])}, not the Input's"
        return
    if prepared.stats:
        shift, scale = (s.reshape(-1, *result.shape).numpy() if s.numel() == result.size else s.numpy()
                        for s in prepared.stats)
        result.stats = (shift.astype(np.float32), scale.astype(np.float32))
    result.image = prepared.raw.kind == "image" and len(result.shape) == 3
    result.reference = x.numpy().astype(np.float32)
    if result.classifies and prepared.raw.task == "classification":
        result.labels = prepared.train[1].numpy()
        result.classes = [str(c) for c in prepared.raw.class_names] if prepared.raw.class_names else \
            [str(i) for i in range(prepared.raw.classes)]
