"""Blocks between documents: "My blocks" (one JSON file per block in the user's folder), and taking a block
definition (with the blocks it uses) into another document, renamed when the name is taken by another one."""
from __future__ import annotations

import os
from pathlib import Path

from . import io
from .edits import AddBlock, AddNode, Connect, Disconnect, Edit, Group
from .model import Edge, EditError, Graph, Node, block_name_problem

LIMIT = 16 * 1024 * 1024  # a block file larger than this is refused


def inner_blocks(definition: Graph) -> list[str]:
    """The names of the blocks a definition uses directly."""
    return list(dict.fromkeys(n.params.get("block") for n in definition.nodes() if n.type == "Block"))


def used_blocks(blocks: dict[str, Graph], names: list[str]) -> list[str]:
    """The named blocks and every block they use, those used first (the order to define them in). Without
    recursion, so a hostile file's deep nesting cannot exhaust the stack; a cycle is followed once."""
    order: list[str] = []
    seen: set[str] = set()
    for root in names:
        stack = [(root, False)]
        while stack:
            name, done = stack.pop()
            if done:
                order.append(name)
                continue
            if name in seen or name not in blocks:
                continue
            seen.add(name)
            stack.append((name, True))
            stack.extend((inner, False) for inner in reversed(inner_blocks(blocks[name])))
    return order


def nesting_problem(blocks: dict[str, Graph], limit: int) -> str | None:
    """Why these blocks cannot be used: one that uses itself (A -> B -> A), or nesting deeper than `limit`."""
    depth: dict[str, int] = {}
    for name in used_blocks(blocks, list(blocks)):  # the blocks a block uses come before it
        inner = [b for b in inner_blocks(blocks[name]) if b in blocks]
        if any(b not in depth for b in inner):  # used but not done yet: a cycle through this block
            return f"block {name} uses itself (through {', '.join(b for b in inner if b not in depth)})"
        depth[name] = 1 + max((depth[b] for b in inner), default=0)
        if depth[name] > limit:
            return f"blocks nest more than {limit} deep (block {name})"
    return None


def same_definition(a: Graph, b: Graph, places: bool = True) -> bool:
    """Whether two definitions hold the same layers and wires (the block tables they share aside; where the
    layers stand on the canvas too, unless `places` is False)."""
    return io.body_text(a, places) == io.body_text(b, places)


def adopt(graph: Graph, blocks: dict[str, Graph], names: list[str]) -> tuple[list[Edit], dict[str, str]]:
    """Edits defining in `graph` the named blocks of another table (and those they use), and what each is
    called in `graph`: a block already there with the same definition is reused; a name taken by a different
    one gets a number."""
    edits: list[Edit] = []
    renamed: dict[str, str] = {}
    taken = set(graph.blocks)
    for name in used_blocks(blocks, names):
        definition = blocks[name].copy()
        for node in definition.nodes():
            if node.type == "Block" and node.params.get("block") in renamed:
                node.params["block"] = renamed[node.params["block"]]
        candidates = [name] + [n for n in graph.blocks if n != name]  # its own name first
        same = next((n for n in candidates if n in graph.blocks and same_definition(graph.blocks[n], definition)),
                    None)
        if same is not None:
            renamed[name] = same
            continue
        new, i = name, 2
        while new in taken:
            new, i = f"{name}{i}", i + 1
        taken.add(new)
        renamed[name] = new
        definition.blocks = {}
        edits.append(AddBlock(new, definition))
    return edits, renamed


def folder_blocks(folder: str | os.PathLike) -> list[str]:
    """The names of the blocks saved in `folder`, sorted."""
    path = Path(folder)
    return sorted(p.stem for p in path.glob("*.json") if block_name_problem(p.stem) is None) if path.is_dir() else []


def save_block(graph: Graph, name: str, folder: str | os.PathLike) -> Path:
    """Write block `name` of `graph` (with the blocks it uses) to folder/name.json, atomically."""
    if name not in graph.blocks:
        raise KeyError(f"no block named '{name}'")
    part = Graph()
    for used in used_blocks(graph.blocks, [name]):
        part.blocks[used] = graph.blocks[used]
    part.meta = {"block": name}
    Path(folder).mkdir(parents=True, exist_ok=True)
    path = Path(folder) / f"{name}.json"
    io.write_atomic(path, io.dumps(part))
    return path


def load_block(folder: str | os.PathLike, name: str, check_node=None) -> Graph:
    """The saved file of block `name` as a graph whose blocks hold it; io.FileFormatError saying why not."""
    path = Path(folder) / f"{name}.json"
    graph = io.loads(io.read_text(path, LIMIT, "block"), check_node, source=str(path))
    if name not in graph.blocks:
        raise io.FileFormatError(f"{path}: holds no block named '{name}'")
    return graph


def use_block(graph: Graph, library: Graph, name: str, pos: tuple[float, float],
              wire: Edge | None = None) -> tuple[Group, str]:
    """One edit putting an instance of `library`'s block `name` into `graph` at pos (defining it first when
    needed), on `wire` when one is given and the block has one input; and the new node's id."""
    edits, renamed = adopt(graph, library.blocks, [name])
    own = renamed[name]
    node = Node(graph.new_id(), "Block", graph.unique_name(own), {"block": own, "repeat": 1},
                (float(pos[0]), float(pos[1])))
    edits.append(AddNode(node))
    if wire is not None:
        definition = library.blocks[name]
        ports = [n.name for n in definition.nodes() if n.type == "Input"]
        result = [n.name for n in definition.nodes() if n.type == "Output"]
        if len(ports) != 1 or len(result) != 1:
            raise EditError(f"{name} has {len(ports)} inputs: it cannot go on a wire (drop it beside it)")
        edits += [Disconnect(wire), Connect(Edge(wire.src, wire.src_port, node.id, ports[0])),
                  Connect(Edge(node.id, result[0], wire.dst, wire.dst_port))]
    return Group(edits, f"Add {own}"), node.id
