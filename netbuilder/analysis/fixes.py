"""Turn a Problem's Fix into an undoable edit."""
from __future__ import annotations

from ..graph.edits import AddNode, Connect, Disconnect, Edit, Group, SetParam, insert_between
from ..graph.model import Edge, EditError, Graph
from ..graph.problems import Fix
from ..layers import get, new_node

GAP = 180.0


def fix_edit(graph: Graph, fix: Fix) -> Edit:
    node = graph.node(fix.node)
    x, y = node.pos
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
        sx, sy = graph.node(edge.src).pos
        new = new_node(graph, fix.layer, ((sx + x) / 2, (sy + y) / 2 + 60), **fix.params)
        spec = get(fix.layer)
        return insert_between(graph, edge, new, spec.input_ports()[0], spec.outputs[0])
    if fix.kind == "add_after":
        new = new_node(graph, fix.layer, (x + GAP, y), **fix.params)
        port = get(fix.layer).input_ports()[0]
        out = get(node.type).outputs[0]
        return Group([AddNode(new), Connect(Edge(node.id, out, new.id, port))], f"Add {fix.layer}")
    if fix.kind == "add_before":
        new = new_node(graph, fix.layer, (x - GAP, y), **fix.params)
        return Group([AddNode(new), Connect(Edge(new.id, get(fix.layer).outputs[0], node.id, fix.port))],
                     f"Add {fix.layer}")
    raise EditError(f"unknown kind of fix '{fix.kind}'")
