"""The document: nodes and edges of one or more networks, held in a networkx multigraph.

Plain data only: str ids, dicts of params, tuples of floats. Every change goes through
`Graph.apply(edit)` (see edits.py); the low-level `_add_node` etc. are for edits alone.
"""
from __future__ import annotations

import copy
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from ..errors import UserError
from . import events as ev


class EditError(UserError, ValueError):
    """An edit that cannot be applied to the document as it is (its message says why)."""


@dataclass
class Node:
    id: str
    type: str
    name: str
    params: dict[str, Any] = field(default_factory=dict)
    pos: tuple[float, float] = (0.0, 0.0)

    def copy(self) -> "Node":
        return Node(self.id, self.type, self.name, copy.deepcopy(self.params), tuple(self.pos))


@dataclass(frozen=True, order=True)
class Edge:
    """A wire from an output port of one node to an input port of another."""

    src: str
    src_port: str
    dst: str
    dst_port: str


_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RESERVED: set[str] = set()


def reserved_names() -> set[str]:
    """Names a layer may not have: attributes of torch's nn.Module and fx.GraphModule (a layer of that name
    would hide one), names the exported code uses, and Python's keywords. Decided by the compiler
    (compile/names.py) and written to reserved_names.txt, so that checking a name needs no torch."""
    if not _RESERVED:
        text = (Path(__file__).with_name("reserved_names.txt")).read_text(encoding="utf-8")
        _RESERVED.update(line for line in text.splitlines() if line and not line.startswith("#"))
    return _RESERVED


def name_problem(name: str) -> str | None:
    """Why `name` cannot name a node (it becomes a Python attribute), or None if it can."""
    if not isinstance(name, str) or not _IDENT.match(name):
        return f"'{name}' is not a valid name: use letters, digits and _, not starting with a digit"
    if name in reserved_names() or (name.startswith("__") and name.endswith("__")):
        return f"'{name}' is reserved in Python or PyTorch (the compiled module has an attribute of that name):" \
               " choose another name"
    return None


class Graph:
    """A document: a DAG (cycles are reported, not refused) of layer nodes and port edges."""

    def __init__(self) -> None:
        self._g = nx.MultiDiGraph()
        self._names: dict[str, str] = {}  # name -> node id: finding a node by name takes no scan
        self._suffix: dict[str, int] = {}  # unique_name's next number to try for each stem
        self.meta: dict[str, Any] = {}
        self.events = ev.Listeners()
        self._next_id = 1
        # Block definitions by name: each a Graph of its own whose Input and Output nodes are the block's ports.
        # The document and its definitions share one table, so a block may use another.
        self.blocks: dict[str, Graph] = {}
        self.parent: Graph | None = None  # for a block's definition: the document that holds it
        self.revision = 0  # for a block's definition: counts its changes (what depends on it is recomputed)
        self._watchers: dict[str, Any] = {}
        self._depth = 0  # inside batch(): how deep
        self._order: list[str] | None = None  # document order while a batch puts nodes back (see _add_node)

    # ---- reading -------------------------------------------------------------------------
    def __contains__(self, node_id: str) -> bool:
        return node_id in self._g

    def __len__(self) -> int:
        return self._g.number_of_nodes()

    def node(self, node_id: str) -> Node:
        try:
            return self._g.nodes[node_id]["node"]
        except KeyError:
            raise EditError(f"no node with id '{node_id}'") from None

    def nodes(self) -> list[Node]:
        if self._order is not None:
            return [self._g.nodes[n]["node"] for n in self._order]
        return [data["node"] for _, data in self._g.nodes(data=True)]

    def node_ids(self) -> list[str]:
        return list(self._order if self._order is not None else self._g.nodes)

    def edges(self) -> list[Edge]:
        return [key for _, _, key in self._g.edges(keys=True)]

    def in_edges(self, node_id: str) -> list[Edge]:
        return [key for _, _, key in self._g.in_edges(node_id, keys=True)]

    def out_edges(self, node_id: str) -> list[Edge]:
        return [key for _, _, key in self._g.out_edges(node_id, keys=True)]

    def edge_into(self, node_id: str, port: str) -> Edge | None:
        for edge in self.in_edges(node_id):
            if edge.dst_port == port:
                return edge
        return None

    def predecessors(self, node_id: str) -> list[str]:
        return list(dict.fromkeys(self._g.predecessors(node_id)))

    def out_degree(self, node_id: str) -> int:
        return self._g.out_degree(node_id)

    def network_of(self, node_id: str) -> set[str]:
        """The ids of the network (weakly connected part) that holds this node: a walk over the wires in
        either direction, in time of that network's size (an undirected view of the graph costs the whole
        document's size to make)."""
        pred, succ = self._g.pred, self._g.succ
        found, stack = {node_id}, [node_id]
        while stack:
            n = stack.pop()
            for m in (*pred[n], *succ[n]):
                if m not in found:
                    found.add(m)
                    stack.append(m)
        return found

    def successors(self, node_id: str) -> list[str]:
        return list(dict.fromkeys(self._g.successors(node_id)))

    def by_name(self, name: str) -> Node | None:
        node_id = self._names.get(name)
        return self._g.nodes[node_id]["node"] if node_id is not None else None

    def _insert(self, node: Node) -> None:
        """Put a node in the graph and the name index (the checks are the caller's)."""
        self._g.add_node(node.id, node=node)
        self._names[node.name] = node.id

    def taken_input(self, edge: Edge) -> str:
        """Why `edge` cannot go in: its input has a wire already (the one text of that refusal)."""
        return f"input '{edge.dst_port}' of '{self.node(edge.dst).name}' is already connected"

    def would_create_cycle(self, src: str, dst: str) -> bool:
        return src == dst or nx.has_path(self._g, dst, src)

    def cycles(self) -> list[list[str]]:
        """Node ids of each strongly connected part with more than one node (or a self-loop)."""
        found = []
        index = {n: i for i, n in enumerate(self.node_ids())}
        for part in nx.strongly_connected_components(self._g):
            if len(part) > 1 or any(self._g.has_edge(n, n) for n in part):
                found.append(sorted(part, key=index.__getitem__))
        return found

    def topological_order(self) -> list[str]:
        """Node ids, inputs first; ties keep document order. Raises nx.NetworkXUnfeasible on a cycle."""
        index = {n: i for i, n in enumerate(self.node_ids())}
        return list(nx.lexicographical_topological_sort(self._g, key=index.__getitem__))

    def networks(self) -> list[list[str]]:
        """The separate networks of the document: weakly connected parts, in document order."""
        order = {n: i for i, n in enumerate(self.node_ids())}
        parts = [sorted(p, key=order.__getitem__) for p in nx.weakly_connected_components(self._g)]
        return sorted(parts, key=lambda p: order[p[0]])

    def new_id(self) -> str:
        while f"n{self._next_id}" in self._g:
            self._next_id += 1
        return f"n{self._next_id}"

    def unique_name(self, stem: str) -> str:
        taken = self._names
        stem = re.sub(r"[^A-Za-z0-9_]", "_", stem).lower() or "node"
        if stem[0].isdigit():
            stem = "_" + stem
        i = self._suffix.get(stem, 1)  # where the last search for this stem ended: no rescan from 1
        while f"{stem}{i}" in taken:
            i += 1
        self._suffix[stem] = i
        return f"{stem}{i}"

    def copy(self) -> "Graph":
        """Nodes, wires and meta copied; the block table shared (a definition's copy sees the same blocks)."""
        other = Graph()
        for node in self.nodes():
            other._insert(node.copy())
        for edge in self.edges():
            other._g.add_edge(edge.src, edge.dst, key=edge)
        other.meta = copy.deepcopy(self.meta)
        other.blocks = self.blocks
        return other

    def block_users(self, name: str) -> list[str]:
        """Ids of this graph's nodes that are instances of block `name`."""
        return [n.id for n in self.nodes() if n.type == "Block" and n.params.get("block") == name]

    def block_uses(self, name: str) -> list[tuple["Graph", str]]:
        """Every instance of block `name` in the document and in its blocks: (graph, node id) pairs."""
        root = self.root()
        return [(g, n) for g in [root, *root.blocks.values()] for n in g.block_users(name)]

    def root(self) -> "Graph":
        """The document this graph belongs to (itself, unless it is a block's definition)."""
        graph = self
        while graph.parent is not None:
            graph = graph.parent
        return graph

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Graph):
            return NotImplemented
        return (
            self.nodes() == other.nodes()
            and sorted(self.edges()) == sorted(other.edges())
            and self.meta == other.meta
            and (self.parent is not None or self.blocks == other.blocks)
        )

    __hash__ = None  # type: ignore[assignment]

    # ---- writing: only through edits -------------------------------------------------------
    def apply(self, edit) -> None:
        """Apply an edit (see edits.py); the document announces what changed."""
        edit.apply(self)

    @contextmanager
    def batch(self):
        """Announce the changes made inside as one step (BatchStarted ... BatchEnded)."""
        self.events.emit(ev.BatchStarted())
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0:
                self._settle_order()
            self.events.emit(ev.BatchEnded())

    def _settle_order(self) -> None:
        """Put the nodes in the document order kept during a batch (one rebuild for all the put-backs)."""
        if self._order is not None:
            order, self._order = self._order, None
            nodes = self._g._node
            kept = {n: nodes[n] for n in order}
            nodes.clear()
            nodes.update(kept)

    def _add_node(self, node: Node, index: int | None = None) -> None:
        if node.id in self._g:
            raise EditError(f"a node with id '{node.id}' already exists")
        problem = name_problem(node.name)
        if problem:
            raise EditError(problem)
        if self.by_name(node.name) is not None:
            raise EditError(f"the name '{node.name}' is already used by another node")
        if node.type == "Block" and self.parent is not None:
            self._check_not_inside_itself(node.params.get("block"))
        if index is not None and index < len(self._g) and self._order is None:
            self._order = list(self._g.nodes)  # the order is kept as a list until the edit ends
        self._insert(node.copy())
        if self._order is not None:  # put back where it was in document order (undoing a delete), or last
            self._order.insert(index if index is not None else len(self._order), node.id)
            if self._depth == 0:
                self._settle_order()
        self.events.emit(ev.NodeAdded(node.id))

    def _remove_node(self, node_id: str) -> Node:
        node = self.node(node_id)
        if self._g.degree(node_id):
            raise EditError(f"node '{node.name}' still has wires: disconnect them first")
        self._g.remove_node(node_id)
        if self._order is not None:
            self._order.remove(node_id)
        self._names.pop(node.name, None)
        self.events.emit(ev.NodeRemoved(node_id))
        return node

    def _connect(self, edge: Edge) -> None:
        for end in (edge.src, edge.dst):
            self.node(end)
        if self.edge_into(edge.dst, edge.dst_port) is not None:
            raise EditError(self.taken_input(edge))
        self._g.add_edge(edge.src, edge.dst, key=edge)
        self.events.emit(ev.EdgeAdded(edge))

    def _disconnect(self, edge: Edge) -> None:
        if not self._g.has_edge(edge.src, edge.dst, key=edge):
            raise EditError("that wire does not exist")
        self._g.remove_edge(edge.src, edge.dst, key=edge)
        self.events.emit(ev.EdgeRemoved(edge))

    def _set_param(self, node_id: str, name: str, value: Any) -> None:
        node = self.node(node_id)
        if name in node.params and node.params[name] == value:
            return
        if value is _MISSING:
            node.params.pop(name, None)
        else:
            node.params[name] = copy.deepcopy(value)
        self.events.emit(ev.ParamChanged(node_id, name, value))

    def _move(self, node_id: str, pos: tuple[float, float]) -> None:
        node = self.node(node_id)
        pos = (float(pos[0]), float(pos[1]))
        if node.pos != pos:
            node.pos = pos
            self.events.emit(ev.NodeMoved(node_id, pos))

    def _rename(self, node_id: str, name: str) -> None:
        node = self.node(node_id)
        if node.name == name:
            return
        problem = name_problem(name)
        if problem:
            raise EditError(problem)
        if self.by_name(name) is not None:
            raise EditError(f"the name '{name}' is already used by another node")
        del self._names[node.name]
        node.name = name
        self._names[name] = node_id
        self.events.emit(ev.NodeRenamed(node_id, name))

    def _set_meta(self, key: str, value: Any) -> None:
        if self.meta.get(key, _MISSING) == value:
            return
        if value is _MISSING:
            self.meta.pop(key, None)
        else:
            self.meta[key] = copy.deepcopy(value)
        self.events.emit(ev.MetaChanged(key, value))


    def _check_not_inside_itself(self, block: Any) -> None:
        """Refuse to put block `block` into this definition when it is this block or uses it."""
        from .block_library import used_blocks

        own = next((n for n, b in self.blocks.items() if b is self), None)
        if own is not None and own in used_blocks(self.blocks, [block]):
            raise EditError(f"block {own} cannot hold {block}: it would contain itself")

    def _add_block(self, name: str, definition: "Graph") -> None:
        if self.parent is not None:  # made while a block is open: it is the document's, like every block
            self.root()._add_block(name, definition)
            return
        problem = block_name_problem(name)
        if problem:
            raise EditError(problem)
        if name in self.blocks:
            raise EditError(f"there is already a block named '{name}'")
        self._own_block(name, definition)
        self.events.emit(ev.BlockChanged(name))

    def _own_block(self, name: str, definition: "Graph") -> None:
        """Hold `definition` as block `name` and pass on its changes (as BlockChanged) to this document."""
        definition.blocks, definition.parent = self.blocks, self
        self.blocks[name] = definition
        depth = [0]

        def forward(event) -> None:
            if not isinstance(event, (ev.NodeMoved, ev.BatchStarted, ev.BatchEnded)):
                definition.revision += 1  # what was worked out from it is stale (moves change nothing)
            if isinstance(event, ev.BatchStarted):
                depth[0] += 1
                return
            if isinstance(event, ev.BatchEnded):
                depth[0] -= 1
            if depth[0] == 0 and not isinstance(event, ev.NodeMoved):
                self.events.emit(ev.BlockChanged(name))

        definition.events.connect(forward)
        self._watchers[name] = forward

    def _remove_block(self, name: str) -> "Graph":
        if self.parent is not None:
            return self.root()._remove_block(name)
        if name not in self.blocks:
            raise EditError(f"no block named '{name}'")
        uses = self.block_uses(name)
        if uses:
            graph, node_id = uses[0]
            raise EditError(f"block '{name}' is still used by {graph.node(node_id).name}")
        definition = self.blocks.pop(name)
        watcher = self._watchers.pop(name, None)
        if watcher is not None:
            definition.events.disconnect(watcher)
        definition.parent = None
        self.events.emit(ev.BlockChanged(name))
        return definition


def block_name_problem(name: str) -> str | None:
    """Why `name` cannot name a block (it becomes a Python class), or None."""
    if not isinstance(name, str) or not _IDENT.match(name):
        return f"'{name}' is not a valid block name: use letters, digits and _, not starting with a digit"
    if not name[0].isupper():
        return f"'{name}' does not start with a capital letter: a block names a class (ResBlock, EncoderLayer)"
    if len(name) > 60:
        return f"'{name[:20]}…' is too long for a block name ({len(name)} characters; at most 60)"
    if name in reserved_names() or name in ("Block", "Input", "Output", "Net", "Sequential"):
        return f"'{name}' is reserved: choose another name"
    return None


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()


def _save(self: Graph, path) -> None:
    """Save as JSON, atomically (see io.save)."""
    from .io import save

    save(self, path)


Graph.save = _save  # type: ignore[attr-defined]
