"""The document's dataset, shaped for its network: what the trainer is fed, and the checks and fixes that
every recipe shares (the Input's shape; a supervised network's Output). Which of them a run uses is the
recipe's to say (recipes/base.py); fitting.py asks it."""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ..analysis import Analysis
from ..data.dataset import DataSpec, Prepared, prepare
from ..data.raw import DataError
from ..graph.edits import Group, SetMeta, SetParam
from ..graph.model import Graph
from ..graph.problems import Fix, Problem
from .config import CLASSIFICATION, TrainConfig
from .errors import TrainingError


@dataclass
class TrainingData:
    prepared: Prepared  # as the dataset gives it (images stay images, for previews and the test grid)
    train: tuple[torch.Tensor, torch.Tensor]  # reshaped to the Input's shape
    val: tuple[torch.Tensor, torch.Tensor]
    test: tuple[torch.Tensor, torch.Tensor]
    augment: object | None  # callable(batch, generator) for training batches, or None


def shaped_data(recipe, graph: Graph, config: TrainConfig, spec: DataSpec | None = None, progress=None,
                download: bool = False, prepared: Prepared | None = None) -> TrainingData:
    """The data reshaped to the network's Inputs, for `recipe` (its class). Raises TrainingError saying what
    does not fit: the data, the Input's shape, the loss."""
    spec = spec or DataSpec.from_dict(graph.meta.get("data"))
    try:
        prepared = prepared or prepare(spec, progress, download)
    except DataError as e:
        raise TrainingError(str(e)) from None
    inputs = [n for n in graph.nodes() if n.type == "Input"]
    if not inputs:
        raise TrainingError(f"the network has no Input to feed {spec.label} to: add one")
    recipe.check_task(config, prepared, spec)
    if len(inputs) > 1:
        data = _several_inputs(graph, inputs, prepared, spec)
        _check_outputs(recipe, graph, config, prepared, spec)
        return data
    shape = tuple(inputs[0].params["shape"])
    sample = prepared.sample_shape
    _check_outputs(recipe, graph, config, prepared, spec)
    aug = prepared.augment
    augment = None
    if aug is not None:
        def augment(xb, generator=None):  # augment as images, then back to the Input's shape
            return aug(xb.reshape(-1, *sample), generator).reshape(xb.shape)

    def fit(part):
        return part[0].reshape(-1, *shape), part[1]

    return TrainingData(prepared, fit(prepared.train), fit(prepared.val), fit(prepared.test), augment)


def check_supervised_task(config: TrainConfig, prepared: Prepared, spec: DataSpec) -> None:
    """The loss must suit the task: classes or numbers."""
    classifies = config.loss in CLASSIFICATION
    if prepared.raw.task == "regression" and classifies:
        raise TrainingError(f"{spec.label} is a regression task (numbers to predict, not classes): choose"
                            " the mse or l1 loss")
    if prepared.raw.task == "classification" and not classifies:
        raise TrainingError(f"{spec.label} is a classification task: choose the cross_entropy loss")


def _check_outputs(recipe, graph: Graph, config: TrainConfig, prepared: Prepared, spec: DataSpec) -> None:
    errors = [p for p in recipe.data_problems(graph, config, prepared, spec) if p.severity == "error"]
    if errors:
        raise TrainingError(f"{errors[0].message}{f': {errors[0].fix.label}' if errors[0].fix else ''}")


def input_problems(graph: Graph, prepared: Prepared, spec: DataSpec) -> list[Problem]:
    """Whether the Input (of a network of one Input) takes the dataset's samples, on the Input with a fix."""
    inputs = [n for n in graph.nodes() if n.type == "Input"]
    found = []
    if len(inputs) == 1:
        shape, sample = tuple(inputs[0].params.get("shape", ())), prepared.sample_shape
        if math.prod(shape) != math.prod(sample):
            dims = ", ".join(map(str, sample))
            found.append(Problem(inputs[0].id, f"the Input '{inputs[0].name}' takes [N, {', '.join(map(str, shape))}]"
                                 f" but {spec.label} samples are [N, {dims}] ({math.prod(sample)} values)",
                                 fix=Fix(f"set its shape to [{dims}]", "set_param", inputs[0].id, param="shape",
                                         value=list(sample))))
    return found


def output_given(graph: Graph, analysis: Analysis | None = None):
    """(the network's one Output, the tensor type it is given), or (None, None) without exactly one Output or
    a known type. `analysis` is the graph's own when the caller keeps one (the window's document)."""
    outputs = [n for n in graph.nodes() if n.type == "Output"]
    if len(outputs) != 1:
        return None, None
    own = analysis is None
    analysis = Analysis(graph) if own else analysis
    try:
        return outputs[0], analysis.inputs(outputs[0].id).get("in")
    finally:
        if own:
            analysis.close()


def output_problems(graph: Graph, config: TrainConfig, prepared: Prepared, spec: DataSpec,
                    analysis: Analysis | None = None) -> list[Problem]:
    """Whether the network's Output gives what the loss compares with the targets: a score per class, one
    logit for two classes with bce_with_logits, or as many values as a regression target has. Each
    problem sits on the Output, with a fix setting the last Linear's out_features where there is one.
    `analysis` is the graph's own when the caller keeps one (the window's document)."""
    output, given = output_given(graph, analysis)
    if given is None:
        return []  # no single Output is said elsewhere (build_model), with the network's problems
    width = math.prod(given.shape)
    last = last_linear(graph, output.id)
    raw, name = prepared.raw, f"the Output '{output.name}'"

    def problem(message: str, wanted: int | None, severity: str = "error") -> list[Problem]:
        if wanted is not None and last is not None:
            fix = Fix(f"set {last.name}'s out_features to {wanted}", "set_param", last.id, param="out_features",
                      value=wanted)
            return [Problem(output.id, message, fix=fix, severity=severity)]
        if wanted is not None:
            message += f": make the last layer give {wanted} values"
        return [Problem(output.id, message, severity=severity)]
    if raw.task == "classification" and config.loss in ("cross_entropy", "nll"):
        classes = max(raw.classes, int(raw.y.max()) + 1 if len(raw.y) else 0)
        if given.rank != 1 or width < classes:
            return problem(f"{name} gives {given} but {spec.label} has {classes} classes (labels 0 to"
                           f" {classes - 1}): it needs a score per class, [N, {classes}]", classes)
        if width > classes:
            return problem(f"{name} gives {width} scores but {spec.label} has {classes} classes: the other"
                           f" {width - classes} stand for no class", classes, "warning")
    elif raw.task == "classification" and config.loss == "bce_with_logits":
        if raw.classes > 2:
            return problem(f"bce_with_logits is for two classes (labels 0 and 1), but {spec.label} has"
                           f" {raw.classes}: choose the cross_entropy loss, with a score per class", None)
        if width != 1:
            return problem(f"{name} gives {given} but bce_with_logits on two classes takes one logit per"
                           " sample", 1)
    elif raw.task == "regression":
        target = math.prod(raw.y.shape[1:]) or 1
        if config.loss in ("cross_entropy", "nll"):
            return problem(f"{spec.label} has values to predict (a regression), and {config.loss} is a"
                           " classification loss: choose mse or l1", None)
        if width != target:
            return problem(f"{name} gives {given} ({width} values) but each target of {spec.label} has"
                           f" {target}", target)
    return []


RECURRENT = ("RNN", "LSTM", "GRU", "Recurrent")


def _starting_states(graph: Graph, inputs: list) -> dict[str, str]:
    """The Inputs that only give a recurrent layer its starting state (its h or c): {Input name: layer name}."""
    found = {}
    for node in inputs:
        edges = graph.out_edges(node.id)
        if edges and all(e.dst_port in ("h", "c") and graph.node(e.dst).type in RECURRENT for e in edges):
            found[node.name] = graph.node(edges[0].dst).name
    return found


def _several_inputs(graph: Graph, inputs: list, prepared: Prepared, spec: DataSpec) -> TrainingData:
    """A network with several Inputs is fed one array each, found by the Input's name (case aside)."""
    arrays = {k.lower(): k for k in prepared.raw.inputs}
    listed = ", ".join(f"'{n.name}'" for n in inputs)
    missing = [n.name for n in inputs if n.name.lower() not in arrays]
    states = _starting_states(graph, inputs)
    others = [m for m in missing if m not in states]  # one array of samples would feed the one other Input
    if missing != others and (not others or (len(others) == 1 and not prepared.raw.inputs)):
        missing = [m for m in missing if m in states]
        layers = ", ".join(f"'{n}'" for n in dict.fromkeys(states[m] for m in missing))
        raise TrainingError(f"the Inputs {', '.join(repr(m) for m in missing)} give {layers} its starting state,"
                            f" which {spec.label} does not hold: to train on it, delete them and the Outputs of the"
                            f" state, and untick the setting 'state' of {layers} (each sequence then starts from"
                            " zeros, as an LSTM given no state does)")
    if missing:
        have = ", ".join(f"'{k}'" for k in prepared.raw.inputs) or "one array of samples"
        raise TrainingError(f"the network has {len(inputs)} Inputs ({listed}): its data needs an array for each,"
                            f" named after it (an .npz file with arrays {listed} and a target y), but {spec.label}"
                            f" has {have}; no array for {', '.join(repr(m) for m in missing)}")
    parts = []
    for node in inputs:
        shape, values = tuple(node.params["shape"]), prepared.named(arrays[node.name.lower()])
        size = math.prod(values[0].shape[1:])
        if math.prod(shape) != size:
            raise TrainingError(f"the Input '{node.name}' takes [N, {', '.join(map(str, shape))}] but the array"
                                f" '{node.name}' of {spec.label} has {size} values per sample: set its shape")
        parts.append(tuple(v.reshape(-1, *shape) for v in values))

    def split(i: int, target: torch.Tensor):
        return (*(p[i] for p in parts), target)

    return TrainingData(prepared, split(0, prepared.train[1]), split(1, prepared.val[1]), split(2, prepared.test[1]),
                        None)


PASS_THROUGH = ("Dropout", "Dropout2d", "ReLU", "LeakyReLU", "ELU", "GELU", "SiLU", "Sigmoid", "Tanh", "Softmax",
                "LogSoftmax", "Identity")


def fit_input(graph: Graph, prepared: Prepared, edits: list, left: list[str]) -> None:
    """The Input's shape for the dataset (an Input of the same size keeps its shape: the samples are reshaped
    to it, as a flat MLP wants)."""
    inputs = [n for n in graph.nodes() if n.type == "Input"]
    if len(inputs) == 1 and math.prod(inputs[0].params["shape"]) != math.prod(prepared.sample_shape):
        edits.append(SetParam(graph, inputs[0].id, "shape", list(prepared.sample_shape)))
    elif len(inputs) != 1:
        left.append(f"the network has {len(inputs)} Inputs: set the one for this data to "
                    f"{list(prepared.sample_shape)} by hand")


def fit_supervised(graph: Graph, config: TrainConfig, prepared: Prepared, edits: list, left: list[str]) -> None:
    """The last Linear gives a score per class (one logit for two classes with bce_with_logits) or the
    target's size, and the loss suits the task."""
    outputs = [n for n in graph.nodes() if n.type == "Output"]
    last = last_linear(graph, outputs[0].id) if len(outputs) == 1 else None
    units = 1 if config.loss == "bce_with_logits" and prepared.raw.classes == 2 else prepared.outputs
    if last is not None:
        edits.append(SetParam(graph, last.id, "out_features", units))
    else:
        left.append(f"no Linear layer feeds the Output: make the last layer give {units} values")
    classifies = prepared.raw.task == "classification"
    if classifies != (config.loss in CLASSIFICATION):
        settings = dict(graph.meta.get("training") or {})
        settings["loss"] = "cross_entropy" if classifies else "mse"
        edits.append(SetMeta(graph, "training", settings))


def last_linear(graph: Graph, output_id: str, through: tuple[str, ...] = PASS_THROUGH):
    """The Linear that gives the Output its values, looking back through dropout and activations."""
    node_id = output_id
    while True:
        before = graph.predecessors(node_id)
        if len(before) != 1:
            return None
        node = graph.node(before[0])
        if node.type == "Linear":
            return node
        if node.type not in through:
            return None
        node_id = node.id
