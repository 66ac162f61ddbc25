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


def paste_edit(graph: Graph, data: dict[str, Any], offset: tuple[float, float] = (30.0, 30.0),
               check_node=None) -> tuple[Group, list[str]]:
    """An edit adding a copy of `data` with fresh ids and names; raises io.FileFormatError."""
    part = io.from_dict({**data, "meta": {}}, check_node, source="clipboard")
    ids, names = set(graph.node_ids()), {n.name for n in graph.nodes()}
    new_id: dict[str, str] = {}
    edits, renamed = adopt(graph, part.blocks, list(part.blocks))
    k = 1
    for node in part.nodes():
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
        pos = (node.pos[0] + offset[0], node.pos[1] + offset[1])
        params = dict(node.params)
        if node.type == "Block" and params.get("block") in renamed:
            params["block"] = renamed[params["block"]]
        edits.append(AddNode(Node(new_id[node.id], node.type, name, params, pos)))
    for e in part.edges():
        edits.append(Connect(Edge(new_id[e.src], e.src_port, new_id[e.dst], e.dst_port)))
    return Group(edits, f"Paste {len(new_id)} node(s)"), list(new_id.values())
