"""The Code layer: a small nn.Module the user writes, as the body of its class (an __init__ with its own
parameters, and a forward).

Its output shape is found by running it on an example batch of the input's shape, on torch's meta
device (no memory, no arithmetic) where every operation it uses supports that, otherwise on the CPU
with random values. Results are cached by (code, args, input types), so the analysis, which re-runs a
node's rule whenever something upstream changes, executes the code again only when one of those changed.

The code runs only when it is trusted (graph/trust.py); until then the node has a Problem instead of
a shape, and building it is refused."""
from __future__ import annotations

import ast
import json
import re
import sys
import textwrap
import threading
import time
from collections import OrderedDict
from functools import lru_cache

from ..errors import UserError
from ..graph import trust
from ..graph.model import Graph
from .spec import Ctor, LayerSpec, Param, ShapeError, TensorType

DEFAULT_CODE = '''\
# A layer of your own: __init__ makes its weights, forward computes its output.
# torch, nn, F (torch.nn.functional) and math are available. An __init__ argument
# named in_features (or in_shape) receives the input's last size (or its shape).
def __init__(self, beta=1.0):
    super().__init__()
    self.beta = nn.Parameter(torch.tensor(float(beta)))

def forward(self, x):
    return x * torch.sigmoid(self.beta * x)  # Swish with a learned beta
'''
FILENAME = "<Code layer>"  # the file name of the compiled source, to find its lines in a traceback
HEADER = "class {name}(nn.Module):\n"
INDENT = "    "
BATCH = 2  # the example batch: the output's first dimension must be this
CACHE_SIZE = 512
NOT_TRUSTED = ("not run: this document's code has not been trusted yet (open the document in the editor and"
               " choose Run, or pass --trust-code on the command line)")
FILLED = ("in_features", "in_shape")  # __init__ arguments taken from the input when the args do not give them
MODULE = "netbuilder_code"  # __module__ of the classes made from code

TIME_LIMIT_S = 2.0  # working out a shape stops after this long in the user's lines (an endless loop)
_results: OrderedDict[tuple, TensorType | str] = OrderedDict()  # (code, args, inputs) -> type or error text
_lock = threading.Lock()  # the training thread may work out shapes too


class CodeNotTrusted(UserError):
    """Code layers whose code the user has not allowed to run."""


def is_trusted(code: str) -> bool:
    return code == DEFAULT_CODE or trust.is_trusted(code)


def untrusted_layers(graph: Graph) -> list[tuple[str, str]]:
    """(name, code) of the document's Code layers that may not run yet."""
    return trust.untrusted(graph, known=(DEFAULT_CODE,))


def require_trust(graph: Graph, where: str, allowed: bool = False) -> None:
    """For the command line: with `allowed` (--trust-code) the document's code may run in this process;
    otherwise CodeNotTrusted names the layers whose code has not been trusted."""
    found = untrusted_layers(graph)
    if not found:
        return
    if allowed:
        trust.trust([code for _, code in found], remember=False)
        return
    names = ", ".join(name for name, _ in found)
    raise CodeNotTrusted(f"{where} has Code layers whose Python code has not been trusted on this machine ({names}):"
                         f" read their code, and pass --trust-code to run it")


def class_name(node_name: str) -> str:
    """A readable class name from a node's name: conv_block -> ConvBlock."""
    words = re.split(r"[^0-9A-Za-z]+|_", node_name)
    name = "".join(w[:1].upper() + w[1:] for w in words if w) or "CodeLayer"
    return name if name[0].isalpha() else "Layer" + name


def source(code: str, name: str) -> str:
    """The class definition the code makes: what is compiled, and what export writes."""
    return HEADER.format(name=name) + textwrap.indent(code.rstrip() + "\n", INDENT)


def _namespace() -> dict:
    import math

    import torch
    import torch.nn.functional as F
    from torch import nn

    return {"torch": torch, "nn": nn, "F": F, "math": math, "__name__": MODULE}


def _where(error: BaseException) -> str:
    """'line 3: NameError: name 'x' is not defined', the line counted in the user's code."""
    line = None
    if isinstance(error, SyntaxError) and error.filename == FILENAME and error.lineno:
        line = error.lineno - 1
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == FILENAME:
            line = tb.tb_lineno - 1
        tb = tb.tb_next
    line = getattr(error, "code_line", line)
    text = error.msg if isinstance(error, SyntaxError) else str(error)
    text = (text.strip().splitlines() or [""])[0]
    if len(text) > 300:
        text = text[:297] + "..."
    what = f"{type(error).__name__}: {text}" if text else type(error).__name__
    return f"line {max(line, 1)}: {what}" if line is not None else what


@lru_cache(maxsize=64)
def _compile(code: str, name: str) -> type | str:
    """The nn.Module subclass the code defines, or the error text naming its line."""
    from torch import nn

    namespace = _namespace()
    try:
        exec(compile(source(code, name), FILENAME, "exec"), namespace)  # noqa: S102 - trusted user code
    except (Exception, SystemExit) as e:  # whatever the class body does wrong is the user's to see
        return _where(e)
    cls = namespace.get(name)
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):  # the body rebound the name
        return f"the code must define the class body, not rebind '{name}'"
    if "forward" not in vars(cls):
        return "the code defines no forward(self, x): write one that returns the layer's output"
    return cls


def code_class(code: str, name: str = "CodeLayer") -> type:
    """The class `code` defines, named `name`. Raises CodeNotTrusted, or ShapeError naming the line."""
    if not is_trusted(code):
        raise CodeNotTrusted(NOT_TRUSTED)
    cls = _compile(code, name)
    if isinstance(cls, str):
        raise ShapeError(cls)
    return cls


@lru_cache(maxsize=256)
def code_ports(code: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(input ports, output ports) as forward declares them: one argument is the port "in", several are
    named after themselves (forward(self, mu, logvar): mu and logvar); a forward returning a tuple of k
    values has k outputs named after its variables (return out, h, c) or out0, out1, ...; else "out"."""
    try:
        tree = ast.parse(textwrap.dedent(code))
    except (SyntaxError, ValueError):
        return ("in",), ("out",)
    forward = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "forward"), None)
    if forward is None:
        return ("in",), ("out",)
    positional = forward.args.posonlyargs + forward.args.args
    names = tuple(a.arg for a in positional[1:len(positional) - len(forward.args.defaults)])
    inputs = names if len(names) > 1 else ("in",)
    returns = [n.value for n in _own_nodes(forward) if isinstance(n, ast.Return) and n.value is not None]
    sizes = {len(r.elts) if isinstance(r, ast.Tuple) else 1 for r in returns}
    if len(sizes) != 1 or min(sizes) < 2:
        return inputs, ("out",)
    items = returns[-1].elts
    outputs = tuple(e.id if isinstance(e, ast.Name) else f"out{i}" for i, e in enumerate(items))
    if len(set(outputs)) != len(outputs):
        outputs = tuple(f"out{i}" for i in range(len(items)))
    return inputs, outputs


def _own_nodes(function: ast.FunctionDef):
    """The nodes of a function's body, not of functions or classes defined inside it."""
    stack = list(function.body)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))


def _ports(p: dict) -> tuple[tuple[str, ...], tuple[str, ...]]:
    code = p.get("code")
    return code_ports(code) if isinstance(code, str) else (("in",), ("out",))


def kwargs_for(cls: type, args: dict, x: TensorType) -> dict:
    """The arguments __init__ gets: the node's args, plus in_features / in_shape from the input when
    __init__ takes them and the args do not set them."""
    import inspect

    out = dict(args)
    try:
        accepted = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        return out
    filled = {"in_features": x.shape[-1] if x.shape else 1, "in_shape": list(x.shape)}
    for name in FILLED:
        if name in accepted and name not in out:
            out[name] = filled[name]
    return out


def _example(x: TensorType, device: str):
    import torch

    shape = (BATCH, *x.shape)
    own = torch.Generator().manual_seed(0)  # never the global generator: a run may be training meanwhile
    if x.dtype == "int":
        if device == "meta":
            return torch.empty(shape, dtype=torch.long, device="meta")
        return torch.randint(0, max(1, x.high or 2), shape, generator=own)
    return torch.empty(shape, device="meta") if device == "meta" else torch.randn(shape, generator=own)


class TimeLimit:
    """While active (in this thread), a line of the user's code run after the deadline raises TimeoutError,
    so an endless loop typed into the editor gives a Problem instead of a frozen window."""

    def __init__(self, seconds: float, filename: str = FILENAME):
        self.seconds, self.filename = seconds, filename  # only the lines of this file are watched

    def __enter__(self):
        self.deadline = time.monotonic() + self.seconds
        self.before = sys.gettrace()
        sys.settrace(self._call)
        return self

    def __exit__(self, *exc) -> None:
        sys.settrace(self.before)

    def _call(self, frame, event, arg):  # only the user's own frames are traced, line by line and opcode
        if frame.f_code.co_filename != self.filename:  # by opcode (`while True: pass` is one line, never left)
            return None
        frame.f_trace_opcodes = True
        return self._line

    def _line(self, frame, event, arg):
        if event in ("line", "opcode") and time.monotonic() > self.deadline:
            error = TimeoutError(f"still running after {self.seconds:g} s on an example batch (an endless loop?)")
            error.code_line = frame.f_lineno - 1  # the traceback of an error raised by a tracer names no line
            raise error
        return self._line


@lru_cache(maxsize=1)
def _warm() -> None:
    """torch's first operation on the meta device imports torch._dynamo (seconds): not the user's time."""
    import torch

    torch.empty(1, device="meta") * 1


def _run(code: str, args: dict, xs) -> TensorType | list[TensorType]:
    """Build the layer and run it on an example batch: on the meta device, else on the CPU."""
    _warm()
    with TimeLimit(TIME_LIMIT_S):
        return _run_once(code, args, list(xs))


def _run_once(code: str, args: dict, xs: list[TensorType]) -> TensorType | list[TensorType]:
    import torch

    cls = code_class(code)
    kwargs = kwargs_for(cls, args, xs[0])
    outputs = code_ports(code)[1]
    try:
        with torch.no_grad(), torch.device("meta"):
            y = cls(**kwargs)(*(_example(x, "meta") for x in xs))
        if not isinstance(y, (torch.Tensor, tuple)):
            raise TypeError("not a tensor")
    except (Exception, SystemExit) as e:  # an operation without a meta kernel, data-dependent code, or an error
        if hasattr(e, "code_line"):  # out of time: the CPU would be no faster
            raise ShapeError(_where(e)) from None
        try:  # its weights made on the meta device and given memory, not drawn: the global generator is
            with torch.no_grad():  # left alone (a run may be training on another thread)
                with torch.device("meta"):
                    layer = cls(**kwargs)
                y = layer.to_empty(device="cpu")(*(_example(x, "cpu") for x in xs))
        except (Exception, SystemExit) as e:
            raise ShapeError(_where(e)) from None
    if len(outputs) > 1:
        if not isinstance(y, tuple) or len(y) != len(outputs):
            got = f"{len(y)} values" if isinstance(y, tuple) else type(y).__name__
            raise ShapeError(f"forward must return {len(outputs)} tensors ({', '.join(outputs)}), not {got}")
        return [_output_type(v, xs[0]) for v in y]
    return _output_type(y, xs[0])


def _output_type(y, x: TensorType) -> TensorType:
    import torch

    if not isinstance(y, torch.Tensor):
        raise ShapeError(f"forward must return one tensor, not {type(y).__name__}")
    if y.dim() == 0 or y.shape[0] != BATCH:
        shape = "[" + ", ".join(map(str, y.shape)) + "]"
        raise ShapeError(f"forward must keep the batch as the first dimension: for an input of [{BATCH}, "
                         f"{', '.join(map(str, x.shape))}] it returned {shape}")
    if y.dtype.is_complex:
        raise ShapeError("forward returned complex numbers: the next layers need real ones")
    dims = tuple(int(s) for s in y.shape[1:])
    if y.dtype.is_floating_point:
        return TensorType(dims)
    return TensorType(dims, "int", 2 if y.dtype == torch.bool else None)


def _shape(p: dict, xs) -> TensorType | list[TensorType]:
    code, args = p["code"], p["args"]
    if not is_trusted(code):
        raise ShapeError(NOT_TRUSTED)
    key = (code, json.dumps(args, sort_keys=True), tuple((x.shape, x.dtype, x.high) for x in xs))
    with _lock:
        found = _results.get(key)
        if found is not None:
            _results.move_to_end(key)
    if found is None:
        try:
            found = _run(code, args, xs)
        except ShapeError as e:
            found = e.message
        with _lock:
            _results[key] = found
            if len(_results) > CACHE_SIZE:
                _results.popitem(last=False)
    if isinstance(found, str):
        raise ShapeError(found)
    return found


def _module(p: dict, xs) -> Ctor:
    cls = code_class(p["code"])
    return Ctor(cls, kwargs_for(cls, p["args"], xs[0]))


def clear_cache() -> None:
    with _lock:
        _results.clear()
    _compile.cache_clear()


SPECS = [
    LayerSpec(
        "Code", "Custom", "A layer you write in Python: the body of an nn.Module class (__init__ and forward)",
        params=(
            Param("code", "code", DEFAULT_CODE, "The class body: def __init__(self, ...) making the weights and"
                  " def forward(self, x) returning the output; torch, nn, F and math are imported"),
            Param("args", "args", {}, "Arguments for __init__, e.g. {\"beta\": 0.5}; an argument named"
                  " in_features or in_shape is filled from the input unless given here"),
            Param("note", "text", "", "A note shown on the canvas: for an imported model, why this part came in as"
                  " code (what the catalog has no layer for)"),
        ),
        shape=_shape, module=_module, accepts_int=True, key_params=("note",), ports=_ports),
]
