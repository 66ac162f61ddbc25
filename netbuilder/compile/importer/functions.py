"""Which catalog layer each torch function and tensor method becomes (relu, view, cat, a + b, mean, ...), with
its parameters read from the call's arguments. A call that has none raises Unsupported, saying what it is."""
from __future__ import annotations

import torch
from torch import fx, nn

from .catalog import Part, _index_text, _size, _upsample_params
from .rules import Mapper, Unsupported


def _arg(node: fx.Node, i: int, name: str, default=None):
    if name in node.kwargs:
        return node.kwargs[name]
    return node.args[i] if len(node.args) > i else default


def _name(node: fx.Node) -> str | None:
    """The function's plain name (relu, add, cat, ...) when it is torch's or Python's operator, else None."""
    if node.op == "call_method":
        return str(node.target).rstrip("_") or None
    module = getattr(node.target, "__module__", None) or ""
    if module.startswith("torch") or module in ("_operator", "operator"):
        name = getattr(node.target, "__name__", "") or ""
        return {"iadd": "add", "imul": "mul", "concat": "cat", "concatenate": "cat"}.get(name, name.rstrip("_"))
    return None


def _describe(node: fx.Node) -> str:
    if isinstance(node.target, torch._ops.OpOverload):
        return f"torch.{node.target.overloadpacket.__name__}"
    if node.op == "call_method":
        return f"the tensor method .{node.target}()"
    module = getattr(node.target, "__module__", None) or ""
    name = getattr(node.target, "__name__", str(node.target))
    if module in ("_operator", "operator"):
        return f"the operator {_SYMBOLS.get(name, name)}"
    if module.startswith("torch.nn.functional") or module == "torch._C._nn":
        return f"F.{name}"
    return f"{'torch.' if module.startswith('torch') else ''}{name}"


_SYMBOLS = {"sub": "-", "truediv": "/", "floordiv": "//", "matmul": "@", "pow": "**", "neg": "- (negation)",
            "getitem": "[] (indexing)", "mod": "%"}


def map_function(m: Mapper, node: fx.Node):
    rule = FUNCTIONS.get(_name(node))
    if rule is None:
        raise Unsupported(f"{_describe(node)}, which no catalog layer does")
    return rule(m, node)


def _act(layer: str, **args):
    """An elementwise activation: params from the call's arguments (name: (position, default))."""
    def rule(m: Mapper, node: fx.Node):
        params = {k: _arg(node, i, k, d) for k, (i, d) in args.items()}
        if layer == "GELU":
            if params.pop("approximate") != "none":
                raise Unsupported("F.gelu with approximate='tanh'")
        if "dim" in params and params["dim"] is None:
            raise Unsupported(f"{_describe(node)} without a dim")
        if node.kwargs.get("dtype") is not None:
            raise Unsupported(f"{_describe(node)} with a dtype")
        return m.add(layer, [m.tensor(node.args[0])], params)
    return rule


def flatten(m: Mapper, node: fx.Node):
    rank = len(m.shape(node.args[0]))
    start, end = _arg(node, 1, "start_dim", 0), _arg(node, 2, "end_dim", -1)
    start = start + rank if start < 0 else start
    if start == 0:
        raise Unsupported("flatten from dim 0, which joins the batch with the rest")
    return m.add("Flatten", [m.tensor(node.args[0])], dict(start_dim=start, end_dim=end))


def reshape(m: Mapper, node: fx.Node, source=None):
    """view, reshape, unsqueeze, squeeze, unflatten: the new shape as it was when the model ran."""
    source = node.args[0] if source is None else source
    before, after = m.shape(source), m.shape(node)
    x = m.tensor(source)
    if len(after) < 2 or after[0] != before[0]:
        raise Unsupported(f"a reshape from {_shape_text(before)} to {list(after)} that does not keep the batch dim"
                          " first (the catalog's Reshape keeps it)")
    if after == before:
        return x
    if len(after) == 2 and len(before) > 2:
        return m.add("Flatten", [x], dict(start_dim=1, end_dim=-1))
    return m.add("Reshape", [x], dict(shape=list(after[1:])))


def permute(m: Mapper, node: fx.Node):
    rank = len(m.shape(node.args[0]))
    dims = list(node.args[1:]) or list(node.kwargs.get("dims", ()))
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = list(dims[0])
    dims = [d + rank if d < 0 else d for d in dims]
    return _permutation(m, node, dims)


def transpose(m: Mapper, node: fx.Node):
    rank = len(m.shape(node.args[0]))
    a, b = (d + rank if d < 0 else d for d in (_arg(node, 1, "dim0"), _arg(node, 2, "dim1")))
    dims = list(range(rank))
    dims[a], dims[b] = dims[b], dims[a]
    return _permutation(m, node, dims)


def _permutation(m: Mapper, node: fx.Node, dims: list[int]) -> str:
    x = m.tensor(node.args[0])
    if dims[0] != 0:
        raise Unsupported(f"moving the batch dim ({_describe(node)} with dims {dims}); the catalog's Permute keeps"
                          " it first")
    if dims == sorted(dims):
        return x
    return m.add("Permute", [x], dict(dims=dims[1:]))


def merge(layer: str, symbol: str):
    """a + b, a * b (also torch.add, torch.mul): a Merge layer; a chain on one line becomes one layer."""
    def rule(m: Mapper, node: fx.Node):
        a, b = _arg(node, 0, "input"), _arg(node, 1, "other")
        if node.kwargs.get("alpha", 1) != 1:
            raise Unsupported("torch.add with alpha")
        if not isinstance(a, fx.Node) or not isinstance(b, fx.Node) or not _holds(m, a) or not _holds(m, b):
            return scale(m, node, a, b, symbol)
        learned = _positions(m, node, a, b) if symbol == "+" else None
        if learned is not None:
            return learned
        sa, sb = m.shape(a), m.shape(b)
        if sa != sb and (sa is None or sb is None or len(sa) != len(sb)
                         or any(i != j and 1 not in (i, j) for i, j in zip(sa, sb))):
            raise Unsupported(f"{'adding' if symbol == '+' else 'multiplying'} tensors of different shapes"
                              f" {_shape_text(sa)} and {_shape_text(sb)} (broadcasting; the catalog's"
                              f" {layer} takes equal shapes, or size 1 where they differ)")
        x, y = m.tensor(a), m.tensor(b)
        if x in m.merges.get(layer, {}) and len(a.users) == 1 and m.where(a) == m.where(node):
            graph = m.builder.graph
            m.builder.connect(y, x, f"in{len(graph.in_edges(x))}")  # a + b + c: one Add of three
            return x
        made = m.add(layer, [x, y], {})
        m.merges.setdefault(layer, {})[made] = node
        return made
    return rule


def _holds(m: Mapper, a) -> bool:
    return isinstance(a, fx.Node) and isinstance(m.results.get(a), torch.Tensor)


def _number(m: Mapper, a):
    """A Python number, or a node that computed one from sizes (float), else None."""
    if isinstance(a, bool):
        return None
    if isinstance(a, (int, float)):
        return float(a)
    value = m.results.get(a) if isinstance(a, fx.Node) else None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and isinstance(a, fx.Node) \
            and not _depends_on_batch(a):
        return float(value)
    return None


def _depends_on_batch(node: fx.Node) -> bool:
    val = node.meta.get("val")
    return isinstance(val, torch.SymInt) or isinstance(val, torch.SymFloat)


def scale(m: Mapper, node: fx.Node, a, b, symbol: str):
    """x * 2, 0.5 * x, x + 1, x - 1, 1 - x, x / 255: a Scale layer (x * scale + shift)."""
    tensor, number = (a, _number(m, b)) if _holds(m, a) else (b, _number(m, a))
    if not _holds(m, tensor) or number is None:
        raise Unsupported(f"{_describe(node)} on numbers that are not constants")
    first = tensor is a
    params = {"*": dict(scale=number, shift=0.0), "+": dict(scale=1.0, shift=number),
              "-": dict(scale=1.0, shift=-number) if first else dict(scale=-1.0, shift=number),
              "/": dict(scale=1.0 / number, shift=0.0) if first and number else None}[symbol]
    if params is None:
        raise Unsupported(f"dividing a number by a tensor ({_describe(node)})")
    return m.add("Scale", [m.tensor(tensor)], params)


def _arith(symbol: str):
    def rule(m: Mapper, node: fx.Node):
        a, b = _arg(node, 0, "input"), _arg(node, 1, "other")
        if node.kwargs.get("alpha", 1) != 1:
            raise Unsupported(f"{_describe(node)} with alpha")
        if _holds(m, a) and _holds(m, b):
            raise Unsupported(f"{'subtracting' if symbol == '-' else 'dividing'} tensors ({_describe(node)})")
        return scale(m, node, a, b, symbol)
    return rule


def _neg(m: Mapper, node: fx.Node):
    return m.add("Scale", [m.tensor(node.args[0])], dict(scale=-1.0, shift=0.0))


def _clamp(m: Mapper, node: fx.Node):
    low, high = _arg(node, 1, "min"), _arg(node, 2, "max")
    if not all(v is None or isinstance(v, (int, float)) for v in (low, high)) or (low is None and high is None):
        raise Unsupported(f"{_describe(node)} with limits that are tensors")
    limits = "both" if low is not None and high is not None else "min" if low is not None else "max"
    return m.add("Clamp", [m.tensor(node.args[0])], dict(limits=limits, min=float(low if low is not None else 0.0),
                                                         max=float(high if high is not None else 1.0)))


def _positions(m: Mapper, node: fx.Node, a: fx.Node, b: fx.Node):
    """x + self.pos with a learned [1, length, features] tensor: a learned PositionalEncoding."""
    for x, p in ((a, b), (b, a)):
        value = m.values.get(p)
        if isinstance(value, tuple) and value[:1] == ("parameter",):
            shape = m.shape(x)
            if len(shape) == 3 and m.shape(p) == (1, *shape[1:]) \
                    and isinstance(m.gm.get_parameter(value[1]), nn.Parameter):
                return m.add("PositionalEncoding", [m.tensor(x)], dict(kind="learned"), weights=(value[1], "pe"))
    return None


def cat(m: Mapper, node: fx.Node):
    tensors, dim = _arg(node, 0, "tensors"), _arg(node, 1, "dim", 0)
    rank = len(m.shape(node))
    if dim == 0 or dim == -rank:
        raise Unsupported("joining tensors along the batch dim (torch.cat with dim=0)")
    parts = [m.values.get(t) for t in tensors]
    if [getattr(p, "kind", None) for p in parts] == ["h-2", "h-1"] and parts[0].owner is parts[1].owner \
            and dim in (1, -1):
        return parts[0].owner.materialize(m, "last")
    ids = [m.tensor(t) for t in tensors]
    return ids[0] if len(ids) == 1 else m.add("Concatenate", ids, dict(dim=dim))


def mean(m: Mapper, node: fx.Node):
    shape = m.shape(node.args[0])
    rank, dims = len(shape), _arg(node, 1, "dim")
    if _arg(node, 2, "keepdim", False) or dims is None or node.kwargs.get("dtype") is not None:
        raise Unsupported("a mean over every dim, with keepdim or with a dtype (the catalog averages the dims"
                          " after the channels: GlobalAvgPool)")
    dims = {d + rank if d < 0 else d for d in (dims if isinstance(dims, (tuple, list)) else [dims])}
    x = m.tensor(node.args[0])
    if rank >= 3 and dims == set(range(2, rank)):
        return m.add("GlobalAvgPool", [x], {})
    if rank == 3 and dims == {1}:
        x = m.add("Permute", [x], dict(dims=[2, 1]))
        return m.add("GlobalAvgPool", [x], {})
    raise Unsupported(f"a mean over dims {sorted(dims)} of {_shape_text(shape)} (the catalog averages the dims after the"
                      " channels: GlobalAvgPool)")


def _dropout(layer: str):
    def rule(m: Mapper, node: fx.Node):
        return m.add(layer, [m.tensor(node.args[0])], dict(p=float(_arg(node, 1, "p", 0.5))))
    return rule


def _fpool(layer: str, dims: int, kind: str):
    def rule(m: Mapper, node: fx.Node):
        kernel = _arg(node, 1, "kernel_size")
        stride = _arg(node, 2, "stride") or kernel
        padding = _arg(node, 3, "padding", 0)
        if kind == "max":
            odd = _size(_arg(node, 4, "dilation", 1), dims) != 1 or _arg(node, 5, "ceil_mode", False) \
                or _arg(node, 6, "return_indices", False)
        else:
            odd = _arg(node, 4, "ceil_mode", False) or not _arg(node, 5, "count_include_pad", True) \
                or _arg(node, 6, "divisor_override") is not None
        if odd:
            raise Unsupported(f"{_describe(node)} with ceil_mode, dilation, return_indices or a divisor")
        return m.add(layer, [m.tensor(node.args[0])], dict(
            kernel_size=_size(kernel, dims), stride=_size(stride, dims), padding=_size(padding, dims)))
    return rule


def _fadaptive(m: Mapper, node: fx.Node):
    size = _arg(node, 1, "output_size")
    if size is None or (isinstance(size, (tuple, list)) and None in size):
        raise Unsupported("F.adaptive_avg_pool2d keeping a size as it is (None)")
    return m.add("AdaptiveAvgPool2d", [m.tensor(node.args[0])], dict(output_size=_size(size, 2)))


def _interpolate(m: Mapper, node: fx.Node):
    params = _upsample_params(_arg(node, 1, "size"), _arg(node, 2, "scale_factor"), _arg(node, 3, "mode", "nearest"),
                              _arg(node, 4, "align_corners"))
    return m.add("Upsample", [m.tensor(node.args[0])], params)


def getitem(m: Mapper, node: fx.Node):
    from .fallback import CodeResult

    value = m.values.get(node.args[0])
    if isinstance(value, (Part, CodeResult)):
        return value.index(m, node.args[1])
    raise Unsupported(f"indexing a tensor ([{_index_text(node.args[1])}]); the catalog has no layer that picks"
                      " parts of a tensor")


def _same(m: Mapper, node: fx.Node):
    return m.tensor(node.args[0])


def _shape_text(shape) -> str:
    """A shape as the editor writes it, the batch as N: [N, 4]; a single number is []."""
    return "[" + ", ".join(["N", *map(str, shape[1:])]) + "]" if shape else "[]"


FUNCTIONS = {
    "relu": _act("ReLU"), "sigmoid": _act("Sigmoid"), "tanh": _act("Tanh"), "silu": _act("SiLU"),
    "gelu": _act("GELU", approximate=(1, "none")), "elu": _act("ELU", alpha=(1, 1.0)),
    "leaky_relu": _act("LeakyReLU", negative_slope=(1, 0.01)),
    "softmax": _act("Softmax", dim=(1, None)), "log_softmax": _act("LogSoftmax", dim=(1, None)),
    "flatten": flatten, "view": reshape, "reshape": reshape, "unsqueeze": reshape, "squeeze": reshape,
    "unflatten": reshape, "permute": permute, "transpose": transpose, "contiguous": _same,
    "add": merge("Add", "+"), "mul": merge("Multiply", "*"), "cat": cat, "mean": mean,
    "dropout": _dropout("Dropout"), "dropout2d": _dropout("Dropout2d"),
    "max_pool1d": _fpool("MaxPool1d", 1, "max"), "max_pool2d": _fpool("MaxPool2d", 2, "max"),
    "avg_pool1d": _fpool("AvgPool1d", 1, "avg"), "avg_pool2d": _fpool("AvgPool2d", 2, "avg"),
    "adaptive_avg_pool2d": _fadaptive, "interpolate": _interpolate, "getitem": getitem,
    "sub": _arith("-"), "truediv": _arith("/"), "div": _arith("/"), "neg": _neg, "clamp": _clamp, "clip": _clamp,
    "exp": _act("Exp"), "log": _act("Log"), "sqrt": _act("Sqrt"), "abs": _act("Abs"),
}
