"""Invertible edits: the one write path into a document.

Each edit records the old value when it is made, so `revert` needs nothing else.
The editor's undo stack wraps these; scripts and tests call `graph.apply(edit)`.
"""
from __future__ import annotations

from typing import Any, Iterable

from .model import _MISSING, Edge, Graph, Node


class Edit:
    text = "edit"

    def apply(self, graph: Graph) -> None:
        raise NotImplementedError

    def revert(self, graph: Graph) -> None:
        raise NotImplementedError


class AddNode(Edit):
    def __init__(self, node: Node):
        self.node = node.copy()
        self.text = f"Add {node.type}"

    def apply(self, graph: Graph) -> None:
        graph._add_node(self.node)

    def revert(self, graph: Graph) -> None:
        graph._remove_node(self.node.id)


class RemoveNode(Edit):
    """Remove a node that has no wires (use `remove_nodes` for a node with its wires)."""

    def __init__(self, graph: Graph, node_id: str):
        self.node = graph.node(node_id).copy()
        self.index = graph.node_ids().index(node_id)
        self.text = f"Delete {self.node.name}"

    def apply(self, graph: Graph) -> None:
        # Where it stood just before it went: a group's reverse re-adds restore the order exactly.
        self.index = graph.node_ids().index(self.node.id)
        graph._remove_node(self.node.id)

    def revert(self, graph: Graph) -> None:
        graph._add_node(self.node, self.index)


class ReplaceNode(Edit):
    """Put another node (type, name, params) in place of a node without wires: same id, same place
    in document order. Its wires are disconnected before and connected after, in the same Group."""

    def __init__(self, graph: Graph, node_id: str, node: Node):
        self.old = graph.node(node_id).copy()
        self.new = node.copy()
        self.new.id = node_id
        self.text = f"Replace {self.old.name} with {node.type}"

    def _swap(self, graph: Graph, out: Node, into: Node) -> None:
        index = graph.node_ids().index(out.id)
        graph._remove_node(out.id)
        graph._add_node(into, index)

    def apply(self, graph: Graph) -> None:
        self._swap(graph, self.old, self.new)

    def revert(self, graph: Graph) -> None:
        self._swap(graph, self.new, self.old)


class Connect(Edit):
    def __init__(self, edge: Edge):
        self.edge = edge
        self.text = "Connect"

    def apply(self, graph: Graph) -> None:
        graph._connect(self.edge)

    def revert(self, graph: Graph) -> None:
        graph._disconnect(self.edge)


class Disconnect(Edit):
    def __init__(self, edge: Edge):
        self.edge = edge
        self.text = "Disconnect"

    def apply(self, graph: Graph) -> None:
        graph._disconnect(self.edge)

    def revert(self, graph: Graph) -> None:
        graph._connect(self.edge)


class SetParam(Edit):
    def __init__(self, graph: Graph, node_id: str, name: str, value: Any):
        node = graph.node(node_id)
        self.node_id, self.name, self.value = node_id, name, value
        self.old = node.params.get(name, _MISSING)
        self.text = f"Set {node.name}.{name}"

    def apply(self, graph: Graph) -> None:
        graph._set_param(self.node_id, self.name, self.value)

    def revert(self, graph: Graph) -> None:
        graph._set_param(self.node_id, self.name, self.old)


class Move(Edit):
    def __init__(self, graph: Graph, node_id: str, pos: tuple[float, float]):
        self.node_id, self.pos = node_id, (float(pos[0]), float(pos[1]))
        self.old = graph.node(node_id).pos
        self.text = "Move"

    def apply(self, graph: Graph) -> None:
        graph._move(self.node_id, self.pos)

    def revert(self, graph: Graph) -> None:
        graph._move(self.node_id, self.old)


class Rename(Edit):
    def __init__(self, graph: Graph, node_id: str, name: str):
        self.node_id, self.name = node_id, name
        self.old = graph.node(node_id).name
        self.text = f"Rename {self.old} to {name}"

    def apply(self, graph: Graph) -> None:
        graph._rename(self.node_id, self.name)

    def revert(self, graph: Graph) -> None:
        graph._rename(self.node_id, self.old)


class SetMeta(Edit):
    """Change a document-level setting (description, training configuration, dataset...)."""

    def __init__(self, graph: Graph, key: str, value: Any):
        self.key, self.value = key, value
        self.old = graph.meta.get(key, _MISSING)
        self.text = f"Change {key}"

    def apply(self, graph: Graph) -> None:
        graph._set_meta(self.key, self.value)

    def revert(self, graph: Graph) -> None:
        graph._set_meta(self.key, self.old)


class Group(Edit):
    """Several edits as one step. If one fails, those already applied are reverted."""

    def __init__(self, edits: Iterable[Edit], text: str = "Edit"):
        self.edits = list(edits)
        self.text = text

    def apply(self, graph: Graph) -> None:
        done: list[Edit] = []
        with graph.batch():
            try:
                for edit in self.edits:
                    edit.apply(graph)
                    done.append(edit)
            except Exception:
                for edit in reversed(done):
                    edit.revert(graph)
                raise

    def revert(self, graph: Graph) -> None:
        with graph.batch():
            for edit in reversed(self.edits):
                edit.revert(graph)


def remove_nodes(graph: Graph, node_ids: Iterable[str]) -> Group:
    """Delete nodes with all their wires, as one edit."""
    ids = list(dict.fromkeys(node_ids))
    wires = dict.fromkeys(e for node_id in ids for e in graph.in_edges(node_id) + graph.out_edges(node_id))
    edits: list[Edit] = [Disconnect(e) for e in wires]
    edits += [RemoveNode(graph, n) for n in ids]
    names = ", ".join(graph.node(n).name for n in ids[:3]) + ("..." if len(ids) > 3 else "")
    return Group(edits, f"Delete {names}")


def move_nodes(graph: Graph, positions: dict[str, tuple[float, float]]) -> Group:
    """Move several nodes as one step (a drag of a selection)."""
    return Group([Move(graph, n, p) for n, p in positions.items()], "Move")


def insert_between(graph: Graph, edge: Edge, node: Node, in_port: str, out_port: str) -> Group:
    """Put a new node on an existing wire: src -> node -> dst."""
    return Group(
        [
            Disconnect(edge),
            AddNode(node),
            Connect(Edge(edge.src, edge.src_port, node.id, in_port)),
            Connect(Edge(node.id, out_port, edge.dst, edge.dst_port)),
        ],
        f"Insert {node.type}",
    )


class AddBlock(Edit):
    """Define block `name` in the document (the blocks it uses must be defined already)."""

    def __init__(self, name: str, definition: Graph):
        self.name, self.definition = name, definition
        self.text = f"Define block {name}"

    def apply(self, graph: Graph) -> None:
        graph._add_block(self.name, self.definition)

    def revert(self, graph: Graph) -> None:
        graph._remove_block(self.name)


class RemoveBlock(Edit):
    """Remove an unused block definition."""

    def __init__(self, graph: Graph, name: str):
        self.name, self.definition = name, graph.blocks[name]
        self.text = f"Remove block {name}"

    def apply(self, graph: Graph) -> None:
        graph._remove_block(self.name)

    def revert(self, graph: Graph) -> None:
        graph._add_block(self.name, self.definition)
