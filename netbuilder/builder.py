"""A small builder for scripts and tests: add layers by type and params, wire them in one call.

    b = GraphBuilder()
    x = b.add("Input", shape=[64])
    h = b.add("Linear", x, out_features=32)
    b.add("Output", b.add("ReLU", h))
    graph = b.graph

A block is defined from another builder's graph (its Inputs are the block's ports, its Output the result) and
used like a layer:

    inner = GraphBuilder()
    ...
    b.define("ResBlock", inner)
    h = b.add("Block", h, block="ResBlock", repeat=2)
"""
from __future__ import annotations

from .analysis.blocks import spec_of
from .analysis.wiring import connect
from .graph.edits import AddBlock, AddNode, Connect, Group
from .graph.model import Edge, Graph, Node
from .layers import BLOCK_SPEC, new_node

Source = str | tuple[str, str]  # a node id (its first output) or (node id, output port)


class GraphBuilder:
    def __init__(self, graph: Graph | None = None):
        self.graph = graph if graph is not None else Graph()
        self._depth: dict[str, int] = {}
        self._rows: dict[int, int] = {}

    def add(self, layer_type: str, *inputs: Source, name: str | None = None,
            pos: tuple[float, float] | None = None, **params) -> str:
        """Add a node fed by `inputs` (to its input ports in order); returns its id."""
        depth = 1 + max((self._depth.get(_id(s), 0) for s in inputs), default=-1)
        if pos is None:
            row = self._rows.get(depth, 0)
            self._rows[depth] = row + 1
            pos = (depth * 200.0, row * 120.0)
        if layer_type == BLOCK_SPEC.type:
            node = Node(self.graph.new_id(), layer_type, name or self.graph.unique_name(params["block"]),
                        BLOCK_SPEC.defaults() | params, (float(pos[0]), float(pos[1])))
            spec = spec_of(self.graph, node)
            if spec is None:
                raise KeyError(f"no block named '{params['block']}': define it first")
        else:
            node = new_node(self.graph, layer_type, pos, name, **params)
            spec = spec_of(self.graph, node)  # a Code layer's ports are its forward's
        ports = spec.input_ports()
        if spec.variadic:
            ports = [f"in{i}" for i in range(len(inputs))]
        if len(inputs) > len(ports):
            raise ValueError(f"{layer_type} takes {len(ports)} input(s), not {len(inputs)}")
        edits = [AddNode(node)] + [Connect(self._edge(s, node.id, p)) for s, p in zip(inputs, ports)]
        self.graph.apply(Group(edits, f"Add {layer_type}"))
        self._depth[node.id] = depth
        return node.id

    def define(self, name: str, block: "GraphBuilder", description: str = "") -> str:
        """Define block `name` from another builder's network; returns the name (for add("Block", block=...))."""
        if description:
            block.graph.meta["description"] = description
        self.graph.apply(AddBlock(name, block.graph))
        return name

    def connect(self, source: Source, target: str, port: str | None = None, replace: bool = False) -> None:
        """Wire `source` into `target`'s `port` (its first input by default) by the rules the canvas follows:
        EditError says why not (an input with a wire already, unless `replace`; a layer feeding itself; a cycle)."""
        port = port or spec_of(self.graph, self.graph.node(target)).input_ports()[0]
        edit = connect(self.graph, self._edge(source, target, port), replace)
        if edit is not None:
            self.graph.apply(edit)

    def _edge(self, source: Source, target: str, port: str) -> Edge:
        src, src_port = (source, None) if isinstance(source, str) else source
        src_port = src_port or spec_of(self.graph, self.graph.node(src)).outputs[0]
        return Edge(src, src_port, target, port)


def _id(source: Source) -> str:
    return source if isinstance(source, str) else source[0]
