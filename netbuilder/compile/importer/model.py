"""An existing PyTorch model -> a document: load the user's .py file, trace the class with torch.fx,
map what it calls onto catalog layers (import_rules.py), and check that the document computes what the
model computes, with the model's own weights.

    imported = import_model("model.py", "Net", input_shapes=[[1, 28, 28]], weights="net.pt")
    imported.graph   # the document          imported.state   # its weights, named as build_model names them
"""
from __future__ import annotations

import importlib.util
import inspect
import itertools
import json
import logging
import re
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import fx, nn

from ...analysis import Analysis
from ...graph.io import dumps, loads
from ...graph.layout import layered_positions
from ...layers import check_node
from ...layers import modules as custom_modules
from ...paths import why_missing
from ..build import build_model
from ..source import INIT_CODE
from .blocks import into_blocks, renamed_state
from .inputs import build_with_factory
from .rules import NETBUILDER_MODULES, Mapper, ModelImportError

TOLERANCE = 1e-4  # outputs may differ by this much, relative to their size (float32 sums in another order)
_count = itertools.count(1)


log = logging.getLogger(__name__)


@dataclass
class Imported:
    graph: object  # the document (graph.model.Graph)
    state: dict  # the model's weights under the document's names (build_model's state_dict keys)
    difference: float  # the largest difference between the model's and the document's outputs
    source: str  # "model.py, class Net"


# ---- the user's file ----------------------------------------------------------------------------
def load_file(path: str | Path):
    """Run the user's .py file as a module (its folder on sys.path for its own imports)."""
    path = Path(path)
    if not path.is_file():
        raise ModelImportError(f"{path}: {why_missing(path)}" if not path.exists() else f"{path}: not a regular file")
    if path.suffix != ".py":
        raise ModelImportError(f"{path}: not a Python file (.py)")
    name = f"_netbuilder_import_{re.sub(r'[^A-Za-z0-9_]', '_', path.stem)}_{next(_count)}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)
    sys.modules[name] = module  # dataclasses and inspect look their module up here
    try:
        spec.loader.exec_module(module)
    except SyntaxError as e:
        sys.modules.pop(name, None)
        raise ModelImportError(f"{path.name}: line {e.lineno}: a syntax error ({e.msg})") from None
    except BaseException as e:  # noqa: BLE001 - the user's code may raise anything, SystemExit included
        sys.modules.pop(name, None)
        if isinstance(e, KeyboardInterrupt):
            raise
        raise ModelImportError(f"{path.name}{_line_in(e, path)}: raises {_first_line(e)} when it is"
                               " loaded") from None
    finally:
        sys.path.remove(folder)
    return module


def defined_classes(path: str | Path) -> dict[str, type]:
    """The nn.Module classes the file itself defines, in the order it defines them."""
    module = load_file(path)
    found = [obj for obj in vars(module).values()
             if inspect.isclass(obj) and issubclass(obj, nn.Module) and obj.__module__ == module.__name__]
    return {cls.__name__: cls for cls in sorted(found, key=_first_lineno)}


def forward_arguments(cls: type) -> list[str]:
    """The names of forward's arguments after self (what each --input-shape is for)."""
    try:
        params = list(inspect.signature(cls.forward).parameters.values())[1:]
    except (TypeError, ValueError):
        return []
    return [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def load_class(path: str | Path, class_name: str) -> type:
    module = load_file(path)
    cls = getattr(module, class_name, None)
    if not inspect.isclass(cls) or not issubclass(cls, nn.Module):
        own = [n for n, o in vars(module).items()
               if inspect.isclass(o) and issubclass(o, nn.Module) and o.__module__ == module.__name__]
        if not own:
            raise ModelImportError(f"{Path(path).name} defines no nn.Module class (so no '{class_name}')")
        what = "no class" if cls is None else "something that is not an nn.Module class called"
        raise ModelImportError(f"{Path(path).name} defines {what} '{class_name}' (its nn.Module classes:"
                               f" {', '.join(own) or 'none'})")
    return cls


def parse_shape(text: str) -> list[int]:
    """'1x28x28' (or '1,28,28') -> [1, 28, 28]: one sample's shape, without the batch."""
    parts = [p for p in re.split(r"[x,\s]+", str(text).strip().strip("[]()")) if p]
    try:
        shape = [int(p) for p in parts]
    except ValueError:
        shape = []
    if not shape or min(shape) < 1 or len(shape) > 8:
        raise ModelImportError(f"input shape '{text}' is not 1 to 8 positive whole numbers like 1x28x28"
                               " (one sample, without the batch)")
    return shape


def parse_args(text: str | None) -> dict | list:
    """--args: a JSON object of keyword arguments (or a list of positional ones) for the class."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise ModelImportError(f"--args is not JSON ({e.msg} at column {e.colno}): give an object such as"
                               " '{\"hidden\": 64}'") from None
    if not isinstance(value, (dict, list)):
        raise ModelImportError("--args must be a JSON object of keyword arguments (or a list of positional ones),"
                               f" not {text}")
    return value


# ---- import ------------------------------------------------------------------------------------
def import_model(path: str | Path, class_name: str | None = None, args: dict | list | None = None,
                 input_shapes: list[list[int]] | None = None, weights: str | Path | None = None, *,
                 factory: str | None = None, inputs: list[tuple[str, torch.dtype, list[int]]] | None = None
                 ) -> Imported:
    """The document for `class_name` of the file at `path` (or for the model its function `factory` returns);
    ModelImportError saying what stands in the way. `inputs`: (name, dtype, whole shape) for each argument of
    forward, instead of `input_shapes` (one sample's shape each, without the batch)."""
    path = Path(path)
    if bool(class_name) == bool(factory):
        raise ModelImportError("give the class (--class NAME) or the function that builds the model (--factory"
                               " NAME), one of the two")
    if factory:
        model = build_with_factory(load_file(path), factory, args, path.name)
        cls, class_name = type(model), type(model).__name__
        where = f"{path.name}, {factory}()"
    else:
        cls = load_class(path, class_name)
        where = f"{path.name}, class {class_name}"
        model = _instantiate(cls, args or {}, path)
    if inputs:
        if input_shapes:
            raise ModelImportError("give the inputs as --input NAME:DTYPE:SHAPE or as --input-shape, not both")
        input_shapes = [list(dims[1:]) for _, _, dims in inputs]  # the batch first, until capture reads layouts
    if weights:
        _load_weights(model, Path(weights), class_name)
    model.eval()
    traced = _trace(model, path, class_name)
    placeholders = [n for n in traced.graph.nodes if n.op == "placeholder"]
    names = [str(n.target) for n in placeholders]
    if not input_shapes or len(input_shapes) != len(placeholders):
        given = f"{len(input_shapes)} shape(s) were given" if input_shapes else "no shape was given"
        raise ModelImportError(
            f"{where}: forward takes {len(names)} input(s) ({', '.join(names)}) and {given}: give the shape of"
            " one sample of each, without the batch, e.g. 1x28x28 (--input-shape, once per input)")
    ints = _integer_inputs(traced, placeholders)
    mapper = Mapper(traced, path, model)
    mapper.record(_examples(placeholders, input_shapes, ints, 2), class_name)
    mapper.map(input_shapes, ints)
    if mapper.unsupported:
        lines = "\n".join(f"  {u}" for u in mapper.unsupported)
        raise ModelImportError(f"{where}: the catalog has no layer for {len(mapper.unsupported)} thing(s)"
                               f" it uses:\n{lines}")
    graph = mapper.builder.graph
    _declared_inits(cls, graph)
    _lay_out(graph)
    graph.meta["name"] = class_name
    graph.meta["description"] = f"Imported from {where}."
    _check_clean(graph, where)
    built = build_model(graph).eval()
    state = mapper.weights(model.state_dict(), built.state_dict())
    try:
        built.load_state_dict(state)
    except RuntimeError as e:
        raise ModelImportError(f"{where}: the weights do not fit the imported layers ({_first_line(e)})") from None
    xs = _examples(placeholders, input_shapes, ints, 3)
    difference = _compare(model, built, xs, where)
    grouped = _grouped(graph, mapper.origin, state, model, xs, where)
    if grouped is not None:
        graph, state, difference = grouped
    return Imported(graph, state, difference, where)


def _grouped(graph, origin, state: dict, model: nn.Module, xs: list[torch.Tensor], where: str):
    """(document, weights, difference) with the model's classes used more than once as blocks, when that
    computes what the model does; None to keep the document as it is."""
    copy = loads(dumps(graph), check_node)
    try:
        moved = into_blocks(copy, origin)
        if not moved:
            return None
        _lay_out(copy)
        _check_clean(copy, where)
        built = build_model(copy).eval()
        state = renamed_state(state, moved)
        built.load_state_dict(state)
        return copy, state, _compare(model, built, xs, where)
    except Exception:  # noqa: BLE001 - blocks are a nicety: the checked document without them stands
        log.exception("%s: its repeated classes were left as layers", where)
        return None


def _instantiate(cls: type, args, path: Path) -> nn.Module:
    try:
        return cls(*args) if isinstance(args, list) else cls(**args)
    except Exception as e:  # noqa: BLE001 - the user's constructor
        shown = json.dumps(args) if args else "no arguments"
        raise ModelImportError(f"{path.name}{_line_in(e, path)}: {cls.__name__}({shown}) raises"
                               f" {_first_line(e)}") from None


def _load_weights(model: nn.Module, path: Path, class_name: str) -> None:
    if not path.is_file():
        raise ModelImportError(f"{path}: no such weights file" if not path.is_symlink() else
                               f"{path}: {why_missing(path)}")
    if path.stat().st_size == 0:
        raise ModelImportError(f"{path.name}: the file is empty (0 bytes)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - a foreign or damaged file: torch raises many kinds
        raise ModelImportError(f"{path.name}: not a readable state dict ({_first_line(e)})") from None
    if isinstance(state, dict) and isinstance(state.get("model"), dict):
        state = state["model"]  # a netbuilder checkpoint
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ModelImportError(f"{path.name}: not a state dict (a dict of tensors, as model.state_dict() gives)")
    own = model.state_dict()
    problems = [f"{k} is {list(state[k].shape)} there and {list(v.shape)} here"
                for k, v in own.items() if k in state and state[k].shape != v.shape]
    problems += [f"{k} is missing" for k in own if k not in state]
    problems += [f"{k} is not a weight of {class_name}" for k in state if k not in own]
    if problems:
        more = f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
        raise ModelImportError(f"{path.name} does not fit {class_name}: {'; '.join(problems[:5])}{more}")
    model.load_state_dict(state)


class _Tracer(fx.Tracer):
    """torch.fx's tracer, recording source lines and keeping netbuilder's own modules whole."""

    def __init__(self):
        super().__init__()
        self.record_stack_traces = True

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        return super().is_leaf_module(m, qualname) or _is_netbuilder_module(m)


def _is_netbuilder_module(m: nn.Module) -> bool:
    """One of layers/modules.py's classes, as exported code copies them (same name and source)."""
    name = type(m).__name__
    if name not in NETBUILDER_MODULES:
        return False
    if type(m) is getattr(custom_modules, name):
        return True
    try:
        return inspect.getsource(type(m)) == inspect.getsource(getattr(custom_modules, name))
    except (OSError, TypeError):
        return False


def _trace(model: nn.Module, path: Path, class_name: str) -> fx.GraphModule:
    try:
        graph = _Tracer().trace(model)
    except Exception as e:  # noqa: BLE001 - torch.fx raises TraceError, TypeError, NotImplementedError, ...
        reason = _first_line(e)
        if "control flow" in reason or "iteration" in reason or "bool" in reason.lower():
            reason = ("forward decides what to do from a tensor's values (an if, a loop or a bool() on a"
                      " tensor), which a fixed network cannot do; rewrite that part without it"
                      f" ({reason})")
        raise ModelImportError(f"{path.name}{_line_in(e, path)}: torch.fx cannot trace {class_name}.forward:"
                               f" {reason}") from None
    return fx.GraphModule(model, graph)


def _integer_inputs(traced: fx.GraphModule, placeholders) -> dict[str, int]:
    """Inputs fed straight into an Embedding: integer indices, below its number of rows."""
    found = {}
    for p in placeholders:
        for user in p.users:
            if user.op == "call_module":
                module = traced.get_submodule(user.target)
                if isinstance(module, nn.Embedding) and user.args and user.args[0] is p:
                    found[p.name] = min(found.get(p.name, module.num_embeddings), module.num_embeddings)
    return found


def _examples(placeholders, shapes, ints: dict[str, int], batch: int) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(batch)
    out = []
    for p, shape in zip(placeholders, shapes):
        size = (batch, *shape)
        if p.name in ints:
            out.append(torch.randint(0, ints[p.name], size, generator=gen))
        else:
            out.append(torch.randn(size, generator=gen))
    return out


_INIT_LINE = re.compile(r"^\s*_init\(self\.(\w+), lambda p: (.+)\)\s*$")


def _declared_inits(cls: type, graph) -> None:
    """How exported code starts a layer's weights (`_init(self.fc1, lambda p: nn.init.xavier_uniform_(p))`,
    export.py's INIT_CODE) back into the layer's init parameter: the way back of export_source."""
    try:
        lines = inspect.getsource(cls.__init__).splitlines()
    except (OSError, TypeError):
        return
    how = {code: name for name, code in INIT_CODE.items()}
    for line in lines:
        m = _INIT_LINE.match(line)
        node = graph.by_name(m.group(1)) if m else None
        if node is not None and m.group(2) in how and "init" in node.params:
            node.params["init"] = how[m.group(2)]


def _lay_out(graph) -> None:
    for node_id, pos in layered_positions(graph).items():
        graph.node(node_id).pos = pos  # a new document, not yet announced to anyone: no edit needed


def _check_clean(graph, where: str) -> None:
    analysis = Analysis(graph)
    try:
        errors = [p for p in analysis.problems() if p.severity == "error"]
    finally:
        analysis.close()
    if errors:
        names = {n.id: n.name for n in graph.nodes()}
        raise ModelImportError(f"{where}: the imported network has problems: "
                               + "; ".join(p.describe(names) for p in errors[:5]))


def _compare(model: nn.Module, built: nn.Module, xs: list[torch.Tensor], where: str) -> float:
    """The largest difference between the two modules' outputs; ModelImportError when they differ."""
    with torch.no_grad():
        try:
            theirs = model(*xs)
        except Exception as e:  # noqa: BLE001 - the user's forward
            raise ModelImportError(f"{where}: the model does not run on a batch of {len(xs[0])} ({_first_line(e)});"
                                   " does forward fix the batch size?") from None
        ours = built(*xs)
    theirs = list(theirs) if isinstance(theirs, (tuple, list)) else [theirs]
    ours = list(ours) if isinstance(ours, (tuple, list)) else [ours]
    worst = 0.0
    for i, (a, b) in enumerate(zip(theirs, ours), 1):
        if a.shape != b.shape:
            raise ModelImportError(f"{where}: output {i} of the imported network is {list(b.shape)}, the model's"
                                   f" is {list(a.shape)}")
        diff = float((a.double() - b.double()).abs().max()) if a.numel() else 0.0
        scale = max(1.0, float(a.double().abs().max())) if a.numel() else 1.0
        if not diff <= TOLERANCE * scale:
            raise ModelImportError(f"{where}: the imported network does not compute what the model does (output"
                                   f" {i} differs by up to {diff:.3g})")
        worst = max(worst, diff)
    return worst


# ---- messages ----------------------------------------------------------------------------------
def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0]}" if text else type(e).__name__


def _line_in(e: BaseException, path: Path) -> str:
    """': line N' of the innermost frame of the traceback in the user's file, or ''."""
    target = str(path.resolve())
    line = None
    for frame in traceback.extract_tb(e.__traceback__):
        try:
            if str(Path(frame.filename).resolve()) == target:
                line = frame.lineno
        except (OSError, ValueError):
            continue
    return f": line {line}" if line else ""


def _first_lineno(obj) -> int:
    try:
        return inspect.getsourcelines(obj)[1]
    except (OSError, TypeError):
        return 0
