"""What the catalog has no layer for becomes a Code layer (as_code.py writes its body):
- a call of a module (torch.nn's, or a class of the user's file kept whole) -> one Code layer holding that module;
- a run of operators nothing maps (0.5 * logvar is a Scale, but torch.randn_like is nothing) -> Code layers
  whose forward is the captured operators: one per result that leaves the run, except that the results computed
  from one weight of the model (q, k and v split from one matrix product) come from one Code layer with several
  outputs, so that each weight is held by one layer only; a result another Code layer gives is taken from it,
  not computed again.
`decide` picks, from what one mapping pass could not map, which of the two each becomes; `grow` widens a run
that would give a tensor without the batch (a constant, a sum over everything) to the calls that use it."""
from __future__ import annotations

import inspect
import keyword
import operator

import torch
from torch import fx, nn
from torch.utils import _pytree as pytree

from ...graph import trust
from ...layers.code import code_ports
from .as_code import class_body, relative, run_body, variable, wrapper
from .blocks import user_classes
from .rules import Mapper, Unsupported, _holds_tensor

NOTE_LIMIT = 200  # the note is a text parameter: at most this many characters
INSIDE = object()  # the value of an operator computed inside a Code layer made for a later one


class CodeResult:
    """A Code layer's result with several tensors, taken apart by indexing as the module's result was."""

    def __init__(self, node_id: str, structure):
        self.id, self.structure = node_id, structure

    def index(self, m: Mapper, idx):
        try:
            part = self.structure[idx]
        except (IndexError, KeyError, TypeError):
            raise Unsupported(f"this part ([{idx}]) of a module's result", final=True) from None
        return (self.id, part) if isinstance(part, str) else CodeResult(self.id, part)

    def materialize(self, m: Mapper):
        raise Unsupported("a module's whole result (a tuple) used as one tensor", final=True)


def as_code(m: Mapper, node: fx.Node):
    why = m.code[node.name]
    if node.op == "call_module" and not _member(m, node):
        return _module_code(m, node, why)
    if node in m.runs:
        return m.runs[node]  # given by the Code layer made for an earlier result of its run
    if _leaves(m, node):
        return _run_code(m, node, why)
    return INSIDE


def _leaves(m: Mapper, node: fx.Node) -> bool:
    """Whether a node of a run is used outside it (by a layer or the output)."""
    return any(u in m.live and not _member(m, u) for u in node.users)


def _given(m: Mapper, node: fx.Node) -> bool:
    """Whether a node of a run is a result some Code layer gives the document (one with the batch as a dim of its
    own used outside the run): the Code layers needing it take it rather than compute it again."""
    return node in m.runs or _member(m, node) and _leaves(m, node) and _batched(m, node)


def _member(m: Mapper, node: fx.Node) -> bool:
    """Whether the node is computed inside a run's Code layer: an operator made code, or a module call made code
    that takes what only a run has (a tensor whose batch is merged with another dim)."""
    if node.name not in m.code:
        return False
    if node.op in ("call_function", "call_method"):
        return True
    return node.op == "call_module" and any(_member(m, a) and not _batched(m, a) for a in node.all_input_nodes)


def _batched(m: Mapper, node: fx.Node) -> bool:
    """Whether the node's value is a tensor with the batch as a dim of its own (the document can hold it)."""
    value = m.results.get(node)
    if not isinstance(value, torch.Tensor) or value.dim() == 0 or m.bdim(node) is None:
        return False
    return bool(m.bdim(node)) or value.shape[0] == m.batch_size


def _module_code(m: Mapper, node: fx.Node, why: str):
    path = str(node.target)
    module = m.gm.get_submodule(path)
    inputs = [a for a in pytree.tree_leaves((node.args, node.kwargs)) if isinstance(a, fx.Node)]
    values = [m.values.get(a) for a in inputs]
    if all(isinstance(v, Constant) for v in values):
        return Constant()  # fed by constants alone: the Code layers using its result call it themselves
    if any(isinstance(v, Constant) or (isinstance(v, tuple) and v[:1] == ("parameter",)) for v in values):
        u = Unsupported(f"self.{path}: {type(module).__name__} given the model's own tensors", final=path in m.exploded)
        u.explode = path  # its operators join the Code layer that uses them
        raise u
    sources = [m.tensor(a) for a in inputs]
    out = m.results.get(node)
    leaves = _tensor_paths(out)
    dims_in = [m.bdim(a) for a in inputs]
    dims_out = [_out_dim(m, node, where) for where in leaves]
    if None in dims_in or None in dims_out:
        raise Unsupported(f"self.{path}: {type(module).__name__} given or giving a tensor without a batch dim of its"
                          " own", final=True)
    made = _verbatim(module, node, len(inputs), len(leaves)) if not any(dims_in + dims_out) else None
    if made is None:
        names = _names(inputs, [p for p, _ in (node.meta.get("nn_module_stack") or {}).values()])
        call = pytree.tree_map(lambda a: _Named(names[inputs.index(a)]) if isinstance(a, fx.Node) else a,
                               (tuple(node.args), dict(node.kwargs)))
        code = wrapper(module, names, call, leaves, dims_in, dims_out)
        if code is None:
            u = Unsupported(f"self.{path}: {type(module).__name__}, which the catalog lacks and which cannot be made"
                            " again from its attributes as a Code layer; write it as a class of your file using"
                            " torch only", final=path in m.exploded)
            u.explode = path  # its operators one by one, then
            raise u
        made = (code, {}, "m")
    code, args, inner = made
    m.owns(path, module)
    trust.trust([code], remember=False)
    node_id = m.add("Code", sources, dict(code=code, args=args, note=_note(why)), name=path.replace(".", "_"),
                    weights=(path, inner))
    ports = code_ports(code)[1]
    if len(ports) == 1:
        return node_id
    return CodeResult(node_id, _structure(out, iter(ports)))


def _out_dim(m: Mapper, node: fx.Node, where: tuple) -> int | None:
    """Where the batch is in the module's result at index path `where` (read on the getitem that takes it)."""
    found = node
    for i in where:
        found = next((u for u in found.users if u.target is operator.getitem and u.args[1] == i), None)
        if found is None:
            return 0
    return m.bdim(found)


def _verbatim(module: nn.Module, node: fx.Node, inputs: int, outputs: int):
    """(code, args, "") of the user's own class when its source can be the layer, else None."""
    if type(module).__module__.startswith("torch."):
        return None
    found = class_body(module)
    if found is None or node.kwargs or any(not isinstance(a, fx.Node) for a in node.args):
        return None
    code, args = found
    try:
        params = list(inspect.signature(type(module).forward).parameters.values())[1:]
    except (TypeError, ValueError):
        return None
    required = [p for p in params if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(required) != inputs or len(node.args) != inputs or len(code_ports(code)[1]) != outputs:
        return None
    return code, args, ""


class _Named(str):
    def __repr__(self):
        return str(self)


def _names(nodes: list[fx.Node], scopes: list[str]) -> list[str]:
    """forward's arguments, named as in each use of the class the call was made in."""
    names = []
    for n in nodes:
        text = variable(n) if n.op in ("call_function", "call_method") else relative(n.name, scopes)
        stem = text if text.isidentifier() and not keyword.iskeyword(text) \
            and text not in ("self", "torch", "nn", "F", "math", "result") else f"x_{text}"
        name, k = stem, 1
        while name in names:
            k += 1
            name = f"{stem}_{k}"
        names.append(name)
    return names


def _tensor_paths(out, where=()) -> list[tuple]:
    if isinstance(out, torch.Tensor):
        return [where]
    if isinstance(out, (tuple, list)):
        return [p for i, item in enumerate(out) for p in _tensor_paths(item, (*where, i))]
    return []


def _structure(out, ports):
    if isinstance(out, torch.Tensor):
        return next(ports)
    return [_structure(item, ports) if isinstance(item, (torch.Tensor, tuple, list)) else None for item in out]


class Constant:
    """A value computed from the model's own tensors alone: the Code layers using it compute it themselves."""


def _run_code(m: Mapper, node: fx.Node, why: str):
    outputs, shared = _group(m, node)
    for part in _parts(m, node, shared):  # each weight's result given by a layer of its own, then
        made = _made(m, [part], why, m._name_of(part, "Code"))
        if isinstance(made, str):
            m.values[part] = m.runs[part] = made
            m.origin[made] = part
    return _made(m, outputs, why)


def _made(m: Mapper, outputs: list[fx.Node], why: str, name: str | None = None):
    """A Code layer giving `outputs` (its id, or (id, port) of the first when several), or a Constant."""
    members, inputs, tensors = _collect(m, outputs)
    if not inputs:
        return Constant()
    sizes = _sizes(members, inputs)
    sources = [m.tensor(i) for i in inputs]
    graph = m.builder.graph
    labels = {i: graph.node(s if isinstance(s, str) else s[0]).name for i, s in zip(inputs, sources)}
    modules = {n: m.gm.get_submodule(n.target) for n in members if n.op == "call_module"}
    scopes = [path for path, _ in (outputs[0].meta.get("nn_module_stack") or {}).values()]
    code, weights = run_body(members, inputs, outputs, tensors, m.where, m.bdim, labels, modules, scopes, sizes)
    if code is None:
        raise Unsupported("a module the catalog lacks, called on constants, that cannot be made again from its"
                          " attributes", final=True)
    for n in modules:
        m.owns(str(n.target), modules[n])
    trust.trust([code], remember=False)
    node_id = m.add("Code", sources, dict(code=code, args={}, note=_note(why)), name=name)
    name = m.builder.graph.node(node_id).name
    state = _state(m)
    for n, attr in weights:
        if n.op == "call_module" or str(n.target) in state:
            m.owners.append((str(n.target), f"{name}.{attr}"))
        else:  # a tensor the model holds as a plain attribute, or a constant: its value goes with the weights
            m.constants[f"{name}.{attr}"] = m.results[n]
    ports = code_ports(code)[1]
    if len(outputs) == 1:
        return node_id
    for later, port in zip(outputs[1:], ports[1:]):
        m.runs[later] = (node_id, port)
    return node_id, ports[0]


def _state(m: Mapper) -> dict:
    state = dict(m.model.state_dict(keep_vars=True))
    state.update(dict(m.model.named_buffers()))
    return state


def _collect(m: Mapper, outputs: list[fx.Node]):
    """The operators computing `outputs` inside their run (with the sizes they read), the tensors coming in (a
    result another Code layer gives is one), and the model's own tensors read."""
    members, inputs, tensors = set(), [], {}
    stack = list(outputs)
    while stack:
        n = stack.pop()
        if n in members:
            continue
        members.add(n)
        for a in n.all_input_nodes:
            if a.op == "get_attr":
                tensors[a] = m.results.get(a)
            elif a not in outputs and _given(m, a):
                if a not in inputs:
                    inputs.append(a)
            elif _member(m, a) or (a.op in ("call_function", "call_method") and not _holds_tensor(m.results.get(a))) \
                    or (a.op in ("call_module", "call_function") and isinstance(m.values.get(a), Constant)):
                stack.append(a)
            elif a not in inputs:
                inputs.append(a)
    order = {n: i for i, n in enumerate(m.gm.graph.nodes)}
    inputs.sort(key=order.__getitem__)
    return sorted(members, key=order.__getitem__), inputs, tensors


def _sizes(members: list[fx.Node], inputs: list[fx.Node]) -> dict[fx.Node, tuple[fx.Node, int]]:
    """Sizes the run reads from an input it takes for them alone (the batch read from the model's input), read
    from another of its inputs having that size (node -> (input, dim)); those inputs are dropped (in place). A
    Code layer in a block then takes what the block computes, in each use alike."""
    sizes = {}
    for i in list(inputs):
        users = [u for u in i.users if u in members]
        found = {}
        for u in users:
            expr = _symbol(u.meta.get("val")) if _is_size(u) else None
            found[u] = next(((j, d) for j in inputs if j is not i and isinstance(j.meta.get("val"), torch.Tensor)
                             for d, size in enumerate(j.meta["val"].shape) if expr and _symbol(size) == expr), None)
            if found[u] is None:
                break
        if users and all(found.get(u) for u in users):
            sizes.update(found)
            inputs.remove(i)
    return sizes


def _is_size(n: fx.Node) -> bool:
    return isinstance(n.target, torch._ops.OpOverload) and n.target.overloadpacket.__name__ == "sym_size"


def _symbol(size) -> str | None:
    return str(size.node.expr) if isinstance(size, torch.SymInt) and not size.node.expr.is_number else None


def _group(m: Mapper, node: fx.Node) -> tuple[list[fx.Node], set[fx.Node]]:
    """(the results of the run that one Code layer gives along with `node`, the first of them: those computed
    from a weight of the model that it computes from, so that no weight is held by two layers; the weights it
    shares with other results when that cannot be: a result needs what a layer computes from another, or a tensor
    not made yet when the first is needed)."""
    group, held = [node], set()
    while True:
        members, inputs, tensors = _collect(m, group)
        weights = _weights(m, members, tensors) - held
        if not weights:
            break
        held |= weights
        more = [n for n in _reached(m, weights) if n not in group and n not in m.runs]
        if not more:
            break
        group += more
    if len(group) == 1:
        return group, set()
    order = {n: i for i, n in enumerate(m.gm.graph.nodes)}
    group.sort(key=order.__getitem__)
    inputs = _collect(m, group)[1]
    if group[0] is not node or any(i not in m.values for i in inputs) or _depends(inputs, set(group)):
        return [node], held
    return group, set()


def _parts(m: Mapper, node: fx.Node, weights: set[fx.Node]) -> list[fx.Node]:
    """Where, on the way from `weights` to `node`, their results first have the batch as a dim of their own (the
    matrix product of GPT-2's c_attn viewed back to [N, T, 3C]): a Code layer gives each, taken by the layers
    of the results computed from it."""
    inside = set(_collect(m, [node])[0])
    found, seen, stack = set(), set(), list(weights)
    while stack:
        n = stack.pop()
        for u in n.users:
            if u in inside and u not in seen:
                seen.add(u)
                if _batched(m, u):
                    found.add(u)
                else:
                    stack.append(u)
    found.discard(node)
    order = {n: i for i, n in enumerate(m.gm.graph.nodes)}
    return sorted(found, key=order.__getitem__)


def _weights(m: Mapper, members: list[fx.Node], tensors: dict) -> set[fx.Node]:
    """The nodes reading the model's own weights (parameters and buffers) among a run's: its get_attr nodes and
    its calls of modules holding weights."""
    state = _state(m)
    found = {n for n in tensors if str(n.target) in state}
    for n in members:
        if n.op == "call_module" and next(iter(m.gm.get_submodule(n.target).state_dict()), None) is not None:
            found.add(n)
    return found


def _reached(m: Mapper, starts: set[fx.Node]) -> list[fx.Node]:
    """The results some Code layer gives that are computed from `starts` within the run (not through another
    such result)."""
    found, seen, stack = [], set(), list(starts)
    while stack:
        n = stack.pop()
        for u in n.users:
            if u in seen or u not in m.live or not _member(m, u):
                continue
            seen.add(u)
            if _given(m, u):
                found.append(u)
            else:
                stack.append(u)
    return found


def _depends(inputs: list[fx.Node], results: set[fx.Node]) -> bool:
    """Whether any of `inputs` is computed from one of `results` (then one layer cannot give both)."""
    seen, stack = set(), list(inputs)
    while stack:
        n = stack.pop()
        if n in results:
            return True
        if n not in seen:
            seen.add(n)
            stack.extend(n.all_input_nodes)
    return False


def _note(why: str) -> str:
    text = f"imported as code: {why}"
    return text if len(text) <= NOTE_LIMIT else text[:NOTE_LIMIT - 1] + "…"


# ---- which failures become which Code layers --------------------------------------------------------------
def decide(m: Mapper, calls: dict, kept_why: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(module path to capture whole -> why, node name -> why) from a mapping pass's failures; `kept_why`: why
    the modules captured whole so far were."""
    kept, code = {}, {}
    for node, u in m.failed:
        if u.final:
            continue
        if getattr(u, "explode", None):  # and every module of its class, in one capture more
            cls = type(m.model.get_submodule(u.explode))
            m.exploded.update(p for p, mod in m.model.named_modules() if type(mod) is cls)
            continue
        at, _ = m.place(node)
        why = f"{at}: {u.what}" if at else u.what
        if node.op == "call_module":
            path = str(node.target)
            if path in kept_why:
                why = f"{kept_why[path]}, so class {type(m.gm.get_submodule(path)).__name__} comes in as written"
            code.setdefault(node.name, why)
            continue
        path = _own_class(m, node, calls)
        if path is not None:
            kept.setdefault(path, why)
        else:
            code.setdefault(node.name, why)
    return kept, code


def _own_class(m: Mapper, node: fx.Node, calls: dict) -> str | None:
    """The innermost class of the user's file the node was computed in whose source can be a Code layer."""
    for path, cls in reversed(user_classes(node)):
        try:
            module = m.model.get_submodule(path)
        except AttributeError:
            continue
        found = class_body(module)
        if found is None:
            continue
        ports = code_ports(found[0])
        fits = all(not kw and all(isinstance(a, torch.Tensor) for a in args)
                   and len(_tensor_paths(out)) == len(ports[1])
                   and (len(ports[1]) == 1 or isinstance(out, tuple)) for args, kw, out in calls.get(path, []))
        if fits and calls.get(path):
            return path
    return None


def grow(m: Mapper, code: dict[str, str], batch: int) -> dict[str, str]:
    """The runs widened until each result leaving one has the batch as a dim of its own (or is a constant)."""
    code = dict(code)
    m.batch_size = batch
    changed = True
    while changed:
        changed = False
        m.code = code
        for node in list(m.gm.graph.nodes):
            if node not in m.live or not _member(m, node):
                continue
            if not any(u in m.live and not _member(m, u) for u in node.users):
                continue  # used inside its run only
            if _batched(m, node) or not _collect(m, [node])[1]:
                continue  # a constant: those using it become code and compute it
            for user in node.users:
                if user in m.live and user.op != "output" and user.name not in code:
                    code[user.name] = code[node.name]
                    changed = True
    return code
