"""An existing PyTorch model -> a document: load the user's .py file, build the model (its class, or a factory
function of the file), capture forward (capture.py: torch.export, symbolic tracing as the fallback), map what it
calls onto catalog layers (rules.py, catalog.py, functions.py), make what the catalog lacks into Code layers
(fallback.py, as_code.py), and check that the document computes what the model computes, with the model's own
weights, on a batch size the capture did not use.

    imported = import_model("model.py", "Net", input_shapes=[[1, 28, 28]], weights="net.pt")
    imported = import_model("lm.py", factory="make_model", inputs=[("tokens", torch.long, [35, 20]),
                            ("hidden", torch.float32, [2, 20, 200]), ("hidden", torch.float32, [2, 20, 200])])
    imported.graph   # the document          imported.state   # its weights, named as build_model names them
"""
from __future__ import annotations

import inspect
import json
import logging
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch.utils import _pytree as pytree
from torch import fx, nn
from torch.utils import _pytree as pytree

from ...analysis import Analysis
from ...graph import trust
from ...graph.io import dumps, loads
from ...graph.layout import layered_positions
from ...layers import check_node
from ...layers import modules as custom_modules
from ...layers.code import TimeLimit
from ...paths import why_missing
from ..build import build_model
from ..source import INIT_CODE
from .as_code import recording_arguments
from .blocks import into_blocks, renamed_state
from .capture import DataDependent, again, capture
from .copies import copied, tied
from .examples import describe, smallest_vocabulary
from .fallback import decide, grow
from .files import (_first_line, _line_in, defined, forward_arguments,  # noqa: F401 - the
                    load_class, load_file, parse_args, parse_shape)  # importer's API: the dialog, the command, tests
from .fixed import fixed_at
from .latent import TrainingForm, mean_path
from .rules import NETBUILDER_MODULES, Mapper, ModelImportError

FORWARD_LIMIT_S = 120.0  # capturing forward stops after this long in the user's lines
TOLERANCE = 1e-4  # outputs may differ by this much, relative to their size (float32 sums in another order)


log = logging.getLogger(__name__)


@dataclass
class Imported:
    graph: object  # the document (graph.model.Graph)
    state: dict  # the model's weights under the document's names (build_model's state_dict keys)
    difference: float  # the largest difference between the model's and the document's outputs
    source: str  # "model.py, class Net"
    returned: tuple[int, ...] = ()  # which of forward's results (tensors, in order) the document returns: not a
    # VAE's mu and logvar, which are inside its Reparameterize layer
    results: int = 0  # how many tensors forward returns
    notes: list[str] = field(default_factory=list)  # what the document does differently (tied weights untied)

    def left_out(self) -> str:
        """What the CLI and the dialog add to "the outputs match": which of forward's results are not outputs."""
        missing = [str(i + 1) for i in range(self.results) if i not in self.returned]
        if not missing:
            return ""
        many = len(missing) > 1
        return (f"; forward's result{'s' if many else ''} {', '.join(missing)} (of the latent code)"
                f" {'are' if many else 'is'} inside its Reparameterize layer, not an output")


# ---- import ------------------------------------------------------------------------------------
MAX_PASSES = 60  # mapping passes, each turning what the last could not map into Code layers (a pass is cheap)


def import_model(path: str | Path, class_name: str | None = None, args: dict | list | None = None,
                 input_shapes: list[list[int]] | None = None, weights: str | Path | None = None, *,
                 inputs: list[tuple[str, torch.dtype, list[int]]] | None = None,
                 factory: str | None = None) -> Imported:
    """The document for the model of the file at `path`: class `class_name` built with `args`, or what the
    function `factory` of the file returns (called with `args`). What forward takes: `input_shapes` (one sample's
    shape per argument, without the batch) or `inputs` ((name, dtype, whole shape with the batch, in the model's
    layout) per tensor; examples.py). ModelImportError says what stands in the way."""
    path = Path(path)
    model, where, name = _build(path, class_name, factory, args)
    if weights:
        _load_weights(model, Path(weights), name)
    model.eval()
    described = describe(model, where, input_shapes, inputs)
    high = smallest_vocabulary(model)
    xargs, flat = described.make(2, high, 2)  # the capture's example batch: 2
    captured = _capture(model, xargs, described, path, name)
    if all(a is None for a in pytree.tree_leaves(captured.gm.graph.output_node().args)):
        raise ModelImportError(f"{where}: {name}.forward returns nothing (None): end it with `return` and its result")
    mapper = _map(model, captured, flat, described, path, name, TrainingForm(model, xargs))
    graph = mapper.builder.graph
    _declared_inits(type(model), graph)
    _lay_out(graph)
    graph.meta["name"] = name
    _check_clean(graph, where)
    built = build_model(graph).eval()
    theirs = {**dict(model.named_buffers()), **model.state_dict()}
    state = {**mapper.weights(theirs, built.state_dict()), **mapper.constants}
    try:
        built.load_state_dict(state)
    except RuntimeError as e:
        raise ModelImportError(f"{where}: the weights do not fit the imported layers ({_first_line(e)})") from None
    args3, flat3 = described.make(3, high, 3)
    xs = (args3, described.document(flat3), mapper.output_dims, mapper.kept_outputs,
          list({id(v): v for v in mapper.latents.values()}.values()))
    difference = _compare(model, built, xs, where, fixed_at(captured.fixed, path, 2))
    grouped = _grouped(graph, mapper.origin, state, model, xs, where)
    if grouped is not None:
        graph, state, difference = grouped
    graph.meta["description"] = _description(where, graph, mapper)  # the Code layers it names as grouped
    _trust_code(graph)
    notes = tied(model, name) + copied(model, state)
    if notes:
        graph.meta["description"] += " " + " ".join(notes)
    return Imported(graph, state, difference, where, tuple(mapper.kept_outputs),
                    len(mapper.kept_outputs) + mapper.dropped_outputs, notes)


def _build(path: Path, class_name: str | None, factory: str | None, args):
    """(the model, "model.py, class Net", its name) from the class or the factory function."""
    module = load_file(path)
    own = [c for c in vars(module).values() if inspect.isclass(c) and issubclass(c, nn.Module)
           and c.__module__ == module.__name__]
    _anchor_lines(module)
    with recording_arguments(own):
        if factory:
            fn = getattr(module, factory, None)
            if not callable(fn) or inspect.isclass(fn):
                names = [n for n, f in vars(module).items() if inspect.isfunction(f) and f.__module__ == module.__name__]
                raise ModelImportError(f"{path.name} defines no function '{factory}' (its functions:"
                                       f" {', '.join(names) or 'none'})")
            model = _call(fn, args or {}, path, factory)
            if not isinstance(model, nn.Module):
                raise ModelImportError(f"{path.name}: {factory}() returns {type(model).__name__}, not an nn.Module")
            return model, f"{path.name}, {factory}()", class_name or type(model).__name__
        if not class_name:
            raise ModelImportError(f"{path.name}: name the model's class (--class) or a function returning it"
                                   " (--factory)")
        cls = load_class(path, class_name, module)
        return _call(cls, args or {}, path, class_name), f"{path.name}, class {class_name}", class_name


def _anchor_lines(module) -> None:
    """Keep the frames of every function of the user's file in the source lines torch.export records (it keeps
    forward's only): a node made in a helper method (reparameterize) is then named by its own line."""
    try:
        from torch.fx.proxy import _register_stack_trace_anchor
    except ImportError:  # another torch: forward's lines only
        return
    for obj in list(vars(module).values()):
        if inspect.isfunction(obj) and obj.__module__ == module.__name__:
            _register_stack_trace_anchor(obj)
        elif inspect.isclass(obj) and obj.__module__ == module.__name__:
            for member in vars(obj).values():
                if inspect.isfunction(member):
                    _register_stack_trace_anchor(member)


def _capture(model: nn.Module, xargs: tuple, described, path: Path, name: str):
    try:
        with TimeLimit(FORWARD_LIMIT_S, str(path)):
            return capture(model, xargs, described.batch_dims)
    except DataDependent as e:
        raise ModelImportError(f"{path.name}{_line_in(e, path)}: {name}.forward decides what to do from the values"
                               " in a tensor (an if, a loop or a size that depends on them), which no fixed network"
                               " can do; compute both branches and pick with torch.where, or move that decision out"
                               " of forward") from None
    except Exception as e:  # noqa: BLE001 - the user's forward, or what torch.export makes of it
        raise ModelImportError(f"{path.name}{_line_in(e, path)}: {name} does not run on {described.said()}"
                               f" ({_first_line(e)}); {described.advice()}") from None


def _map(model: nn.Module, captured, flat: list[torch.Tensor], described, path: Path, name: str,
         trains: TrainingForm | None = None) -> Mapper:
    """Map the captured graph onto the catalog; what it lacks becomes Code layers, pass by pass."""
    kept: dict[str, str] = {}  # classes of the user's file captured whole (to be Code layers), and why
    exploded: set[str] = set()  # torch.nn modules captured operator by operator
    code: dict[str, str] = {}
    gm = captured.gm
    for _ in range(MAX_PASSES):
        mapper = Mapper(gm, path, model, code)
        mapper.trains = trains
        mapper.exploded = set(exploded)
        mapper.record(flat, name)
        mapper.batch_from(described.batch_dims)
        mapper.map(described.samples(), _integer_highs(gm, described))
        if not mapper.failed or any(u.final for _, u in mapper.failed):
            break
        more, new = decide(mapper, captured.calls, kept)
        if more.keys() - kept.keys() or mapper.exploded - exploded:
            kept.update(more)
            exploded |= mapper.exploded
            code.update(new)  # names of the nodes not captured otherwise stay the same
            gm = again(model, captured, set(kept), exploded)
            continue
        new = grow(mapper, {**code, **new}, 2)
        if new.keys() <= code.keys():
            break
        code = new
    if mapper.failed:
        lines = "\n".join(f"  {u}" for u in dict.fromkeys(mapper.unsupported))
        raise ModelImportError(f"{path.name}, {name}: {len(mapper.unsupported)} thing(s) it uses can be neither a"
                               f" layer nor code:\n{lines}")
    return mapper


def _integer_highs(gm: fx.GraphModule, described) -> dict[str, int]:
    """The document's integer Inputs (by placeholder name) and how many values each takes (the Embedding's
    rows it feeds, else 2)."""
    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
    found = _integer_inputs(gm, placeholders)
    for p, dtype in zip(placeholders, described.dtypes):
        if not dtype.is_floating_point and p.name not in found:
            found[p.name] = 2
    return found


def _description(where: str, graph, mapper: Mapper) -> str:
    """Where the document came from, what came in as code, and how a VAE's sampling came in."""
    code = _code_count(graph)
    text = f"Imported from {where}" + (f" ({code})." if code else ".")
    if mapper.notes:
        text += " " + "; ".join(mapper.notes) + "."
    if mapper.dropped_outputs:
        text += (" What forward also returns of the latent code (its mean, log-variance, z) is inside that layer,"
                 " whose KL term the variational recipe trains: the document returns the rest.")
    return text


def _code_count(graph, shown: int = 6) -> str:
    """Which layers came in as code (the canvas's note on each says why), named, the first `shown` of them."""
    names = [n.name for n in graph.nodes() if n.type == "Code"]
    inside = {block: sum(1 for n in g.nodes() if n.type == "Code") for block, g in graph.blocks.items()}
    inside = {block: k for block, k in inside.items() if k}
    if not names and not inside:
        return ""
    parts = []
    if names:
        more = f" and {len(names) - shown} more" if len(names) > shown else ""
        parts.append(f"{len(names)} Code layer{'s' if len(names) > 1 else ''} ({', '.join(names[:shown])}{more})")
    if inside:
        parts.append(f"Code layers inside the block{'s' if len(inside) > 1 else ''} {', '.join(inside)}")
    return " and ".join(parts) + ": what the catalog has no layer for, each with a note saying why"


def _trust_code(graph) -> None:
    """Imported code is the user's own: it runs in the document it was imported into, now and when reopened."""
    codes = [code for _, code in trust.code_layers(graph)]
    if not codes:
        return
    try:
        trust.trust(codes)
    except OSError as e:  # trusted for this process all the same
        log.warning("could not remember the imported code as trusted: %s", e)


def _grouped(graph, origin, state: dict, model: nn.Module, xs: tuple, where: str):
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


def _call(fn, args, path: Path, name: str) -> nn.Module:
    try:
        return fn(*args) if isinstance(args, list) else fn(**args)
    except Exception as e:  # noqa: BLE001 - the user's constructor
        shown = _shown_call(args) if args else "no arguments"
        raise ModelImportError(f"{path.name}{_line_in(e, path)}: {name}({shown}) raises"
                               f" {_first_line(e)}") from None


def _shown_call(args: list | dict) -> str:
    """The arguments as the call has them: 0, "LSTM" (a list) or hidden=64 (an object)."""
    if isinstance(args, list):
        return ", ".join(json.dumps(a) for a in args)
    return ", ".join(f"{k}={json.dumps(v)}" for k, v in args.items())


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

    def __init__(self, kept: set[str], exploded: set[str] = frozenset()):
        super().__init__()
        self.record_stack_traces = True
        self.kept = kept  # classes of the user's file that become Code layers: called whole
        self.exploded = exploded  # torch.nn modules no Code layer can hold: traced through

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        if qualname in self.exploded:
            return False
        return super().is_leaf_module(m, qualname) or _is_netbuilder_module(m) or qualname in self.kept


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


def _compare(model: nn.Module, built: nn.Module, xs: tuple, where: str, fixed: str = "") -> float:
    """The largest difference between the two modules' outputs on `xs` ((forward's arguments, the document's
    inputs, where the batch is in each of the model's outputs)), random numbers drawn alike in both;
    ModelImportError when they differ (saying `fixed`, where the capture found the batch fixed: then that is
    why)."""
    args, flat, dims, kept, latents = xs
    batch = len(flat[0])

    def refuse(what: str, otherwise: str):
        raise ModelImportError(f"{where}: {fixed} ({what})" if fixed else f"{where}: {otherwise}") from None

    with torch.no_grad(), torch.random.fork_rng(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the model's own warnings
        torch.manual_seed(0)
        try:
            with mean_path(latents):  # a VAE that samples when evaluating: its mean, as the document gives
                theirs = model(*args)
        except Exception as e:  # noqa: BLE001 - the user's forward
            refuse(f"it does not run on a batch of {batch}: {_first_line(e)}",
                   f"the model does not run on a batch of {batch} ({_first_line(e)}); does forward fix the batch"
                   " size?")
        torch.manual_seed(0)
        try:
            ours = built(*flat)
        except Exception as e:  # noqa: BLE001 - what the capture fixed at its example batch, run on another
            refuse(f"the imported network does not run on a batch of {batch}: {_first_line(e)}",
                   f"the imported network does not run on a batch of {batch} ({_first_line(e)}): the model fixes"
                   " the batch size somewhere (torch.export found it fixed at the example's), e.g. a reshape to a"
                   " number instead of x.size(0) or -1")
    theirs = [t for t in pytree.tree_leaves(theirs) if t is not None]
    theirs = [t.movedim(b, 0) if b else t for t, b in zip([theirs[i] for i in kept if i < len(theirs)], dims)]
    ours = list(ours) if isinstance(ours, (tuple, list)) else [ours]
    worst = 0.0
    for i, (a, b) in enumerate(zip(theirs, ours), 1):
        if a.shape != b.shape:
            refuse(f"on a batch of {batch}, output {i} of the imported network is {list(b.shape)}, the model's"
                   f" {list(a.shape)}", f"output {i} of the imported network is {list(b.shape)}, the model's is"
                   f" {list(a.shape)}")
        both = torch.isnan(a) & torch.isnan(b) if a.is_floating_point() else torch.zeros_like(a, dtype=torch.bool)
        a, b = a.double().masked_fill(both, 0), b.double().masked_fill(both, 0)  # NaN where the model has NaN
        diff = float((a - b).abs().max()) if a.numel() else 0.0
        scale = max(1.0, float(a.abs().max())) if a.numel() else 1.0
        if not diff <= TOLERANCE * scale:
            refuse(f"on a batch of {batch}, output {i} of the imported network differs by up to {diff:.3g}",
                   f"the imported network does not compute what the model does (output {i} differs by up to"
                   f" {diff:.3g})")
        worst = max(worst, diff)
    return worst
