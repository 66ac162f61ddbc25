"""What one sample of a document's dataset looks like, found without preparing the data: the shape a
new Input takes, and how many values the last layer should give."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache

from .dataset import STANDARD, DataSpec, load_source
from .raw import DataError

# The standard sets are large files (or a download): their shapes are known without reading them.
STANDARD_SAMPLES = {"mnist": (1, 28, 28), "fashion_mnist": (1, 28, 28), "cifar10": (3, 32, 32)}


@dataclass(frozen=True)
class Sample:
    shape: tuple[int, ...]  # one sample, without the batch
    outputs: int  # the number of classes, or the target's size
    task: str  # classification or regression
    kind: str = field(default="", compare=False)  # image, table, sequence or text ("" where not read)


def sample_of(spec: DataSpec) -> Sample | None:
    """The sample of a built-in dataset (digits, the synthetic sets, the standard ones); None for a
    file or folder (reading it could take long) and for settings that do not make a dataset. Remembered
    per settings: each new Input asks, and making the data takes tens of milliseconds."""
    try:
        key = json.dumps(spec.to_dict(), sort_keys=True)
    except (TypeError, ValueError):
        return _sample_of(spec)
    return _remembered(key)


@lru_cache(maxsize=32)
def _remembered(key: str) -> Sample | None:
    return _sample_of(DataSpec.from_dict(json.loads(key)))


def _sample_of(spec: DataSpec) -> Sample | None:
    if spec.problems() or spec.is_path:
        return None
    if spec.source in STANDARD:
        return Sample(STANDARD_SAMPLES[spec.source], len(spec.classes) or 10, "classification")
    try:
        raw = load_source(spec)
    except (DataError, TypeError, ValueError):
        return None  # options the generator refuses: the Data panel says why
    outputs = (len(spec.classes) or raw.classes) if raw.task == "classification" else int(math.prod(raw.y.shape[1:])) or 1
    return Sample(tuple(int(s) for s in raw.x.shape[1:]), int(outputs), raw.task, raw.kind)


def data_spec(meta: dict) -> DataSpec:
    """The document's dataset: its own, or the default (the digits) when it names none."""
    data = meta.get("data") if isinstance(meta, dict) else None
    return DataSpec.from_dict(data if isinstance(data, dict) else None)


def new_layer_params(meta: dict, layer_type: str) -> dict:
    """Parameters a layer added to a document takes from its dataset, beyond the catalog's defaults:
    an Input gets the shape of one sample (the digits' [1, 8, 8] rather than [1, 28, 28])."""
    if layer_type != "Input":
        return {}
    sample = sample_of(data_spec(meta))
    if sample is not None and sample.kind == "text":  # character indices, one of the vocabulary's
        return {"shape": list(sample.shape), "dtype": "int", "vocab_size": sample.outputs}
    return {"shape": list(sample.shape)} if sample is not None else {}
