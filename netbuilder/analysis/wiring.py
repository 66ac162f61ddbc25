"""The rules of wiring, once: which wire may go from an output to an input, and the edit that puts it there.
The canvas (a wire drawn), the fixes (connect a lone layer), the builder (GraphBuilder.connect) and scripts
call `connect`; each refusal is an EditError whose text says why, the same wherever the wire came from
(as orange-canvas-core's Scheme.check_connect returns a reason)."""
from __future__ import annotations

import math

from ..graph.edits import Connect, Disconnect, Edit, Group
from ..graph.layout import NODE_WIDTH
from ..graph.model import Edge, EditError, Graph
from .blocks import spec_of

GONE = "that layer is gone"
ITSELF = "a layer cannot feed itself"
CYCLE = "this wire would make a cycle: data cannot flow in a loop"


def connect_problem(graph: Graph, edge: Edge, replace: bool = False) -> str | None:
    """Why `edge` may not be added, or None. With `replace`, a wire already in its input is no reason:
    the new one takes its place."""
    if edge.src not in graph or edge.dst not in graph:
        return GONE
    src, dst = graph.node(edge.src), graph.node(edge.dst)
    src_spec, dst_spec = spec_of(graph, src), spec_of(graph, dst)
    if src_spec is not None and edge.src_port not in src_spec.outputs:
        have = ", ".join(src_spec.outputs) or "none"
        return f"{src.name} has no output '{edge.src_port}' (its outputs: {have})"
    if dst_spec is not None and not dst_spec.is_input_port(edge.dst_port):
        have = "in0, in1, …" if dst_spec.variadic else ", ".join(dst_spec.inputs) or "none"
        return f"{dst.name} has no input '{edge.dst_port}' (its inputs: {have})"
    if edge.src == edge.dst:
        return ITSELF
    if not replace and graph.edge_into(edge.dst, edge.dst_port) not in (None, edge):
        return graph.taken_input(edge)
    if graph.would_create_cycle(edge.src, edge.dst):
        return CYCLE
    return None


def connect(graph: Graph, edge: Edge, replace: bool = False) -> Edit | None:
    """The edit that adds `edge` (with `replace`, a Reconnect that first takes away the wire in that input);
    None when that very wire is there already. Raises EditError with the reason when it may not be added."""
    reason = connect_problem(graph, edge, replace)
    if reason:
        raise EditError(reason)
    old = graph.edge_into(edge.dst, edge.dst_port)
    if old == edge:
        return None
    if old is not None:
        return Group([Disconnect(old), Connect(edge)], "Reconnect")
    return Group([Connect(edge)], "Connect")


def before(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Whether a layer at `a` comes before one at `b` in the flow the canvas shows: left of it, or in the
    same column (less than half a layer's width apart) above it."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    if abs(dx) >= NODE_WIDTH / 2:
        return dx > 0
    return dy > 0


def connect_choices(graph: Graph, node_id: str) -> list[Edge]:
    """The wires that may go from this layer's outputs into the free inputs of other layers (a merge's next
    free input), by the rules above: those after it in the flow first, the nearest first."""
    node = graph.node(node_id)
    spec = spec_of(graph, node)
    found = []
    for out in spec.outputs if spec else ():
        for other in graph.nodes():
            other_spec = spec_of(graph, other)
            if other.id == node_id or other_spec is None:
                continue
            for port in other_spec.input_ports([e.dst_port for e in graph.in_edges(other.id)]):
                edge = Edge(node_id, out, other.id, port)
                if graph.edge_into(other.id, port) is None and connect_problem(graph, edge) is None:
                    found.append(edge)
    x, y = node.pos
    return sorted(found, key=lambda e: (not before(node.pos, graph.node(e.dst).pos),
                                        math.dist((x, y), graph.node(e.dst).pos)))


def connect_text(graph: Graph, edge: Edge) -> str:
    """The wire in words, as the undo history names it."""
    src, dst = graph.node(edge.src), graph.node(edge.dst)
    src_spec, dst_spec = spec_of(graph, src), spec_of(graph, dst)
    out = f".{edge.src_port}" if src_spec is not None and len(src_spec.outputs) > 1 else ""
    inp = f".{edge.dst_port}" if dst_spec is not None and (dst_spec.variadic or len(dst_spec.inputs) > 1) else ""
    return f"Connect {src.name}{out} to {dst.name}{inp}"
