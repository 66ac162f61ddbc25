"""What the catalog has no layer for, as the body of a Code layer (layers/code.py):
- a class of the user's file, verbatim, when it can run on its own (torch, nn, F and math are all it names) and
  was built from arguments a document can hold (numbers, text, lists);
- a torch.nn module the catalog lacks, made again from its own attributes (self.m = nn.RMSNorm(...));
- a run of captured operators, written out as forward, each line under the source line it came from.
Each also says which weights it takes from the model: (the model's key, the name inside the layer)."""
from __future__ import annotations

import ast
import builtins
import inspect
import keyword
import math
import operator
import re
import textwrap
import weakref

import torch
from torch import fx, nn

from ...layers.spec import Param

ALLOWED = {"torch", "nn", "F", "math"}
_init_args: "weakref.WeakKeyDictionary[nn.Module, dict]" = weakref.WeakKeyDictionary()
_literal = Param("args", "args", {}).type_error


class recording_arguments:
    """While active, each instance of the given classes remembers the arguments its __init__ was called with."""

    def __init__(self, classes):
        self.classes = [c for c in classes if "__init__" in vars(c)]

    def __enter__(self):
        self.saved = [(c, vars(c)["__init__"]) for c in self.classes]
        for cls, init in self.saved:
            def wrapped(self, *args, __init=init, **kwargs):
                try:
                    bound = inspect.signature(__init).bind(self, *args, **kwargs)
                    _init_args.setdefault(self, {k: v for k, v in list(bound.arguments.items())[1:]})
                except (TypeError, ValueError):
                    pass
                return __init(self, *args, **kwargs)
            cls.__init__ = wrapped
        return self

    def __exit__(self, *exc):
        for cls, init in self.saved:
            cls.__init__ = init


# ---- a class of the user's file, verbatim ---------------------------------------------------------------
def class_body(module: nn.Module) -> tuple[str, dict] | None:
    """(code, args) of the module's own class as a Code layer, or None when it cannot stand alone."""
    cls = type(module)
    args = _init_args.get(module)
    if args is None or cls.__bases__ != (nn.Module,) or any(_literal({k: v}) for k, v in args.items()):
        return None
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError, SyntaxError):
        return None
    node = tree.body[0] if tree.body and isinstance(tree.body[0], ast.ClassDef) else None
    if node is None or node.decorator_list or _free_names(node) - ALLOWED - {cls.__name__}:
        return None
    lines = textwrap.dedent(inspect.getsource(cls)).splitlines()
    start = node.body[0].lineno - 1
    if node.body[0].decorator_list if isinstance(node.body[0], ast.FunctionDef) else False:
        start = node.body[0].decorator_list[0].lineno - 1
    body = textwrap.dedent("\n".join(lines[start:node.end_lineno]))
    body = re.sub(rf"super\(\s*{re.escape(cls.__name__)}\s*,\s*self\s*\)", "super()", body)
    if re.search(rf"\b{re.escape(cls.__name__)}\b", body):
        return None
    return body + "\n", {k: list(v) if isinstance(v, tuple) else v for k, v in args.items()}


def _free_names(tree: ast.AST) -> set[str]:
    """Names the class reads that nothing in it binds (nor Python's builtins)."""
    loaded, bound = set(), set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Name):
            (loaded if isinstance(n.ctx, ast.Load) else bound).add(n.id)
        elif isinstance(n, ast.arg):
            bound.add(n.arg)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(n.name)
        elif isinstance(n, ast.alias):
            bound.add((n.asname or n.name).split(".")[0])
    return {n for n in loaded - bound if not hasattr(builtins, n)}


# ---- a torch.nn module the catalog lacks --------------------------------------------------------------------
def wrapper(module: nn.Module, arg_names: list[str], call_args, outputs: list[tuple], dims_in: list[int],
            dims_out: list[int]) -> str | None:
    """A Code body making the module again (self.m = nn.X(...), from its attributes) and calling it as forward
    did: `call_args` has the names of forward's arguments where the call had tensors; the result's tensors at
    `outputs` (index paths) are returned. `dims_in` / `dims_out`: where the batch is in each tensor the module
    takes and gives (the document's are batch first). None when the module cannot be made again."""
    made = _construction(module)
    if made is None:
        return None
    text, rebuilt = made
    if {k: tuple(v.shape) for k, v in rebuilt.state_dict().items()} != \
            {k: tuple(v.shape) for k, v in module.state_dict().items()}:
        return None
    call = _call_text(call_args)
    results = ", ".join("result" + "".join(f"[{i}]" for i in where) + _move(b, 0) for where, b in zip(outputs, dims_out))
    return (f"def __init__(self):\n    super().__init__()\n    self.m = {text}\n\n"
            f"def forward(self, {', '.join(arg_names)}):\n{_moves_in(arg_names, dims_in)}"
            f"    result = self.m({call})\n    return {results}\n")


def _move(source: int | None, to: int) -> str:
    return f".movedim({source}, {to})" if source else ""


def _moves_in(names: list[str], dims: list[int]) -> str:
    """Lines putting each input's batch (first, in the document) where the model has it."""
    return "".join(f"    {n} = {n}{_move(0, b)}  # the batch where the model has it\n" for n, b in zip(names, dims) if b)


def _construction(module: nn.Module):
    cls = type(module)
    if getattr(nn, cls.__name__, None) is not cls:
        return None
    try:
        init = nn.RNNBase.__init__ if isinstance(module, nn.RNNBase) else cls.__init__  # LSTM(*args, **kwargs)
        params = [p for p in list(inspect.signature(init).parameters.values())[1:] if p.name != "mode"]
    except (TypeError, ValueError):
        return None
    kwargs = {}
    for p in params:
        if p.name in ("device", "dtype") or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if isinstance(module, nn.RNNBase) and p.name == "proj_size" and not module.proj_size:
            continue
        if not hasattr(module, p.name):
            if p.default is p.empty:
                return None
            continue
        value = getattr(module, p.name)
        if p.name == "bias" and (value is None or isinstance(value, torch.Tensor)):
            value = value is not None  # the argument says whether there is one; the tensor is the weight
        if isinstance(value, torch.Tensor) or isinstance(value, nn.Module):
            return None
        value = list(value) if isinstance(value, tuple) else value
        if _literal({"v": value}) or (isinstance(value, float) and not math.isfinite(value)):
            return None
        kwargs[p.name] = value
    text = f"nn.{cls.__name__}(" + ", ".join(f"{k}={v!r}" for k, v in kwargs.items()) + ")"
    try:
        rebuilt = cls(**kwargs)
    except Exception:  # noqa: BLE001 - an attribute that is not the constructor's argument of that name
        return None
    return text, rebuilt


def _call_text(value) -> str:
    args, kwargs = value
    parts = [_literal_text(a) for a in args] + [f"{k}={_literal_text(v)}" for k, v in kwargs.items()]
    return ", ".join(parts)


def _literal_text(v) -> str:
    if isinstance(v, tuple):
        return "(" + ", ".join(map(_literal_text, v)) + ("," if len(v) == 1 else "") + ")"
    if isinstance(v, list):
        return "[" + ", ".join(map(_literal_text, v)) + "]"
    return repr(v)


# ---- a run of captured operators --------------------------------------------------------------------------
def relative(text: str, scopes: list[str]) -> str:
    """A name made from a module path (transformer_h_0_attn_c_attn_weight) relative to the innermost of `scopes`
    (module paths) it falls in (c_attn_weight): the same in each use of a class."""
    text = re.sub(r"\W", "_", text)
    for prefix in sorted({re.sub(r"\W", "_", s) + "_" for s in scopes if s}, key=len, reverse=True):
        if text.startswith(prefix) and len(text) > len(prefix):
            return text[len(prefix):]
    return text


def variable(n: fx.Node) -> str:
    """The stem of a captured operator's variable (getitem_7 -> getitem), numbered again in each layer."""
    return re.sub(r"_\d+$", "", n.name) if n.op in ("call_function", "call_method") else n.name


def run_body(nodes: list[fx.Node], inputs: list[fx.Node], outputs: list[fx.Node],
             tensors: dict[fx.Node, torch.Tensor], where, bdim=lambda n: 0, labels: dict | None = None,
             modules: dict | None = None, scopes: list[str] = (), sizes: dict | None = None
             ) -> tuple[str, list[tuple[fx.Node, str]]]:
    """(code, weights) of a Code layer computing `outputs` (returned in this order, as a tuple when several) from
    `inputs` by `nodes` (in graph order). `tensors`:
    the model's own tensors the nodes read (get_attr nodes and their values), made the layer's own; `modules`:
    the torch.nn modules called among the nodes (node -> module), made again inside the layer. The weights it
    names are (node, its name inside the layer), for a tensor's value or a module's weights;
    `where(node)` gives (line, code) in the user's file. Names inside are relative to the innermost of `scopes`
    (the paths of the modules the layer was computed in) they fall in, and the variables numbered in the layer:
    the layers made from each use of one class have the same code, and the uses can be one block. `sizes`: the
    sizes read from another input than the one the model read them from (node -> (input, dim))."""
    names: dict[fx.Node, str] = {}
    taken = set(ALLOWED) | {"self", "result"}

    def name(n: fx.Node, base: str | None = None) -> str:
        if n not in names:
            stem = relative(base, scopes) if base else variable(n)
            stem = re.sub(r"\W", "_", stem).strip("_") or "v"
            if stem[0].isdigit() or keyword.iskeyword(stem):
                stem = "v_" + stem
            candidate, k = stem, 1
            while candidate in taken:
                k += 1
                candidate = f"{stem}_{k}"
            taken.add(candidate)
            names[n] = candidate
        return names[n]

    for n in inputs:
        name(n, (labels or {}).get(n))
    init, weights = [], []
    for n, value in tensors.items():
        attr = name(n, str(n.target).replace(".", "_"))
        shape = list(value.shape)
        if isinstance(value, nn.Parameter):
            init.append(f"    self.{attr} = nn.Parameter(torch.zeros({shape}{_dtype(value)}))")
        else:
            init.append(f"    self.register_buffer('{attr}', torch.zeros({shape}{_dtype(value)}))")
        weights.append((n, attr))
    for n, module in (modules or {}).items():
        attr = name(n, str(n.target).replace(".", "_"))
        made = _construction(module)
        if made is None:
            return None, []
        init.append(f"    self.{attr} = {made[0]}")
        weights.append((n, attr))
    body, seen_lines = [], set()
    for n in nodes:
        line, code = where(n)
        if line is not None and line not in seen_lines:
            seen_lines.add(line)
            body.append(f"    # line {line}: {code}")
        ref = lambda a: _ref(a, names, tensors)  # noqa: E731
        if n in (sizes or {}):
            body.append(f"    {name(n)} = {names[sizes[n][0]]}.size({sizes[n][1]})")
        elif n.op == "call_module":
            args = [ref(a) for a in n.args] + [f"{k}={ref(v)}" for k, v in n.kwargs.items()]
            body.append(f"    {name(n)} = self.{names[n]}({', '.join(args)})")
        else:
            body.append(f"    {name(n)} = {_expression(n, ref)}")
    head = "def __init__(self):\n    super().__init__()\n" + "".join(f"{s}\n" for s in init) + "\n" if init else ""
    moves = _moves_in([names[i] for i in inputs], [bdim(i) for i in inputs])
    code = (head + f"def forward(self, {', '.join(names[i] for i in inputs)}):\n" + moves + "\n".join(body)
            + f"\n    return {', '.join(names[o] + _move(bdim(o), 0) for o in outputs)}\n")
    return code, weights


def _dtype(value: torch.Tensor) -> str:
    return "" if value.dtype == torch.float32 else f", dtype={value.dtype}"


def _ref(a, names, tensors) -> str:
    if isinstance(a, fx.Node):
        return f"self.{names[a]}" if a in tensors else names[a]
    return _constant(a, lambda x: _ref(x, names, tensors))


def _constant(a, ref) -> str:
    if isinstance(a, (list, tuple)):
        inner = ", ".join(ref(x) for x in a)
        return f"[{inner}]" if isinstance(a, list) else f"({inner}{',' if len(a) == 1 else ''})"
    if isinstance(a, dict):
        return "{" + ", ".join(f"{k!r}: {ref(v)}" for k, v in a.items()) + "}"
    if isinstance(a, slice):
        return f"slice({ref(a.start)}, {ref(a.stop)}, {ref(a.step)})"
    if isinstance(a, (torch.dtype, torch.layout, torch.memory_format)):
        return str(a)
    if isinstance(a, torch.device):
        return f"torch.device({str(a)!r})"
    if isinstance(a, float) and not math.isfinite(a):
        return f"float('{a}')"
    if a is Ellipsis:
        return "..."
    return repr(a)


_INFIX = {operator.add: "+", operator.sub: "-", operator.mul: "*", operator.truediv: "/", operator.floordiv: "//",
          operator.mod: "%", operator.pow: "**", operator.matmul: "@"}
_TORCH = {"mul", "add", "sub", "div", "exp", "log", "sqrt", "abs", "neg", "pow", "sin", "cos", "tanh", "sigmoid",
          "relu", "randn_like", "rand_like", "zeros_like", "ones_like", "zeros", "ones", "full", "cat", "stack",
          "matmul", "bmm", "where", "clamp", "sum", "mean", "amax", "max", "min", "transpose", "permute",
          "reshape", "unsqueeze", "squeeze", "flatten", "softmax", "log_softmax", "arange", "tril", "triu",
          "masked_fill", "rsqrt", "erf", "floor", "ceil", "round", "sign", "square", "rsub", "logsumexp",
          "cumsum", "exp2", "log1p", "expm1", "minimum", "maximum", "einsum", "chunk", "split", "addmm"}
_OVERLOADS = {"default", "Tensor", "Scalar", "int", "dim", "dim_IntList", "using_ints", "self", "other",
              "Tensor_Tensor", "ScalarOpt_dim", "Tensor_mode", "Scalar_mode", "start", "start_step", "correction"}


def _expression(n: fx.Node, ref) -> str:
    args = [ref(a) for a in n.args]
    kwargs = [f"{k}={ref(v)}" for k, v in n.kwargs.items() if not _default(k, v)]
    target = n.target
    if n.op == "call_method":
        return f"{args[0]}.{target}({', '.join(args[1:] + kwargs)})"
    if target in _INFIX and len(args) == 2 and not kwargs:
        return f"{args[0]} {_INFIX[target]} {args[1]}"
    if target is operator.getitem:
        index = n.args[1]
        items = index if isinstance(index, tuple) else (index,)
        return f"{args[0]}[{', '.join(_index(i, ref) for i in items)}]"
    if target is operator.neg:
        return f"-{args[0]}"
    if isinstance(target, torch._ops.OpOverload):
        packet = target.overloadpacket.__name__
        if packet == "sym_size" and len(args) == 2:
            return f"{args[0]}.size({args[1]})"
        fn = f"torch.{packet}" if packet in _TORCH and target._overloadname in _OVERLOADS and \
            hasattr(torch, packet) else f"torch.ops.aten.{packet}.{target._overloadname}"
        return f"{fn}({', '.join(args + kwargs)})"
    module = getattr(target, "__module__", "") or ""
    fname = getattr(target, "__name__", str(target))
    prefix = {"torch": "torch.", "torch.nn.functional": "F.", "math": "math.", "_operator": "operator."}.get(module)
    if prefix is None and module.startswith("torch"):
        prefix = "torch."
    if prefix is None:
        prefix = "" if hasattr(builtins, fname) else f"{module}."
    return f"{prefix}{fname}({', '.join(args + kwargs)})"


def _default(key: str, value) -> bool:
    """A keyword torch.export writes out with its default value (pin_memory=False, layout=torch.strided)."""
    return value is None or (key == "pin_memory" and value is False) or (key == "layout" and value == torch.strided) \
        or (key == "device" and value == torch.device("cpu"))


def _index(i, ref) -> str:
    if isinstance(i, slice):
        parts = ["" if v is None else ref(v) for v in (i.start, i.stop)]
        return ":".join(parts) + (f":{ref(i.step)}" if i.step is not None else "")
    return "..." if i is Ellipsis else "None" if i is None else ref(i)
