"""Turn a Problem's Fix into an undoable edit; offer a better fix where one is at hand."""
from __future__ import annotations

import dataclasses
import math

from ..graph.edits import Disconnect, Edit, SetParam
from ..graph.layout import NODE_WIDTH
from ..graph.model import Edge, EditError, Graph
from ..graph.problems import Fix
from ..layers import CATALOG
from ..layers.spec import ShapeError
from .blocks import spec_of
from .in_place import add_after, add_before, insert_on_wire
from .wiring import before, connect


def fix_edit(graph: Graph, fix: Fix) -> Edit:
    node = graph.node(fix.node)
    if fix.kind == "set_param":
        return SetParam(graph, fix.node, fix.param, fix.value)
    if fix.kind == "disconnect":
        edge = graph.edge_into(fix.node, fix.port)
        if edge is None:
            raise EditError("that wire is already gone")
        return Disconnect(edge)
    if fix.kind == "insert":
        edge = graph.edge_into(fix.node, fix.port)
        if edge is None:
            raise EditError(f"input '{fix.port}' of '{node.name}' is not connected")
        return insert_on_wire(graph, edge, fix.layer, **fix.params)
    if fix.kind == "add_after":
        return add_after(graph, fix.node, fix.layer, **fix.params)
    if fix.kind == "add_before":
        return add_before(graph, fix.node, fix.port, fix.layer, **fix.params)
    if fix.kind == "connect":
        edit = connect(graph, Edge(*fix.value))  # the wiring rules, as on the canvas
        if edit is None:
            raise EditError("that wire is there already")
        edit.text = fix.label[0].upper() + fix.label[1:]
        return edit
    raise EditError(f"unknown kind of fix '{fix.kind}'")


def offered_fix(graph: Graph, analysis, fix: Fix | None) -> Fix | None:
    """The fix to offer for a problem: for a layer with nothing before it (or after it), a wire from
    (to) the nearest port that fits, when there is one, rather than a new Input (Output). Wires follow the
    data flow as the canvas draws it (left to right, or down a column): a layer is offered what lies
    before it and offered to what lies after it, never wired backwards; an Input (an Output) may be
    anywhere, being where the flow starts (ends). An Output is never offered a second Input."""
    if fix is None or fix.node not in graph:
        return fix
    if fix.kind == "add_before" and fix.layer == "Input":
        edge = _nearest_source(graph, analysis, fix.node, fix.port)
        if edge is not None:
            return dataclasses.replace(fix, label=f"connect {graph.node(edge.src).name} to it", kind="connect",
                                       layer=None, value=tuple(dataclasses.astuple(edge)))
        if graph.node(fix.node).type == "Output" and any(n.type == "Input" for n in graph.nodes()):
            return None  # an Input fed straight into the Output would be a network of nothing
    if fix.kind == "add_after" and fix.layer == "Output":
        edge = _nearest_target(graph, analysis, fix.node)
        if edge is not None:
            return dataclasses.replace(fix, label=f"connect it to {graph.node(edge.dst).name}", kind="connect",
                                       layer=None, value=tuple(dataclasses.astuple(edge)))
    return fix


def _accepts(layer_type: str, params: dict, value) -> bool:
    """Whether a layer takes this tensor on its (only) input."""
    spec = CATALOG.get(layer_type)
    if spec is None or layer_type == "Code":  # a fix is never worked out by running the user's code
        return False
    if value is None:
        return True
    if value.dtype == "int" and not spec.accepts_int:
        return False
    if spec.shape is None or spec.variadic or len(spec.inputs) != 1:
        return True
    try:
        spec.shape(params, [value])
    except ShapeError:
        return False
    except Exception:  # a shape rule that fails on this input does not fit it either
        return False
    return True


def _nearest_source(graph: Graph, analysis, node_id: str, port: str) -> Edge | None:
    """The nearest output of another network, before this node in the flow, whose tensor this node's input
    takes (an output whose tensor is not known yet, a layer not wired itself, may fit): a loose end (an
    output that feeds nothing yet) before one already in use. An Input whose tensor does not fit as it is
    comes after those: it is still where the data enters (its wire's own problem offers the Flatten, say),
    where a second Input would not be. For an Output, any loose end, those before it first; never an Input,
    which would leave the layers between them out."""
    node = graph.node(node_id)
    own = analysis.network_of(node_id) if analysis.graph is graph else graph.network_of(node_id)
    x, y = node.pos
    best, best_key = None, (True, True, True, math.inf)
    for other in graph.nodes():
        if other.id in own or (node.type == "Output" and other.type == "Input"):  # a network of nothing
            continue
        upstream = other.type == "Input" or before(other.pos, node.pos)
        if not upstream and node.type != "Output":
            continue
        spec = spec_of(graph, other)
        for out in spec.outputs if spec else ():
            value = analysis.output(other.id, out)
            fits = value is None or _accepts(node.type, node.params, value)
            if not fits and other.type != "Input":
                continue
            used = other.type == "Input" or any(e.src_port == out for e in graph.out_edges(other.id))
            key = (not upstream, not fits, used, math.dist((other.pos[0] + NODE_WIDTH, other.pos[1]), (x, y)))
            if key < best_key:
                best, best_key = Edge(other.id, out, node_id, port), key
    return best


def _nearest_target(graph: Graph, analysis, node_id: str) -> Edge | None:
    """The nearest free input of another network, after this node in the flow (an Output anywhere), that
    takes this node's result."""
    node = graph.node(node_id)
    spec = spec_of(graph, node)
    if spec is None or not spec.outputs:
        return None
    out = spec.outputs[0]
    value = analysis.output(node_id, out)
    own = analysis.network_of(node_id) if analysis.graph is graph else graph.network_of(node_id)
    x, y = node.pos
    best, best_d = None, math.inf
    for other in graph.nodes():
        spec = spec_of(graph, other)
        if other.id in own or spec is None or spec.variadic:  # a merge's spare input is rarely meant
            continue
        if other.type != "Output" and not before(node.pos, other.pos):  # never against the flow
            continue
        free = [p for p in spec.inputs if graph.edge_into(other.id, p) is None]
        if not free or not _accepts(other.type, other.params, value):
            continue
        d = math.dist((other.pos[0], other.pos[1]), (x + NODE_WIDTH, y))
        if d < best_d:
            best, best_d = Edge(node_id, out, other.id, free[0]), d
    return best
