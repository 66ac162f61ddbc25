"""Changing a network where it stands: put a layer on a wire, before or after a layer, replace a layer
with another type. Each is one Group (one undo step) or an EditError saying why not; a new layer gets
a place that overlaps nothing, and the layers after it move aside when there is no room (in the same
Group). The canvas, the fixes and scripts all build their edits here."""
from __future__ import annotations

from ..graph.edits import AddNode, Connect, Disconnect, Edit, Group, Move, ReplaceNode
from ..graph.layout import COLUMN, DOWN_ROW, Occupied, downstream, is_free, make_room
from ..graph.model import Edge, EditError, Graph, Node, name_problem
from ..layers import CATALOG, get, new_node
from .blocks import spec_of, unknown


def _spec(layer_type: str):
    spec = CATALOG.get(layer_type)
    if spec is None:
        raise EditError(f"unknown layer type '{layer_type}'")
    return spec


def _node_spec(graph: Graph, node):
    """The declaration an existing node follows (a block's from its definition)."""
    spec = spec_of(graph, node)
    if spec is None:
        raise EditError(unknown(graph, node))
    return spec


def wire_problem(layer_type: str) -> str | None:
    """Why a layer of this type cannot go on a wire (it needs an input and an output), or None."""
    spec = _spec(layer_type)
    if not spec.variadic and not spec.inputs:
        return f"{layer_type} has no input: it cannot go on a wire"
    if not spec.outputs:
        return f"{layer_type} has no output: it cannot go on a wire"
    return None


def _first_input(spec) -> str:
    return spec.input_ports()[0]


def _flows_down(graph: Graph, src: str, dst: str | None) -> bool:
    """Whether the wires here run top to bottom (the layout of a deep network)."""
    if dst is None:
        preds = graph.predecessors(src)
        if not preds:
            return False
        src, dst = preds[0], src
    (sx, sy), (dx, dy) = graph.node(src).pos, graph.node(dst).pos
    return dy - sy > abs(dx - sx)


def _room(graph: Graph, node: Node, src: str | None, dst: str | None, ignore=()) -> list[Edit]:
    """Place `node` (not yet added) between src and dst, or after src, or before dst: its position is
    set; the returned Moves make room for it."""
    height = 64.0
    occupied = Occupied(graph, ignore)
    if src is not None and dst is not None:
        (sx, sy), (dx, dy) = graph.node(src).pos, graph.node(dst).pos
        mid = ((sx + dx) / 2, (sy + dy) / 2)
        if is_free(graph, mid, height, occupied):
            node.pos = mid
            return []
        want = (sx, sy + DOWN_ROW) if _flows_down(graph, src, dst) else (sx + COLUMN, sy)
        push = downstream(graph, dst)
        pos, moves = make_room(graph, want, height, after=src, push=push, occupied=occupied)
    elif src is not None:
        x, y = graph.node(src).pos
        want = (x, y + DOWN_ROW) if _flows_down(graph, src, None) else (x + COLUMN, y)
        pos, moves = make_room(graph, want, height, after=src, occupied=occupied)
    else:
        x, y = graph.node(dst).pos
        succ = graph.successors(dst)
        down = bool(succ) and _flows_down(graph, dst, succ[0])
        want = (x, y - DOWN_ROW) if down else (x - COLUMN, y)
        pos, moves = make_room(graph, want, height, occupied=occupied)
    node.pos = pos
    return [Move(graph, n, p) for n, p in moves.items()]


def room_on_wire(graph: Graph, node: Node, edge: Edge) -> list[Edit]:
    """Place `node` (not yet added) on the wire between its ends: its position is set; the Moves make room."""
    return _room(graph, node, edge.src, edge.dst)


def insert_on_wire(graph: Graph, edge: Edge, layer_type: str, **params) -> Group:
    """A new layer on the wire src -> dst: src -> new -> dst."""
    reason = wire_problem(layer_type)
    if reason:
        raise EditError(reason)
    if edge.dst not in graph or edge not in graph.in_edges(edge.dst):
        raise EditError("that wire is gone")
    spec = get(layer_type)
    node = new_node(graph, layer_type, **params)
    moves = _room(graph, node, edge.src, edge.dst)
    edits = moves + [Disconnect(edge), AddNode(node),
                     Connect(Edge(edge.src, edge.src_port, node.id, _first_input(spec))),
                     Connect(Edge(node.id, spec.outputs[0], edge.dst, edge.dst_port))]
    return Group(edits, f"Insert {layer_type} before {graph.node(edge.dst).name}")


def insert_before(graph: Graph, node_id: str, port: str, layer_type: str, **params) -> Group:
    """A new layer feeding node.port: on its wire when it has one."""
    edge = graph.edge_into(node_id, port)
    if edge is not None:
        return insert_on_wire(graph, edge, layer_type, **params)
    spec = _spec(layer_type)
    if not spec.outputs:
        raise EditError(f"{layer_type} has no output: it cannot feed {graph.node(node_id).name}")
    node = new_node(graph, layer_type, **params)
    moves = _room(graph, node, None, node_id)
    return Group(moves + [AddNode(node), Connect(Edge(node.id, spec.outputs[0], node_id, port))],
                 f"Insert {layer_type} before {graph.node(node_id).name}")


def insert_after(graph: Graph, node_id: str, layer_type: str, **params) -> Group:
    """A new layer fed by the node's first output, which takes over the wires that left it."""
    old = graph.node(node_id)
    outputs = _node_spec(graph, old).outputs
    if not outputs:
        raise EditError(f"{old.type} has no output: nothing can come after {old.name}")
    spec = _spec(layer_type)
    if not spec.variadic and not spec.inputs:
        raise EditError(f"{layer_type} has no input: it cannot come after {old.name}")
    leaving = [e for e in graph.out_edges(node_id) if e.src_port == outputs[0]]
    if leaving and not spec.outputs:
        raise EditError(f"{layer_type} has no output: it cannot take over the wires that leave {old.name}")
    node = new_node(graph, layer_type, **params)
    moves = _room(graph, node, node_id, leaving[0].dst if leaving else None)
    edits = moves + [Disconnect(e) for e in leaving] + [AddNode(node),
                                                        Connect(Edge(node_id, outputs[0], node.id, _first_input(spec)))]
    edits += [Connect(Edge(node.id, spec.outputs[0], e.dst, e.dst_port)) for e in leaving]
    return Group(edits, f"Insert {layer_type} after {old.name}")


def add_after(graph: Graph, node_id: str, layer_type: str = "Output", port: str | None = None, **params) -> Group:
    """A new layer fed by the node (an Output, say), beside the wires it has."""
    old = graph.node(node_id)
    outputs = _node_spec(graph, old).outputs
    if not outputs:
        raise EditError(f"{old.type} has no output: nothing can come after {old.name}")
    spec = _spec(layer_type)
    node = new_node(graph, layer_type, **params)
    moves = _room(graph, node, node_id, None)
    return Group(moves + [AddNode(node), Connect(Edge(node_id, port or outputs[0], node.id, _first_input(spec)))],
                 f"Add {layer_type} after {old.name}")


def add_before(graph: Graph, node_id: str, port: str, layer_type: str = "Input", **params) -> Group:
    spec = _spec(layer_type)
    node = new_node(graph, layer_type, **params)
    moves = _room(graph, node, None, node_id)
    return Group(moves + [AddNode(node), Connect(Edge(node.id, spec.outputs[0], node_id, port))],
                 f"Add {layer_type} before {graph.node(node_id).name}")


def replace_node(graph: Graph, node_id: str, layer_type: str) -> Group:
    """The node becomes a `layer_type`: same id and place, its wires kept (by port name, else in
    order), the parameters both types have kept when they are valid for the new one."""
    old = graph.node(node_id)
    if old.type == layer_type:
        raise EditError(f"{old.name} already is a {layer_type}")
    old_spec, spec = spec_of(graph, old), _spec(layer_type)
    ins = sorted(graph.in_edges(node_id), key=lambda e: _port_rank(old_spec, e.dst_port))
    outs = graph.out_edges(node_id)
    in_map = _map_ports([e.dst_port for e in ins],
                        [f"in{i}" for i in range(max(2, len(ins)))] if spec.variadic else list(spec.inputs))
    if in_map is None:
        have = "no input" if not spec.inputs and not spec.variadic else f"{len(spec.inputs)} input(s)"
        wires = "a wire" if len(ins) == 1 else f"{len(ins)} wires"
        raise EditError(f"{layer_type} has {have}, but {old.name} has {wires} in: disconnect {_them(ins)} first")
    used_outs = list(dict.fromkeys(e.src_port for e in outs))
    out_map = _map_ports(used_outs, list(spec.outputs))
    if out_map is None:
        have = "no output" if not spec.outputs else f"{len(spec.outputs)} output(s)"
        raise EditError(f"{layer_type} has {have}, but {old.name}'s result goes on to other layers:"
                        f" disconnect {_them(outs)} first")
    kept = {}
    for name, value in old.params.items():
        param = spec.param(name)
        if param is not None and param.type_error(value) is None and param.range_error(value) is None:
            kept[name] = value
    fresh = new_node(graph, layer_type, old.pos, name=_new_name(graph, old, layer_type), **kept)
    fresh.id = node_id
    edits: list[Edit] = [Disconnect(e) for e in ins + outs]
    edits.append(ReplaceNode(graph, node_id, fresh))
    edits += [Connect(Edge(e.src, e.src_port, node_id, in_map[e.dst_port])) for e in ins]
    edits += [Connect(Edge(node_id, out_map[e.src_port], e.dst, e.dst_port)) for e in outs]
    return Group(edits, f"Replace {old.name} with {layer_type}")


def _them(wires: list) -> str:
    return "it" if len(wires) == 1 else "them"


def _stem(layer_type: str) -> str:
    return "".join(c if c.isalnum() or c == "_" else "_" for c in layer_type).lower()


def _new_name(graph: Graph, old: Node, layer_type: str) -> str:
    """A name made from the old type gets the new one (relu3 -> tanh1, s_sig3 -> s_relu3);
    any other name the user gave is kept."""
    stem, new = _stem(old.type), _stem(layer_type)
    if old.name.startswith(stem) and old.name[len(stem):].isdigit():
        return graph.unique_name(layer_type)
    part = next((stem[:k] for k in range(len(stem), 2, -1) if stem[:k] in old.name), "").rstrip("0123456789")
    if len(part) < 3 or new.startswith(part):
        return old.name
    name = old.name.replace(part, new, 1)
    taken = graph.by_name(name)
    return name if name_problem(name) is None and (taken is None or taken.id == old.id) else old.name


def _port_rank(spec, port: str):
    if spec is not None and port in spec.inputs:
        return (0, spec.inputs.index(port), "")
    return (1, int(port[2:]) if port[2:].isdigit() else 0, port)


def _map_ports(used: list[str], offered: list[str]) -> dict[str, str] | None:
    """Old port -> new port: the same name where the new type has it, the rest in order."""
    if len(used) > len(offered):
        return None
    mapping = {p: p for p in used if p in offered}
    free = [p for p in offered if p not in mapping.values()]
    for p in used:
        if p not in mapping:
            mapping[p] = free.pop(0)
    return mapping


def disconnect_input(graph: Graph, node_id: str, port: str) -> Disconnect:
    edge = graph.edge_into(node_id, port)
    if edge is None:
        raise EditError(f"input '{port}' of {graph.node(node_id).name} is not connected")
    return Disconnect(edge)
