"""Copy a selection of nodes (with the wires between them) as plain data, and paste it back."""
from __future__ import annotations

import json
from typing import Any, Iterable

from . import io
from .block_library import adopt, used_blocks
from .edits import AddNode, Connect, Group
from .model import Edge, Graph, Node



def copy_nodes(graph: Graph, node_ids: Iterable[str]) -> dict[str, Any]:
    """The selected nodes and the wires among them, in the file format's shape."""
    selected = set(node_ids)
    ids = [n for n in graph.node_ids() if n in selected]
    part = Graph()
    for n in ids:
        part._insert(graph.node(n).copy())
    for n in ids:
        for e in graph.out_edges(n):
            if e.dst in part:
                part._g.add_edge(e.src, e.dst, key=e)
    used = used_blocks(graph.blocks, [n.params.get("block") for n in part.nodes() if n.type == "Block"])
    part.blocks = {name: graph.blocks[name] for name in used}  # pasted elsewhere, they come along
    data = io.to_dict(part)
    del data["meta"]
    return data


def is_copied_nodes(text: str) -> bool:
    """Whether clipboard text looks like copied layers (JSON in the file format)."""
    try:
        data = json.loads(text)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("format") == io.FORMAT and "nodes" in data


def fresh_nodes(graph: Graph, nodes: list[Node], offset: tuple[float, float] = (0.0, 0.0),
                keep: str | None = None) -> tuple[list[Node], dict[str, str]]:
    """Copies of `nodes` with ids and names not taken in `graph` (a taken name gets the next free number; the
    name `keep` counts as free), moved by `offset`; and the old id -> new id map."""
    ids, names = set(graph.node_ids()), {n.name for n in graph.nodes()} - {keep}
    new_id: dict[str, str] = {}
    copies = []
    k = 1
    for node in nodes:
        while f"n{k}" in ids:
            k += 1
        new_id[node.id] = f"n{k}"
        ids.add(f"n{k}")
        name = node.name
        if name in names:
            stem = name.rstrip("0123456789") or name
            i = 1
            while f"{stem}{i}" in names:
                i += 1
            name = f"{stem}{i}"
        names.add(name)
        copies.append(Node(new_id[node.id], node.type, name, dict(node.params),
                           (node.pos[0] + offset[0], node.pos[1] + offset[1])))
    return copies, new_id


def paste_edit(graph: Graph, data: dict[str, Any], offset: tuple[float, float] = (30.0, 30.0),
               check_node=None) -> tuple[Group, list[str]]:
    """An edit adding a copy of `data` with fresh ids and names; raises io.FileFormatError."""
    part = io.from_dict({**data, "meta": {}}, check_node, source="clipboard")
    edits, renamed = adopt(graph, part.blocks, list(part.blocks))
    nodes, new_id = fresh_nodes(graph, part.nodes(), offset)
    for node in nodes:
        if node.type == "Block" and node.params.get("block") in renamed:
            node.params["block"] = renamed[node.params["block"]]
        edits.append(AddNode(node))
    for e in part.edges():
        edits.append(Connect(Edge(new_id[e.src], e.src_port, new_id[e.dst], e.dst_port)))
    return Group(edits, f"Paste {len(new_id)} node(s)"), list(new_id.values())
