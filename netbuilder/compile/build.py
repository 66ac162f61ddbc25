"""Graph -> torch.fx GraphModule: generated forward code, one submodule per layer node."""
from __future__ import annotations

import operator

import torch

from ..errors import UserError
from torch import fx, nn

from ..analysis import Analysis
from ..analysis.blocks import BLOCK, sized
from ..graph.model import Graph
from ..layers import CATALOG
from ..layers import code as code_layer
from ..layers.spec import Ctor, TensorType
from .plan import Step, make_plan, network_nodes

OPS = {"+": operator.add, "*": operator.mul}


def init_weights(module: nn.Module, how: str) -> None:
    """Re-initialise a module's weight matrices (biases to zero) unless `how` is "default"."""
    if how == "default":
        return
    with torch.no_grad():
        for name, p in module.named_parameters():
            if p.dim() < 2:
                if name.split(".")[-1].startswith("bias"):
                    p.zero_()
                continue
            if how == "xavier":
                nn.init.xavier_uniform_(p)
            elif how == "kaiming":
                nn.init.kaiming_normal_(p, nonlinearity="relu")
            elif how == "normal":
                nn.init.normal_(p, 0.0, 0.02)
            elif how == "zeros":
                nn.init.zeros_(p)


def make_module(step: Step) -> nn.Module:
    cls = step.ctor.cls
    if cls.__module__ == code_layer.MODULE:  # a Code layer: its class named after the node, as export writes it
        cls = code_layer.code_class(step.params["code"], code_layer.class_name(step.name))
    module = cls(**step.ctor.kwargs)
    init_weights(module, step.params.get("init", "default"))
    if not step.params.get("trainable", True):
        module.requires_grad_(False)
    return module


def build_model(graph: Graph, network: str | None = None, analysis: Analysis | None = None,
                class_name: str | None = None) -> fx.GraphModule:
    """Compile the document (or the network named after one of its nodes) to a GraphModule.

    forward takes the Input nodes in document order and returns the Output (a tuple of the
    Outputs in document order when there are several). A block is a GraphModule of its own, of a class
    named after it (nn.Sequential of copies when it is stacked). Raises GraphError on any problem."""
    return _build(make_plan(graph, network, analysis), class_name or _class_name(graph, network), {})


def _build(steps: list[Step], class_name: str, plans: dict) -> fx.GraphModule:
    """The module of a plan; `plans` keeps the plan of each block and sizing, made once per build."""
    root = nn.Module()
    g = fx.Graph()
    values: dict[str, fx.Node] = {}
    outputs = []
    for step in steps:
        args = [_value(g, values, a) for a in step.args]
        if step.kind == "input":
            values[step.name] = g.placeholder(step.name)
        elif step.kind == "module":
            root.add_module(step.name, make_module(step))
            values[step.name] = g.call_module(step.name, tuple(args))
        elif step.kind == "block":
            root.add_module(step.name, block_module(step, plans))
            values[step.name] = g.call_module(step.name, tuple(args))
        elif step.kind == "combine":
            values[step.name] = _combine(g, step, args)
        else:
            outputs.append(args[0])
    g.output(outputs[0] if len(outputs) == 1 else tuple(outputs))
    return fx.GraphModule(root, g, class_name=class_name)


def _value(g: fx.Graph, values: dict, arg: str) -> fx.Node:
    """The node of a plan's variable; `name[i]` (one output of a layer with several) is indexed once."""
    if arg not in values:
        name, _, index = arg[:-1].partition("[")
        values[arg] = g.call_function(operator.getitem, (values[name], int(index)))
    return values[arg]


def block_module(step: Step, plans: dict) -> nn.Module:
    """A block's module: its layers (fresh weights for each use) in a GraphModule of a class named after it."""
    name, definition = step.block
    key = (name, repr([n.params for n in definition.nodes() if n.type == "Input"]))  # its sizing
    if key not in plans:
        plans[key] = make_plan(definition)
    repeat = step.params.get("repeat", 1)
    copies = [_build(plans[key], name, plans) for _ in range(repeat)]
    return copies[0] if repeat == 1 else nn.Sequential(*copies)


def is_block(module: nn.Module) -> bool:
    """Whether a compiled submodule is a block: its own GraphModule, or an nn.Sequential of them (stacked)."""
    return isinstance(module, fx.GraphModule) or (
        isinstance(module, nn.Sequential) and len(module) > 0 and all(isinstance(m, fx.GraphModule) for m in module))


def layer_units(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The compiled model's layers, a block's by their dotted names ("blocks.0.conv_a") instead of the block."""
    found = []
    for name, module in model.named_children():
        if not is_block(module):
            found.append((name, module))
        elif isinstance(module, fx.GraphModule):
            found += [(f"{name}.{inner}", m) for inner, m in layer_units(module)]
        else:
            found += [(f"{name}.{k}.{inner}", m) for k, block in enumerate(module) for inner, m in layer_units(block)]
    return found


def _combine(g: fx.Graph, step: Step, args: list[fx.Node]) -> fx.Node:
    c = step.combine
    if c.op is not None:
        acc = args[0]
        for arg in args[1:]:
            acc = g.call_function(OPS[c.op], (acc, arg))
        return acc
    fn = getattr(torch, c.function.split(".", 1)[1])
    return g.call_function(fn, (list(args),), dict(c.kwargs))


def _class_name(graph: Graph, network: str | None) -> str:
    name = graph.meta.get("name") or network or "Net"
    words = "".join(ch if ch.isalnum() else " " for ch in str(name)).split()
    cls = "".join(w[:1].upper() + w[1:] for w in words) or "Net"
    return cls if cls[0].isalpha() else "Net" + cls


def example_inputs(graph: Graph, batch_size: int = 2, network: str | None = None,
                   generator: torch.Generator | None = None) -> list[torch.Tensor]:
    """Random tensors shaped for the graph's Inputs, in the order forward takes them."""
    members = set(network_nodes(graph, network))
    tensors = []
    for node in graph.nodes():
        if node.type != "Input" or node.id not in members:
            continue
        p = CATALOG["Input"].defaults() | node.params
        shape = (batch_size, *p["shape"])
        if p["dtype"] == "int":
            tensors.append(torch.randint(0, p["vocab_size"], shape, generator=generator))
        else:
            tensors.append(torch.randn(shape, generator=generator))
    return tensors


class TooLarge(UserError):
    """A layer whose parameters could not even be counted: more bytes than a machine can address."""


def param_count(layer_type: str, params: dict, inputs: list[TensorType], graph: Graph | None = None) -> tuple[int, int]:
    """(all, trainable) parameters of one node, built on the meta device (no memory used). TooLarge when
    its sizes overflow torch's size arithmetic. A block's are its layers' (for these inputs) times its repeat."""
    if layer_type == BLOCK:
        definition = sized(graph.blocks[params["block"]], inputs)
        analysis = Analysis(definition)
        analysis.close()
        counts = [param_count(n.type, n.params, analysis.input_list(n.id), definition)
                  for n in definition.nodes() if n.type not in ("Input", "Output")]
        repeat = params.get("repeat", 1)
        return sum(c[0] for c in counts) * repeat, sum(c[1] for c in counts) * repeat
    spec = CATALOG[layer_type]
    if spec.module is None:
        return 0, 0
    ctor: Ctor = spec.module(params, inputs)
    try:
        with torch.device("meta"):
            module = ctor.cls(**ctor.kwargs)
    except Exception as e:  # noqa: BLE001 - "Storage size calculation overflowed", or a Code layer's own error
        if ctor.cls.__module__ == code_layer.MODULE:  # the user's __init__ may not work on meta tensors
            module = ctor.cls(**ctor.kwargs)
            total = sum(p.numel() for p in module.parameters())
            return total, (total if params.get("trainable", True) else 0)
        if not isinstance(e, (RuntimeError, OverflowError, ValueError)):
            raise
        raise TooLarge(f"{layer_type} with these sizes is too large to build ({str(e).splitlines()[0]})") from None
    total = sum(p.numel() for p in module.parameters())
    return total, (total if params.get("trainable", True) else 0)
