"""What forward is given: the inputs an import describes, and example batches of them.

Two ways to say it:
- input_shapes (--input-shape): one sample's shape per argument of forward, without the batch, which goes first;
  float values, or integer indices where the argument feeds an nn.Embedding.
- inputs (--input NAME:DTYPE:SHAPE): (name, dtype, shape) with the whole shape as forward takes it, batch
  included, in the model's own layout: a sequence-first model's tokens [35, 20] and its state [2, 20, 200] have
  the batch in dim 1 (found from the model: an nn.LSTM/GRU/RNN, nn.MultiheadAttention or nn.Transformer* without
  batch_first). Entries that share a name make one argument of that many tensors (an LSTM's (h, c)); names that
  are forward's arguments are matched to them, others are taken in forward's order.
The document's Inputs are one per tensor, batch first, with the shape of one sample."""
from __future__ import annotations

import inspect
from dataclasses import dataclass

import torch
from torch import nn

from .rules import ModelImportError

SEQUENCE_MODULES = (nn.RNNBase, nn.MultiheadAttention, nn.Transformer, nn.TransformerEncoderLayer,
                    nn.TransformerDecoderLayer)


@dataclass
class Described:
    arguments: list[str]  # forward's argument per entry of `groups`
    groups: list[list[int]]  # indices of the tensors making each argument (one: a tensor; several: a tuple)
    shapes: list[list[int]]  # each tensor's shape, the batch dim's size left as it was given (or 1)
    dtypes: list[torch.dtype]
    batch_dims: list[int]
    given_dtypes: bool  # False: input_shapes, whose integer inputs are found from the model

    def samples(self) -> list[list[int]]:
        """One sample's shape per tensor (the document's Input shapes)."""
        return [[s for d, s in enumerate(shape) if d != b] for shape, b in zip(self.shapes, self.batch_dims)]

    def said(self) -> str:
        """The inputs as the user gave them: whole shapes by argument for --input, one sample's for --input-shape."""
        if not self.given_dtypes:
            return "inputs of shape " + ", ".join(str(s) for s in self.samples())
        return "inputs " + ", ".join(f"{name} {' + '.join(str(self.shapes[i]) for i in group)}"
                                     for name, group in zip(self.arguments, self.groups))

    def advice(self) -> str:
        if not self.given_dtypes:
            return "check --input-shape (one sample's shape, without the batch) or give whole shapes with --input"
        return ("check --input (whole shapes, the batch included, in the model's layout; an argument that is a tuple"
                " of tensors, as an LSTM's (h, c), gets one --input per tensor under the same name)")

    def document(self, flat: list[torch.Tensor]) -> list[torch.Tensor]:
        """The tensors as the document takes them: batch first."""
        return [t.movedim(b, 0) for t, b in zip(flat, self.batch_dims)]

    def make(self, batch: int, high: int, seed: int) -> tuple[tuple, list[torch.Tensor]]:
        """(forward's arguments, the tensors in its layout, flat) for a batch of `batch` samples."""
        gen = torch.Generator().manual_seed(seed)
        flat = []
        for shape, dtype, b in zip(self.shapes, self.dtypes, self.batch_dims):
            size = list(shape)
            size[b] = batch
            if dtype.is_floating_point:
                flat.append(torch.randn(size, generator=gen).to(dtype))
            elif dtype == torch.bool:
                flat.append(torch.randint(0, 2, size, generator=gen).bool())
            else:
                flat.append(torch.randint(0, max(1, high), size, generator=gen).to(dtype))
        args = tuple(flat[g[0]] if len(g) == 1 else tuple(flat[i] for i in g) for g in self.groups)
        return args, flat


def describe(model: nn.Module, where: str, input_shapes=None, inputs=None) -> Described:
    names = forward_names(model)
    if inputs:
        return _given(model, where, names, inputs)
    if not input_shapes or len(input_shapes) != len(names):
        given = f"{len(input_shapes)} shape(s) were given" if input_shapes else "no shape was given"
        raise ModelImportError(
            f"{where}: forward takes {len(names)} input(s) ({', '.join(names)}) and {given}: give the shape of"
            " one sample of each, without the batch, e.g. 1x28x28 (--input-shape, once per input), or each"
            " whole shape with its type (--input NAME:DTYPE:SHAPE)")
    ints = integer_inputs(model, names, input_shapes)
    return Described(names, [[i] for i in range(len(names))], [[1, *s] for s in input_shapes],
                     [torch.long if n in ints else torch.float32 for n in names], [0] * len(names), False)


def _given(model: nn.Module, where: str, required: list[str], inputs) -> Described:
    order: list[str] = []
    groups: dict[str, list[int]] = {}
    shapes, dtypes = [], []
    for i, (name, dtype, shape) in enumerate(inputs):
        if not isinstance(dtype, torch.dtype) or not shape or min(shape) < 1:
            raise ModelImportError(f"{where}: input '{name}' needs a torch dtype and a shape of positive sizes"
                                   f" (it has {dtype}, {list(shape)})")
        if name not in groups:
            order.append(name)
        groups.setdefault(name, []).append(i)
        shapes.append(list(shape))
        dtypes.append(dtype)
    every = forward_names(model, optional=True)
    names = every[:len(order)] if len(required) <= len(order) <= len(every) else required
    if len(order) != len(names):
        raise ModelImportError(f"{where}: forward takes {len(names)} input(s) ({', '.join(names)}) and"
                               f" {len(order)} were given ({', '.join(order)}): give one --input per argument; an"
                               " argument that is a tuple of tensors, as an LSTM's (h, c), gets one --input per tensor"
                               f" under the argument's name ({names[-1]}:float32:... once per tensor)")
    if set(order) == set(names):
        order = names
    first = sequence_first(model)
    dims = [1 if (first and len(s) >= 2) or _is_state(model, s) else 0 for s in shapes]
    return Described(order, [groups[n] for n in order], shapes, dtypes, dims, True)


def _is_state(model: nn.Module, shape: list[int]) -> bool:
    """A recurrent layer's state ([layers x directions, N, hidden]: its batch is second, batch_first or not)."""
    return len(shape) == 3 and any(
        shape[0] == m.num_layers * (2 if m.bidirectional else 1) and shape[2] in (m.hidden_size, m.proj_size)
        for m in model.modules() if isinstance(m, nn.RNNBase))


def sequence_first(model: nn.Module) -> bool:
    """Whether the model's sequence layers take [length, batch, ...] (torch's default without batch_first)."""
    found = [m for m in model.modules() if isinstance(m, SEQUENCE_MODULES)]
    return bool(found) and not any(getattr(m, "batch_first", False) for m in found)


def forward_names(model: nn.Module, optional: bool = False) -> list[str]:
    """forward's arguments without a default (with `optional`, all it takes by position)."""
    try:
        params = list(inspect.signature(model.forward).parameters.values())
    except (TypeError, ValueError):
        return []
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if optional:
        return [p.name for p in positional]
    return [p.name for p in positional if p.default is p.empty] or [p.name for p in positional][:1]


def smallest_vocabulary(model: nn.Module) -> int:
    sizes = [m.num_embeddings for m in model.modules() if isinstance(m, nn.Embedding)]
    return min(sizes) if sizes else 2


def integer_inputs(model: nn.Module, names: list[str], shapes) -> set[str]:
    """Arguments fed straight into an nn.Embedding (so integer indices), by symbolic tracing where it works,
    else by trying: all float, then every argument that fails as float made integer."""
    try:
        from torch import fx

        from .model import _Tracer

        traced = fx.GraphModule(model, _Tracer(set()).trace(model))
        found = set()
        for p in (n for n in traced.graph.nodes if n.op == "placeholder"):
            for user in p.users:
                if user.op == "call_module" and isinstance(traced.get_submodule(user.target), nn.Embedding) \
                        and user.args and user.args[0] is p:
                    found.add(str(p.target))
        return found
    except Exception:  # noqa: BLE001 - a forward symbolic tracing cannot follow: try it instead
        pass
    if not any(isinstance(m, nn.Embedding) for m in model.modules()):
        return set()
    floats = [torch.randn(2, *s) for s in shapes]
    with torch.no_grad():
        try:
            model(*floats)
            return set()
        except Exception:  # noqa: BLE001 - the user's forward on float values
            pass
    return set(names[:1])
