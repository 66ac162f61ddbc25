"""The plan both the compiler and the code exporter follow: one step per node, in order."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..analysis import Analysis
from ..graph.model import Graph
from ..graph.problems import GraphError
from ..analysis.blocks import BLOCK, sized, spec_of
from ..layers.spec import Combine, Ctor



@dataclass
class Step:
    node: str
    name: str  # the node's name: submodule attribute and variable
    kind: str  # "input", "module", "combine", "block" or "output"
    args: list[str] = field(default_factory=list)  # variables fed in, in port order
    ctor: Ctor | None = None
    combine: Combine | None = None
    params: dict = field(default_factory=dict)
    block: tuple[str, Graph] | None = None  # a block: its name and its definition sized for these inputs


def network_nodes(graph: Graph, network: str | None) -> list[str]:
    """Node ids of the network whose Output (or any node) is named `network`; all if None."""
    if network is None:
        return graph.node_ids()
    for part in graph.networks():
        if any(graph.node(n).name == network for n in part):
            return part
    names = [graph.node(n).name for part in graph.networks() for n in part
             if graph.node(n).type == "Output"]
    raise KeyError(f"no network named '{network}' (its Outputs: {', '.join(names) or 'none'})")


def _source(graph: Graph, edge) -> str:
    """The variable a wire carries: the node's name, `name[i]` for the i-th output of a layer with several."""
    src = graph.node(edge.src)
    outputs = spec_of(graph, src).outputs
    if len(outputs) > 1 and edge.src_port in outputs:
        return f"{src.name}[{outputs.index(edge.src_port)}]"
    return src.name


def make_plan(graph: Graph, network: str | None = None, analysis: Analysis | None = None) -> list[Step]:
    """Steps in topological order, the Outputs last in document order (the order forward returns them);
    raises GraphError when the selected network has problems."""
    own = analysis is None
    analysis = analysis or Analysis(graph)
    try:
        members = set(network_nodes(graph, network))
        errors = [p for p in analysis.problems()
                  if p.severity == "error" and (p.node is None or p.node in members)]
        if errors:
            raise GraphError(errors, {n.id: n.name for n in graph.nodes()})
        steps = []
        for node_id in graph.topological_order():
            if node_id not in members:
                continue
            node = graph.node(node_id)
            spec = spec_of(graph, node)
            ins = analysis.inputs(node_id)
            ports = sorted(ins, key=lambda p: (len(p), p)) if spec.variadic else [p for p in spec.inputs if p in ins]
            args = []
            for port in ports:
                edge = graph.edge_into(node_id, port)
                args.append(_source(graph, edge))
            step = Step(node_id, node.name, "module", args, params=dict(node.params))
            values = [ins[p] for p in ports]
            if node.type == "Input":
                step.kind = "input"
            elif node.type == "Output":
                step.kind = "output"
            elif node.type == BLOCK:
                step.kind, step.block = "block", (spec.type, sized(graph.blocks[spec.type], values))
            elif spec.combine is not None:
                step.kind, step.combine = "combine", spec.combine(node.params, values)
            else:
                step.ctor = spec.module(node.params, values)
            steps.append(step)
        place = {n: i for i, n in enumerate(graph.node_ids())}  # Outputs (which feed nothing) last, in document
        return sorted(steps, key=lambda s: (s.kind == "output", place[s.node] if s.kind == "output" else 0))
    finally:
        if own:
            analysis.close()
