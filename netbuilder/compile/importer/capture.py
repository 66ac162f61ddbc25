"""Capture: the user's model run on example inputs -> a torch-level fx graph that the mapping rules read
(rules.py, catalog.py, functions.py): one call_module node per call of a torch.nn module (or of a class the
import keeps whole), torch functions and operators between them, every node with its source line.

Which capture, and why: torch.export (non-strict, the batch dim dynamic through Dim.AUTO), the capture the ONNX
exporter already uses. It runs forward in Python on fake tensors, so what symbolic tracing could not follow works:
checks on shapes, devices, flags and asserts are decided at the example shape; sizes read from the input
(`x.size(0)` slicing a buffer, `torch.zeros(x.size(0), 51)`) stay symbolic; data-dependent control flow
(`if x.sum() > 0`) stops it with the line, which the message names. Its graph is of aten operators, with
`nn_module_stack` and `stack_trace` on every node: the operators of one call of a torch.nn module are put back
into one call_module (so nn.Linear, nn.LSTM, nn.Conv2d stay one catalog layer, their arguments and results
matched by value against the module's own call, recorded by a hook), the others become the torch functions the
rules know (aten.relu -> torch.relu, aten.select -> indexing). torch.fx's symbolic tracing stays as the fallback
for a model torch.export cannot capture for another reason (an operator without a fake-tensor kernel, a Python
construct export rejects): it handles fewer models, but some it handles alone.
"""
from __future__ import annotations

import contextlib
import io
import logging
import operator
import re
import warnings
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import fx, nn
from torch.utils import _pytree as pytree

from .fixed import fixed_batch, guard_stacks

CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict)
_CALL = re.compile(r"@(\d+)$")
DATA_DEPENDENT = ("data-dependent", "data dependent", "GuardOnDataDependentSymNode", "unbacked")

log = logging.getLogger(__name__)


class DataDependent(Exception):
    """forward branches (or loops, or sizes a tensor) on a tensor's values: no fixed network can."""


@dataclass
class Captured:
    gm: fx.GraphModule  # torch-level: call_module per kept module call, torch functions between
    how: str  # "torch.export" or "torch.fx"
    source: fx.GraphModule | None = None  # the exported program's module (aten), to capture again
    values: dict = field(default_factory=dict)  # its nodes' values on the examples
    calls: dict = field(default_factory=dict)  # module path -> [(args, kwargs, output)] of each call
    fixed: object = None  # where forward fixed the batch at the example's (a FrameSummary, "" unknown), or None


@contextlib.contextmanager
def quiet():
    """torch.export logs the partial graph and its guards on a failure (and fake tensors the traceback of an
    operator given the wrong shapes): the message says what matters."""
    loggers = [logging.getLogger(n) for n in ("torch.export", "torch._export", "torch.fx.experimental.symbolic_shapes",
                                              "torch._dynamo", "torch.fx", "torch._subclasses")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def export(model: nn.Module, args: tuple, batch_dims: list[int | None]):
    """(the ExportedProgram of the model on `args` (forward's arguments as the model takes them), the batch dim of
    each tensor dynamic where the model allows it; where forward fixed the batch, a FrameSummary, else None).
    Raises DataDependent or torch's own error."""
    leaves, spec = pytree.tree_flatten(args)
    dims = iter(batch_dims)
    dynamic = tuple(pytree.tree_unflatten([{d: torch.export.Dim.AUTO} if (d := next(dims, None)) is not None
                                           else None for _ in leaves], spec))
    try:
        with quiet(), torch.no_grad(), guard_stacks() as stacks:
            program = torch.export.export(model, args, dynamic_shapes=dynamic, strict=False)
            fixed = fixed_batch(program, batch_dims, stacks)
            if fixed is not None:
                program, fixed = _strict(model, args, dynamic, batch_dims) or (program, fixed)
            return functional(program), fixed
    except Exception as e:  # noqa: BLE001 - torch.export raises many kinds
        text = f"{type(e).__name__}: {e}"
        if any(k in text for k in DATA_DEPENDENT):
            raise DataDependent(str(e)).with_traceback(e.__traceback__) from None
        raise


def _strict(model: nn.Module, args: tuple, dynamic: tuple, batch_dims: list[int | None]):
    """(program, None) captured by TorchDynamo (strict export), where that keeps the batch a size: it reads
    Python's `len(x)` and `int(x.size(0))` as sizes, which the non-strict capture fixes at the example's
    (rtdl's FTTransformer: `batch_size = len(q)`); None where it fixes it too or cannot capture the model."""
    try:
        program = torch.export.export(model, args, dynamic_shapes=dynamic, strict=True)
    except Exception as e:  # noqa: BLE001 - Python that TorchDynamo does not follow: the non-strict capture stands
        log.info("strict torch.export could not capture the model either (%s)", e)
        return None
    return (program, None) if fixed_batch(program, batch_dims) is None else None


def functional(program):
    """The program with its in-place operators made functional (`Xa[:, :, 1].add_(...)` on a view, as mamba.py's
    parallel scan does: add, then select_scatter into the tensor viewed). The mapping reads the graph as values
    flowing along its edges, so a result written into another tensor would be lost. Programs without them are
    kept as they are (their operators as forward called them)."""
    if not any(_mutates(n) for n in program.graph.nodes):
        return program
    return program.run_decompositions({})  # {}: functionalised only, no operator decomposed


def _mutates(n: fx.Node) -> bool:
    return (n.op == "call_function" and isinstance(n.target, torch._ops.OpOverload)
            and n.target._schema.is_mutable)


def capture(model: nn.Module, args: tuple, batch_dims: list[int | None]) -> Captured:
    """The model captured by torch.export, or by torch.fx's symbolic tracing where torch.export cannot (not
    for data-dependent control flow: DataDependent is raised then, with the user's line in its traceback)."""
    flat = pytree.tree_leaves(args)
    paths = {name for name, m in model.named_modules() if name and not isinstance(m, CONTAINERS)}
    try:
        program, fixed = export(model, args, batch_dims)
    except DataDependent:
        raise
    except Exception as e:  # noqa: BLE001 - an operator or construct torch.export does not take: try torch.fx
        log.info("torch.export could not capture the model (%s); trying torch.fx", e)
        try:
            gm = trace_fx(model, set())
        except Exception:  # noqa: BLE001 - neither: torch.export's reason is the one to show
            raise e from None
        _, calls = record(model, args, None, flat, paths)
        return Captured(gm, "torch.fx", calls=calls)
    source = program.module()
    values, calls = record(model, args, source, flat, paths)
    return Captured(translate(model, source, values, calls, set()), "torch.export", source, values, calls, fixed)


def again(model: nn.Module, captured: Captured, kept: set[str], exploded: set[str] = frozenset()) -> fx.GraphModule:
    """The torch-level graph with the modules at `kept` (classes of the user's file) as single calls and those at
    `exploded` (torch.nn modules no Code layer can hold) as their operators."""
    if captured.source is None:
        return trace_fx(model, kept, exploded)
    return translate(model, captured.source, captured.values, captured.calls, kept, exploded)


def trace_fx(model: nn.Module, kept: set[str], exploded: set[str] = frozenset()) -> fx.GraphModule:
    from .model import _Tracer

    tracer = _Tracer(kept, exploded)
    graph = tracer.trace(model)
    return fx.GraphModule(model, graph)


# ---- from the exported (aten) graph to a torch-level one ---------------------------------------------------
def leaf_kind(module: nn.Module, kept: set[str], path: str) -> bool:
    """Whether a call of this module becomes one call_module: torch.nn's own modules (not containers),
    netbuilder's, and the model's own classes the import keeps whole (`kept`)."""
    if path in kept:
        return True
    if isinstance(module, CONTAINERS) or path == "":
        return False
    from .rules import NETBUILDER_MODULES

    cls = type(module)
    return cls.__module__.startswith("torch.nn.") or (cls.__name__ in NETBUILDER_MODULES and _netbuilder(module))


def _netbuilder(module: nn.Module) -> bool:
    from .model import _is_netbuilder_module

    return _is_netbuilder_module(module)


def record(model: nn.Module, args: tuple, source: fx.GraphModule, flat: list, paths: set[str]):
    """Run the model (hooks on the modules at `paths` keeping each call) and the exported graph on the same
    inputs with the same random numbers: (values of the exported graph's nodes, module path -> calls)."""
    calls: dict[str, list] = {p: [] for p in paths}
    handles = []
    for path in paths:
        def hook(module, a, kw, out, path=path):
            calls[path].append((a, kw, out))
        handles.append(model.get_submodule(path).register_forward_hook(hook, with_kwargs=True))
    values = {}

    class Recorder(fx.Interpreter):
        def run_node(self, n):
            values[n] = value = super().run_node(n)
            return value

    try:
        with torch.no_grad(), torch.random.fork_rng(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the model's own warnings (deprecations, shapes) are not the import's
            torch.manual_seed(0)
            model(*args)
            if source is not None:
                torch.manual_seed(0)
                Recorder(source).run(*flat)
    finally:
        for h in handles:
            h.remove()
    return values, calls


def translate(model: nn.Module, source: fx.GraphModule, values: dict, calls: dict, kept: set[str],
              exploded: set[str] = frozenset()) -> fx.GraphModule:
    """The torch-level graph: each kept module call as one call_module, aten operators as torch functions."""
    groups: dict[str, list[fx.Node]] = {}
    owner: dict[fx.Node, str] = {}
    for n in source.graph.nodes:
        if n.op != "call_function" or not _holds_tensor(values.get(n)):
            continue  # sizes (SymInts) computed inside a module may be used after it: kept as they are
        key = _leaf_call(model, n, kept, exploded)
        if key is not None:
            groups.setdefault(key, []).append(n)
            owner[n] = key
    last = {nodes[-1]: key for key, nodes in groups.items()}
    g = fx.Graph()
    env: dict[fx.Node, object] = {}

    def arg(a):
        return fx.node.map_arg(a, lambda n: env[n])

    for n in source.graph.nodes:
        if n.op == "call_module":  # _guards_fn: the shape checks, decided at capture
            continue
        if n.op == "placeholder":
            env[n] = g.placeholder(n.name)
            _copy_meta(env[n], n)
        elif n.op == "get_attr":
            env[n] = g.get_attr(n.target)
            _copy_meta(env[n], n)
        elif n.op == "output":
            g.output(arg(n.args[0]))
        elif n in owner:
            if n in last:
                key = last[n]
                path = groups[key][0].meta["nn_module_stack"][key][0]
                index = int(m.group(1)) if (m := _CALL.search(key)) else 0
                found = calls.get(path, [])
                made = _module_call(g, env, groups[key], path, found[index] if index < len(found) else None, values)
                if not made:  # its arguments or results could not be matched: its operators one by one
                    for op in groups[key]:
                        env[op] = _function(g, op, arg)
        else:
            env[n] = _function(g, n, arg)
    gm = fx.GraphModule(model, g)
    gm.graph.eliminate_dead_code()
    for n in gm.graph.nodes:
        n.meta["nn_module_stack"] = _classes(model, n.meta.get("nn_module_stack") or {}, n.meta.get("call_of"))
    gm.recompile()
    return gm


def _classes(model: nn.Module, stack: dict, own: str | None) -> dict:
    """nn_module_stack with the modules' classes (torch.export keeps their names) and without the model itself;
    for a module's call, without the module and what is inside it."""
    out = {}
    for key, (path, _) in stack.items():
        if path == own:
            break
        try:
            out[key] = (path, type(model.get_submodule(path)))
        except AttributeError:
            continue
        if path == "":
            del out[key]
    return out


def _leaf_call(model: nn.Module, n: fx.Node, kept: set[str], exploded=frozenset()) -> str | None:
    """The key (nn_module_stack's) of the outermost module call around `n` that stays whole, or None."""
    for key, (path, _) in (n.meta.get("nn_module_stack") or {}).items():
        if path in exploded:
            continue
        try:
            module = model.get_submodule(path)
        except AttributeError:
            continue
        if leaf_kind(module, kept, path):
            return key
    return None


def _module_call(g: fx.Graph, env: dict, nodes: list[fx.Node], path: str, call, values) -> bool:
    """One call_module for the operators of one module call, its arguments and results matched by value
    with the call the hook recorded; False (nothing added) when they cannot be."""
    if call is None:
        return False
    inside = set(nodes)
    tensors = []
    for n in nodes:
        for a in n.all_input_nodes:
            own = a.op == "get_attr" and str(a.target).startswith(path + ".")
            if a not in inside and a not in tensors and not own and isinstance(values.get(a), torch.Tensor):
                tensors.append(a)
    args, kwargs, out = call
    used: list[fx.Node] = []

    def match(v):
        if isinstance(v, torch.Tensor):
            found = [a for a in tensors if _same(values.get(a), v)]
            if not found:
                raise LookupError
            pick = next((a for a in found if a not in used), found[0])
            used.append(pick)
            return env[pick]
        if isinstance(v, (tuple, list)):
            return type(v)(match(x) for x in v)
        if isinstance(v, dict):
            return {k: match(x) for k, x in v.items()}
        return v

    results = [n for n in nodes if any(u not in inside for u in n.users)]
    places = [_find(values.get(r), out) for r in results]
    try:
        call_args, call_kwargs = match(tuple(args)), match(dict(kwargs))
    except LookupError:
        return False
    if any(p is None for p in places):
        return False
    node = g.call_module(path, call_args, call_kwargs)
    _copy_meta(node, nodes[0])
    node.meta["call_of"] = path
    if isinstance(out, torch.Tensor) and len(results) == 1 and "val" in results[0].meta:
        node.meta["val"] = results[0].meta["val"]  # where its result's batch is
    made: dict[tuple, fx.Node] = {(): node}
    for r, where in zip(results, places):
        for k in range(1, len(where) + 1):
            if where[:k] not in made:
                made[where[:k]] = g.call_function(operator.getitem, (made[where[:k - 1]], where[k - 1]))
                _copy_meta(made[where[:k]], r)
                made[where[:k]].meta["call_of"] = path
        env[r] = made[where]
    return True


def _holds_tensor(value) -> bool:
    return any(isinstance(v, torch.Tensor) for v in pytree.tree_leaves(value))


def _same(a, b) -> bool:
    """The same tensor, computed perhaps another way (torch.nn's fast paths in eval round differently)."""
    if not (isinstance(a, torch.Tensor) and a.shape == b.shape and a.dtype == b.dtype):
        return False
    if not a.is_floating_point():
        return torch.equal(a, b)
    return bool(torch.allclose(a, b, rtol=1e-4, atol=1e-5, equal_nan=True))


def _find(value, out, where=()):
    """The index path of `value` inside a module's result (a tensor or nested tuples of them), or None."""
    if isinstance(out, torch.Tensor):
        return where if _same(value, out) else None
    if isinstance(out, (tuple, list)):
        for i, item in enumerate(out):
            found = _find(value, item, (*where, i))
            if found is not None:
                return found
    return None


def _copy_meta(new: fx.Node, old: fx.Node) -> None:
    for key in ("stack_trace", "nn_module_stack", "val"):
        if key in old.meta:
            new.meta[key] = old.meta[key]


# ---- aten operators -> the torch functions the rules know ---------------------------------------------------
aten = torch.ops.aten


def _index(x, items: tuple):
    return (x, items[0] if len(items) == 1 else items)


def _select(x, dim, index):
    return _index(x, (slice(None),) * dim + (index,)) if dim >= 0 else None


def _slice(x, dim=0, start=None, end=None, step=1):
    end = None if isinstance(end, int) and end >= 2 ** 62 else end
    start = None if start == 0 else start
    return _index(x, (slice(None),) * dim + (slice(start, end, None if step == 1 else step),)) if dim >= 0 else None


SAME_ARGS = {  # aten overload -> the torch-level callable taking the same positional arguments
    aten.relu.default: torch.relu, aten.sigmoid.default: torch.sigmoid, aten.tanh.default: torch.tanh,
    aten.silu.default: F.silu, aten.exp.default: torch.exp, aten.log.default: torch.log,
    aten.sqrt.default: torch.sqrt, aten.abs.default: torch.abs,
    aten.flatten.using_ints: torch.flatten, aten.unsqueeze.default: torch.unsqueeze,
    aten.squeeze.dim: torch.squeeze, aten.transpose.int: torch.transpose, aten.permute.default: torch.permute,
    aten.cat.default: torch.cat, aten.mean.dim: torch.mean, aten.reshape.default: torch.reshape,
    aten.view.default: torch.reshape, aten._unsafe_view.default: torch.reshape,
    aten.contiguous.default: torch.Tensor.contiguous, aten.clone.default: torch.clone,
    aten.dropout.default: F.dropout, aten.softmax.int: F.softmax, aten.log_softmax.int: F.log_softmax,
    aten.max_pool2d.default: F.max_pool2d, aten.max_pool1d.default: F.max_pool1d,
    aten.avg_pool2d.default: F.avg_pool2d, aten.avg_pool1d.default: F.avg_pool1d,
    aten.adaptive_avg_pool2d.default: F.adaptive_avg_pool2d,
}


_OPERATORS = {aten.add.Tensor: operator.add, aten.mul.Tensor: operator.mul, aten.sub.Tensor: operator.sub,
              aten.div.Tensor: operator.truediv, aten.add.Scalar: operator.add, aten.mul.Scalar: operator.mul,
              aten.sub.Scalar: operator.sub, aten.div.Scalar: operator.truediv}


def _function(g: fx.Graph, n: fx.Node, arg) -> fx.Node:
    target, args, kwargs = n.target, arg(n.args), arg(n.kwargs)
    new = None
    if target in SAME_ARGS:
        fn = SAME_ARGS[target]
        if target in (aten.softmax.int, aten.log_softmax.int):
            args = args[:2]
        if target in (aten.view.default, aten._unsafe_view.default):
            target = torch.reshape
        new = g.call_function(fn, tuple(args), dict(kwargs)) if fn is not torch.Tensor.contiguous else \
            g.call_method("contiguous", (args[0],))
    elif target in _OPERATORS and kwargs.get("alpha", 1) == 1:
        new = g.call_function(_OPERATORS[target], tuple(args[:2]))
    elif target in (aten.rsub.Scalar, aten.rsub.Tensor) and kwargs.get("alpha", 1) == 1:
        new = g.call_function(operator.sub, (args[1], args[0]))
    elif target == aten.neg.default:
        new = g.call_function(operator.neg, (args[0],))
    elif target in (aten.clamp.default, aten.clip.default):
        new = g.call_function(torch.clamp, tuple(args), dict(kwargs))
    elif target == aten.gelu.default:
        new = g.call_function(F.gelu, (args[0],), {"approximate": kwargs.get("approximate", "none")})
    elif target in (aten.leaky_relu.default, aten.elu.default):
        fn = F.leaky_relu if target == aten.leaky_relu.default else F.elu
        new = g.call_function(fn, tuple(args[:2]))
    elif target == aten.select.int and _select(*args) is not None:
        new = g.call_function(operator.getitem, _select(*args))
    elif target == aten.slice.Tensor and _slice(*args) is not None and _slice(*args)[1] == slice(None):
        return args[0]  # x[:]: the tensor itself
    elif target == aten.slice.Tensor and _slice(*args) is not None:
        new = g.call_function(operator.getitem, _slice(*args))
    if new is None:  # kept as it is: runnable, and made into a Code layer when nothing maps it
        new = g.call_function(target, tuple(args), dict(kwargs))
    _copy_meta(new, n)
    new.meta["aten"] = n.target
    return new
