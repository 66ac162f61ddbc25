"""The network for use outside netbuilder: an ONNX file (for onnxruntime and other runtimes) or a TorchScript
file (torch.jit.load), with a run's weights or fresh ones. Each file is checked before it is kept: the exported
model runs on example batches of two sizes and its outputs are compared with the compiled module's; a file
that does not give the same outputs is not written.

ONNX goes through torch.onnx's torch.export-based exporter (dynamo=True), with a dynamic batch dimension: the
TorchScript-based exporter it replaced cannot export an AdaptiveAvgPool2d whose output size does not divide
its input. TorchScript scripts the module, and traces only the layers that cannot be scripted."""
from __future__ import annotations

import copy
import io
import logging
import math
import os
import re
import sys
import warnings
from contextlib import contextmanager, redirect_stderr
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..atomic import write_atomic
from ..compile import build_model, example_inputs
from ..compile.plan import make_plan, network_nodes
from ..errors import UserError
from ..graph.model import Graph
from .predict import trained_model, weights_of
from ..runs.run import Run

FORMATS = {"onnx": "ONNX", "torchscript": "TorchScript"}
EXAMPLE_BATCH = 2  # the batch the model is exported with
CHECK_BATCHES = (1, 5)  # the batches the written model is checked on: other sizes than the export's
ATOL, RTOL = 1e-4, 1e-3  # outputs match when |exported - compiled| <= ATOL + RTOL * |compiled| everywhere
ONNX_HOW = "torch.onnx's dynamo exporter, any batch size"
FRESH = "freshly initialised weights (no run or weights file given: the network has not been trained)"


class ExportError(UserError):
    """The network cannot be exported in that format, or the export does not give the network's outputs."""


@dataclass
class Exported:
    """What was written and how it was checked."""
    path: Path
    format: str
    weights: str  # whose weights, in words
    difference: float  # the largest difference from the compiled module's outputs
    how: str  # how it was made, in words
    traced: list[str] = field(default_factory=list)  # TorchScript: the layers that were traced, not scripted

    def summary(self) -> str:
        return f"{FORMATS[self.format]}: outputs match, max difference {self.difference:.1g}"


def export_network(graph: Graph, document: str | None, fmt: str, output: str | Path, run: str | None = None,
                   weights: str | None = None, network: str | None = None, progress=None) -> Exported:
    """Export the document's network (or the one named `network`) as `fmt` ("onnx" or "torchscript") to
    `output`, with the weights of `run` (a run of `document`: name, id or folder) or of the file `weights`,
    else freshly initialised ones. `progress(text)` hears each stage. Raises UserError saying what failed."""
    say = progress or (lambda text: None)
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format '{fmt}' (choose {', '.join(FORMATS)})")
    output = Path(output)
    try:
        network_nodes(graph, network)
    except KeyError as e:
        raise ExportError(e.args[0]) from None
    _check_writable(output)
    model, whose = _model(graph, document, run, weights, network)
    generator = torch.Generator().manual_seed(0)
    inputs = example_inputs(graph, EXAMPLE_BATCH, network, generator)
    checks = [example_inputs(graph, n, network, generator) for n in CHECK_BATCHES]
    names = _names(graph, network, model)
    say(f"exporting to {FORMATS[fmt]}")
    if fmt == "onnx":
        data, how, traced = _onnx_bytes(graph, model, inputs, names), ONNX_HOW, []
    else:
        data, how, traced = _torchscript_bytes(graph, model, inputs)
    say("checking the exported model")
    run_exported = _onnx_runner(data) if fmt == "onnx" else _torchscript_runner(data)
    try:
        difference = _compare(model, run_exported, checks, names[1], FORMATS[fmt])
    except ExportError as e:
        if not traced:
            raise
        raise ExportError(f"{e} (TorchScript cannot compile {', '.join(traced)}, so it was traced, and a trace keeps"
                          " only the path its Python took on the example)") from None
    try:
        write_atomic(output, data)  # what was checked is what is written; a failed write leaves no file
    except OSError as e:
        raise ExportError(f"{output}: cannot be written ({e.strerror or e})") from None
    return Exported(output, fmt, whose, difference, how, traced)


def export_file(graph: Graph, document: str, fmt: str, output: str, run: str | None, weights: str | None,
                network: str | None, stream=None) -> int:
    """`netbuilder export --format onnx|torchscript`: export, check, and say what was written."""
    stream = stream or sys.stdout
    done = export_network(graph, document, fmt, output, run, weights, network)
    stream.write(f"weights: {done.weights}\n")
    stream.write(f"wrote {done.path} ({FORMATS[fmt]}, {done.how})\n")
    stream.write(f"{done.summary()} (batches of {' and '.join(map(str, CHECK_BATCHES))}, against the compiled"
                 " module)\n")
    return 0


def _check_writable(output: Path) -> None:
    """Before the work: a folder that is missing or cannot be written to is said at once."""
    folder = output.parent if str(output.parent) else Path(".")
    if output.is_dir():
        raise ExportError(f"{output} is a folder: give a file name")
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"{output}: {folder} is a file, not a folder")
    if not folder.is_dir():
        raise ExportError(f"{output}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ExportError(f"{output}: the folder {folder} cannot be written to")


def _model(graph: Graph, document: str | None, run: str | None, weights: str | None,
           network: str | None) -> tuple[nn.Module, str]:
    """The compiled module in evaluation mode with the weights asked for, and whose they are, in words."""
    if not run and not weights:
        return build_model(graph, network).eval(), FRESH
    path = weights_of(document or "", run, weights, "exporting it again")
    whole = trained_model(graph, path)
    found = Run.load(path.parent) if run else None
    whose = f"run '{found.name if found else run}' ({path})" if run else f"{path}"
    if network is None:
        return whole, whose
    model = build_model(graph, network).eval()
    state = whole.state_dict()
    model.load_state_dict({k: state[k] for k in model.state_dict()})
    return model, whose


def _names(graph: Graph, network: str | None, model: nn.Module) -> tuple[list[str], list[str]]:
    """(inputs, outputs): the Input and Output nodes' names, in the order forward takes and returns them. An
    Input is named by its placeholder's target, forward's argument: torch.fx renames the node of one that shadows a
    Python builtin (`input` becomes the node `input_1`), and torch.export asks for forward's own names."""
    inputs = [str(n.target) for n in model.graph.nodes if n.op == "placeholder"]
    outputs = [s.name for s in make_plan(graph, network) if s.kind == "output"]
    return inputs, outputs


def _layer_types(graph: Graph) -> dict[str, str]:
    return {n.name: n.type for n in graph.nodes()}


def _reason(error: BaseException) -> str:
    """The first line of the innermost cause, which says what went wrong (the outer ones say where)."""
    while error.__cause__ is not None:
        error = error.__cause__
    lines = [line.strip() for line in re.sub(r"\x1b\[[0-9;]*m", "", str(error)).splitlines() if line.strip()]
    text = lines[0] if lines else type(error).__name__
    text = text if len(text) <= 300 else text[:297] + "..."
    if "data-dependent" in text:
        return (f"its forward decides on the values in a tensor (data-dependent control flow), which a graph cannot"
                f" hold ({text})")
    return text


@contextmanager
def _quiet():
    """torch.onnx and the tracer warn about things the check after export settles (and about torchvision's
    operators, which netbuilder does not use); torch.export prints the partial graph of a failure on stderr.
    The failure itself is what the user is told."""
    quiet = [logging.getLogger(name)
             for name in ("torch.onnx", "torch.export", "torch.fx.experimental.symbolic_shapes")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(quiet, levels):
            logger.setLevel(level)


def _layer_inputs(model: nn.Module, inputs: list[torch.Tensor]) -> dict[str, tuple]:
    """What each layer is given when the network runs on `inputs`."""
    seen: dict[str, tuple] = {}
    hooks = [child.register_forward_pre_hook(lambda m, args, name=name: seen.setdefault(name, args))
             for name, child in model.named_children()]
    try:
        with torch.no_grad():
            model(*inputs)
    finally:
        for hook in hooks:
            hook.remove()
    return seen


# ---- ONNX ------------------------------------------------------------------------------------------------------
def _onnx_program(model: nn.Module, inputs, names: tuple[list[str], list[str]]):
    """torch.onnx's program, named after the Inputs and Outputs, with a dynamic batch dimension (one per Input;
    torch.export joins those that must be equal). torch.onnx tries torch.export's strategies in turn."""
    batch = ["batch"] if len(names[0]) == 1 else [f"batch_{n}" for n in names[0]]
    shapes = {n: {0: torch.export.Dim(b)} for n, b in zip(names[0], batch)}
    with _quiet():
        return torch.onnx.export(model, tuple(inputs), dynamo=True, verbose=False, dynamic_shapes=shapes,
                                 input_names=names[0], output_names=names[1])


def _onnx_bytes(graph: Graph, model: nn.Module, inputs, names) -> bytes:
    try:
        program = _onnx_program(model, inputs, names)
    except Exception as e:  # noqa: BLE001 - torch.export and the ONNX translation raise many kinds
        raise ExportError(_onnx_culprit(graph, model, inputs, e)) from None
    proto = program.model_proto
    if proto.ByteSize() >= 2**31:
        raise ExportError(f"the network's weights take {proto.ByteSize() / 2**30:.1f} GB, more than one ONNX file"
                          " holds (2 GB)")
    return proto.SerializeToString()


def _onnx_culprit(graph: Graph, model: nn.Module, inputs, error: BaseException) -> str:
    """The first layer that cannot be exported on its own, and why; else the network's own error. Each layer
    in two steps, so that the message says which failed: torch.export captures it, torch.onnx translates it."""
    types = _layer_types(graph)
    for name, args in _layer_inputs(model, inputs).items():
        layer = f"the layer '{name}' ({types.get(name, type(getattr(model, name)).__name__)})"
        try:
            with _quiet():
                captured = torch.export.export(getattr(model, name), tuple(args), strict=False)
        except Exception as e:  # noqa: BLE001
            return f"{layer} cannot be exported to ONNX: torch.export cannot capture it: {_reason(e)}"
        try:
            with _quiet():
                torch.onnx.export(captured, dynamo=True, verbose=False)
        except Exception as e:  # noqa: BLE001
            return f"{layer} cannot be exported to ONNX: torch.onnx cannot translate it: {_reason(e)}"
    return f"the network cannot be exported to ONNX: {_reason(error)}"


def onnx_session(model: bytes | str | Path, threads: int = 0):
    """An ONNX Runtime session on the CPU, errors only in its log; `threads` threads for one operator and one
    between operators (0: ONNX Runtime's own choice)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # errors only
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    return onnxruntime.InferenceSession(model if isinstance(model, bytes) else str(model), options,
                                        providers=["CPUExecutionProvider"])


def _onnx_runner(data: bytes):
    try:
        session = onnx_session(data)
    except Exception as e:  # noqa: BLE001 - onnxruntime's own error types
        raise ExportError(f"ONNX: onnxruntime cannot load the exported model: {_reason(e)}") from None
    names = [i.name for i in session.get_inputs()]

    def run(inputs):
        found = session.run(None, {n: x.numpy() for n, x in zip(names, inputs)})
        return [torch.from_numpy(np.asarray(a)) for a in found]
    return run


# ---- TorchScript -----------------------------------------------------------------------------------------------
def _torchscript_bytes(graph: Graph, model: nn.Module, inputs) -> tuple[bytes, str, list[str]]:
    """The module scripted; where a layer cannot be scripted, that layer traced on the inputs it is given."""
    traced: list[str] = []
    with _quiet():
        try:
            scripted = torch.jit.script(model)
        except Exception:  # noqa: BLE001 - the scripting compiler's errors
            scripted, traced = _script_tracing_layers(graph, model, inputs)
        buffer = io.BytesIO()
        torch.jit.save(scripted, buffer)
    how = "scripted" + (f"; traced (cannot be scripted): {', '.join(traced)}" if traced else "")
    return buffer.getvalue(), how, traced


def _script_tracing_layers(graph: Graph, model: nn.Module, inputs):
    types = _layer_types(graph)
    given = _layer_inputs(model, inputs)
    mixed, traced = copy.deepcopy(model), []
    for name, child in model.named_children():
        try:
            torch.jit.script(child)
            continue
        except Exception:  # noqa: BLE001
            pass
        try:
            setattr(mixed, name, torch.jit.trace(child, given[name], check_trace=False))
        except Exception as e:  # noqa: BLE001
            raise ExportError(f"the layer '{name}' ({types.get(name, type(child).__name__)}) can be neither scripted"
                              f" nor traced for TorchScript: {_reason(e)}") from None
        traced.append(f"{name} ({types.get(name, type(child).__name__)})")
    try:
        return torch.jit.script(mixed), traced
    except Exception as e:  # noqa: BLE001
        raise ExportError(f"the network cannot be scripted for TorchScript: {_reason(e)}") from None


def _torchscript_runner(data: bytes):
    try:
        loaded = torch.jit.load(io.BytesIO(data), map_location="cpu")
    except Exception as e:  # noqa: BLE001
        raise ExportError(f"TorchScript: torch.jit.load cannot read the exported model: {_reason(e)}") from None
    loaded.eval()

    def run(inputs):
        with torch.no_grad():
            return _tensors(loaded(*inputs))
    return run


# ---- the check -------------------------------------------------------------------------------------------------
def _tensors(value) -> list[torch.Tensor]:
    return list(value) if isinstance(value, (tuple, list)) else [value]


def _compare(model: nn.Module, run_exported, batches, outputs: list[str], label: str) -> float:
    """The largest difference between the exported model's outputs and the compiled module's on `batches`;
    ExportError when they do not match (or the exported model does not run)."""
    worst = 0.0
    for inputs in batches:
        size = len(inputs[0]) if inputs else 0
        with torch.no_grad():
            expected = _tensors(model(*inputs))
        try:
            got = run_exported(inputs)
        except Exception as e:  # noqa: BLE001 - the runtime's own errors
            raise ExportError(f"{label}: the exported model does not run on a batch of {size}: {_reason(e)};"
                              " nothing was written") from None
        if len(got) != len(expected):
            raise ExportError(f"{label}: the exported model gives {len(got)} outputs, the network {len(expected)};"
                              " nothing was written")
        for name, want, have in zip(outputs, expected, got):
            if tuple(have.shape) != tuple(want.shape):
                raise ExportError(f"{label}: the exported model gives '{name}' as {list(have.shape)} for a batch of"
                                  f" {size}, the network {list(want.shape)}; nothing was written")
            want64, have64 = want.double(), have.double()
            gap = (have64 - want64).abs()
            biggest = float(gap.max()) if gap.numel() else 0.0
            if not math.isfinite(biggest) or bool((gap > ATOL + RTOL * want64.abs()).any()):
                raise ExportError(f"{label}: the exported model's output '{name}' differs from the network's by up to"
                                  f" {biggest:.3g} on a batch of {size}; nothing was written")
            worst = max(worst, biggest)
    return worst
