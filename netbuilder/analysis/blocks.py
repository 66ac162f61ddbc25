"""Blocks: a network defined once in the document (graph.blocks) and used as one layer (a "Block" node).

A definition is an ordinary network: its Input nodes are the block's input ports (named after them, in document
order), its one Output the block's result. An instance takes its ports from the definition and its shapes from
analysing a copy whose Inputs have the shapes arriving at the instance. Grouping a selection makes a definition
and an instance in one edit; ungrouping puts the layers back.
"""
from __future__ import annotations

from ..graph.edits import AddBlock, AddNode, Connect, Disconnect, Edit, Group, RemoveBlock, RemoveNode
from ..graph.block_library import same_definition, used_blocks
from ..graph.clipboard import fresh_nodes
from ..graph.layout import layered_positions
from ..graph.model import Edge, EditError, Graph, Node, block_name_problem, name_problem
from ..layers import BLOCK_SPEC, CATALOG, node_spec
from ..layers.rules import fix_param
from ..layers.spec import LayerSpec, ShapeError, TensorType

BLOCK = BLOCK_SPEC.type  # the type of a block's node: "Block"
_active: set[str] = set()  # blocks being analysed (one inside itself would never end)


def spec_of(graph: Graph, node: Node) -> LayerSpec | None:
    """The declaration a node follows: the catalog's, or for a block one made from its definition."""
    if node.type != BLOCK:
        return node_spec(node.type, node.params)
    name = node.params.get("block")
    definition = graph.blocks.get(name) if isinstance(name, str) else None
    return block_spec(name, definition) if definition is not None else None


def ordered(graph: Graph, node: Node, ins: dict) -> list:
    """Values by input port, in the order the node takes them: a block's ports in its definition's order
    (x2 before x10), a merge's as given (by port name), any other layer's in its declared order."""
    spec = spec_of(graph, node)
    if spec is None or spec.variadic:
        return list(ins.values())
    return [ins[p] for p in spec.inputs if p in ins]


def unknown(graph: Graph, node: Node) -> str:
    """Why spec_of found nothing for this node."""
    if node.type != BLOCK:
        return f"unknown layer type '{node.type}'"
    have = ", ".join(sorted(graph.blocks)) or "none"
    return f"this document has no block named '{node.params.get('block')}' (its blocks: {have})"


def stamp(definition: Graph) -> tuple[int, ...]:
    """Changes whenever the definition or a block it uses (at any depth) changes."""
    used = used_blocks(definition.blocks, [n.params.get("block") for n in definition.nodes() if n.type == BLOCK])
    return (definition.revision, *(definition.blocks[b].revision for b in used))


def users_of(graph: Graph, name: str) -> list[str]:
    """Ids of the nodes of `graph` whose shapes depend on block `name`: its instances, and instances of the
    blocks that use it."""
    names = {b for b in graph.blocks if name in used_blocks(graph.blocks, [b])}
    return [n.id for n in graph.nodes() if n.type == BLOCK and n.params.get("block") in names]


def block_spec(name: str, definition: Graph) -> LayerSpec:
    cached = definition.__dict__.get("_spec")
    if cached is not None and cached[0] == (stamp(definition), name):
        return cached[1]
    spec = LayerSpec(
        name, "Blocks", definition.meta.get("description") or f"Block {name}: double-click to open it",
        params=BLOCK_SPEC.params, inputs=ports(definition, "Input"), outputs=ports(definition, "Output"),
        shape=lambda p, xs: block_output(definition, name, list(xs), p["repeat"]), accepts_int=True,
        key_params=BLOCK_SPEC.key_params)
    definition.__dict__["_spec"] = ((stamp(definition), name), spec)
    return spec


def ports(definition: Graph, layer_type: str) -> tuple[str, ...]:
    return tuple(n.name for n in definition.nodes() if n.type == layer_type)


def sized(definition: Graph, ins: list[TensorType]) -> Graph:
    """A copy of the definition whose Inputs take the given types (in port order)."""
    copy = definition.copy()
    for node, t in zip([n for n in copy.nodes() if n.type == "Input"], ins):
        node.params.update(shape=list(t.shape), dtype=t.dtype)
        if t.dtype == "int" and t.high is not None:
            node.params["vocab_size"] = t.high
    return copy


def block_output(definition: Graph, name: str, ins: list[TensorType], repeat: int = 1) -> TensorType:
    """What an instance of the block gives for these inputs; ShapeError saying where inside it fails."""
    cache = definition.__dict__.setdefault("_shapes", {})
    key = (stamp(definition), name, tuple(ins), repeat)
    if key not in cache:
        if len(cache) > 256:
            cache.clear()
        try:
            cache[key] = _output(definition, name, ins, repeat)
        except ShapeError as e:
            cache[key] = e
    result = cache[key]
    if isinstance(result, ShapeError):
        if uses_code(definition):  # the code may be trusted or fixed the next time: not kept
            del cache[key]
        raise result
    return result


def uses_code(definition: Graph) -> bool:
    """Whether the block, or a block inside it, holds a Code layer."""
    names = used_blocks(definition.blocks, [n.params.get("block") for n in definition.nodes() if n.type == BLOCK])
    return any(n.type == "Code" for g in [definition, *(definition.blocks[b] for b in names)] for n in g.nodes())


def _output(definition: Graph, name: str, ins: list[TensorType], repeat: int) -> TensorType:
    from .shapes import Analysis

    outputs = ports(definition, "Output")
    if len(outputs) != 1:
        raise ShapeError(f"block {name} needs exactly one Output inside (it has {len(outputs)}): open it to fix")
    if name in _active:
        raise ShapeError(f"block {name} contains itself: data would flow through it forever")
    _active.add(name)
    try:
        copy = sized(definition, ins)
        analysis = Analysis(copy)
        analysis.close()
    finally:
        _active.discard(name)
    errors = [p for p in analysis.problems() if p.severity == "error"]
    if errors:
        where = f"{copy.node(errors[0].node).name}: " if errors[0].node else ""
        raise ShapeError(f"inside block {name}: {where}{errors[0].message} (double-click to open it)")
    out = analysis.shown_type(copy.by_name(outputs[0]).id)
    if repeat > 1 and (len(ins) != 1 or out != ins[0]):
        raise ShapeError(f"{name} is stacked {repeat} times, so its result must have its input's shape:"
                         f" it takes {ins[0] if ins else 'nothing'} and gives {out}", fix=fix_param("repeat", 1))
    return out


# ---- making and undoing blocks -------------------------------------------------------------------------------
def group_into_block(graph: Graph, analysis, node_ids: list[str], name: str,
                     inner_name=None) -> tuple[Group, str]:
    """One edit that moves the given nodes into a new block `name` and puts an instance in their place, wired
    as they were; and the instance's id. When the document has a block `name` holding the same layers and
    wires, the instance uses it. `inner_name(name)` may rename the layers inside. EditError saying why not."""
    chosen = [n for n in graph.node_ids() if n in set(node_ids)]
    problem = block_name_problem(name)
    if problem or name in CATALOG:
        raise EditError(problem or f"'{name}' is a layer type: choose another name for the block")
    if not chosen:
        raise EditError("select the layers to group first")
    ends = [graph.node(n).name for n in chosen if graph.node(n).type in ("Input", "Output")]
    if ends:
        raise EditError(f"a block cannot hold the network's Input or Output ({', '.join(ends)}):"
                        " leave them out of the selection")
    inside = set(chosen)
    entering = [e for n in chosen for e in graph.in_edges(n) if e.src not in inside]
    leaving = [e for n in chosen for e in graph.out_edges(n) if e.dst not in inside]
    results = list(dict.fromkeys((e.src, e.src_port) for e in leaving))
    if len(results) != 1:
        names = ", ".join(graph.node(s).name for s, _ in results)
        raise EditError("a block gives one result, but the selection's results leave it from " + names
                        if results else "nothing leaves the selection: a block's result must be used outside it")
    sources = list(dict.fromkeys((e.src, e.src_port) for e in entering))
    for src, port in sources:
        if analysis.output(src, port) is None:
            raise EditError(f"the shape coming from {graph.node(src).name} is not known yet:"
                            " fix the problems above the selection first")

    definition = Graph()
    rename = inner_name or (lambda n: n)
    names = {rename(graph.node(n).name) for n in chosen}
    if len(names) < len(chosen) or any(name_problem(n) for n in names):
        raise EditError("the layers' names inside the block would not be unique valid names")
    free = (f"x{i}" for i in range(1, len(names) + len(sources) + 2) if f"x{i}" not in names)
    port_names = ["x"] if len(sources) == 1 and "x" not in names else [next(free) for _ in sources]
    inputs = []
    for (src, port), port_name in zip(sources, port_names):
        t = analysis.output(src, port)
        params = {**CATALOG["Input"].defaults(), "shape": list(t.shape), "dtype": t.dtype}
        if t.high:
            params["vocab_size"] = t.high
        inputs.append(f"port{len(inputs) + 1}")
        definition._insert(Node(inputs[-1], "Input", port_name, params))
    for n in chosen:
        node = graph.node(n).copy()
        node.name = rename(node.name)
        definition._insert(node)
    out_node = Node("result", "Output", next(f"out{i}" if i else "out" for i in range(len(names) + 1)
                                             if (f"out{i}" if i else "out") not in names))
    definition._insert(out_node)
    for n in chosen:
        for e in graph.out_edges(n):
            if e.dst in inside:
                definition._g.add_edge(e.src, e.dst, key=e)
    for e in entering:
        wire = Edge(inputs[sources.index((e.src, e.src_port))], "out", e.dst, e.dst_port)
        definition._g.add_edge(wire.src, wire.dst, key=wire)
    src, port = results[0]
    definition._g.add_edge(src, out_node.id, key=Edge(src, port, out_node.id, "in"))
    for node_id, pos in layered_positions(definition).items():
        definition.node(node_id).pos = pos
    existing = graph.blocks.get(name)
    if existing is not None and not same_definition(existing, definition, places=False):
        raise EditError(f"there is already a block named '{name}' (with other layers)")

    first = next(e.dst for e in entering) if entering else chosen[0]  # where data enters the selection
    instance = Node(graph.new_id(), BLOCK, graph.unique_name(name), {"block": name, "repeat": 1},
                    graph.node(first).pos)
    wires = list(dict.fromkeys(entering + leaving + [e for n in chosen for e in graph.out_edges(n)
                                                     if e.dst in inside]))
    edits: list[Edit] = [Disconnect(e) for e in wires]
    edits += [RemoveNode(graph, n) for n in chosen]
    edits += ([] if existing is not None else [AddBlock(name, definition)]) + [AddNode(instance)]
    edits += [Connect(Edge(src, port, instance.id, p)) for (src, port), p in zip(sources, port_names)]
    edits += [Connect(Edge(instance.id, out_node.name, e.dst, e.dst_port)) for e in leaving]
    return Group(edits, f"Group {len(chosen)} layer(s) into {name}"), instance.id


def ungroup(graph: Graph, node_id: str) -> tuple[Group, list[str]]:
    """One edit that puts a block instance's layers in its place (the definition goes when nothing else uses
    it); and the new nodes' ids."""
    node = graph.node(node_id)
    name = node.params.get("block")
    definition = graph.blocks.get(name) if node.type == BLOCK else None
    if definition is None:
        raise EditError(f"{node.name} is not a block of this document")
    if node.params.get("repeat", 1) != 1:
        raise EditError(f"{node.name} is stacked {node.params['repeat']} times: set repeat to 1 to ungroup it")
    inner = [n for n in definition.nodes() if n.type not in ("Input", "Output")]
    ends = {n.id: n for n in definition.nodes() if n.type in ("Input", "Output")}
    x0 = min((n.pos[0] for n in inner), default=0.0)
    y0 = min((n.pos[1] for n in inner), default=0.0)
    nodes, new_id = fresh_nodes(graph, inner, (node.pos[0] - x0, node.pos[1] - y0), keep=node.name)
    outside_in = {e.dst_port: e for e in graph.in_edges(node_id)}
    users = graph.out_edges(node_id)
    edits: list[Edit] = [Disconnect(e) for e in graph.in_edges(node_id) + users]
    edits += [RemoveNode(graph, node_id)] + [AddNode(n) for n in nodes]

    def sources(e: Edge) -> list[tuple[str, str]]:  # what feeds a wire of the definition, outside
        if e.src not in ends:
            return [(new_id[e.src], e.src_port)]
        feed = outside_in.get(ends[e.src].name)
        return [(feed.src, feed.src_port)] if feed is not None else []

    for e in definition.edges():
        for src, port in sources(e):
            if e.dst in ends:  # into the Output: on to every user outside
                edits += [Connect(Edge(src, port, u.dst, u.dst_port)) for u in users]
            else:
                edits.append(Connect(Edge(src, port, new_id[e.dst], e.dst_port)))
    uses = graph.block_uses(name)
    if len(uses) == 1 and uses[0][0] is graph and uses[0][1] == node_id:  # its last use
        edits.append(RemoveBlock(graph, name))
    return Group(edits, f"Ungroup {node.name}"), list(new_id.values())
