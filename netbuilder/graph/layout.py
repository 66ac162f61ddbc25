"""Auto-layout and room for new nodes.

`layered_positions` gives each node a layer (one after its furthest input). A network of at most
ACROSS_MAX layers flows left to right; a deeper one flows top to bottom, so that every wire joins
neighbouring rows and none loops back across the canvas. A wire that skips layers keeps a lane of
its own (the lane beside the chain), so skips and merges stay visible. Separate networks are laid out
side by side (top to bottom) or one under another (left to right).

`make_room` finds a place for a new node that overlaps nothing, moving the nodes that follow it
aside when there is no room where it belongs.
"""
from __future__ import annotations

from typing import Iterable

import networkx as nx

from .model import Graph

COLUMN = 260.0  # left to right: from one layer to the next (room for the shape on the wire)
ROW = 120.0  # left to right: from one lane to the next
DOWN_ROW = 110.0  # top to bottom: from one layer to the next
DOWN_LANE = 250.0  # top to bottom: from one lane to the next
ACROSS_MAX = 12  # deeper networks flow top to bottom
NETWORK_GAP = 120.0
NODE_WIDTH = 170.0
MARGIN = 20.0  # the least space between two nodes
GRID = 20.0


# ---- auto-layout ---------------------------------------------------------------------------
def layered_positions(graph: Graph, node_ids: Iterable[str] | None = None) -> dict[str, tuple[float, float]]:
    """New positions for the given nodes (all by default), keeping their top-left corner."""
    ids = list(graph.node_ids() if node_ids is None else node_ids)
    chosen = set(ids)
    if not ids:
        return {}
    order = [n for n in _order(graph) if n in chosen]
    index = {n: i for i, n in enumerate(order)}
    layer: dict[str, int] = {}
    for n in order:
        preds = [e.src for e in graph.in_edges(n) if e.src in layer]
        layer[n] = 1 + max((layer[p] for p in preds), default=-1)
    parts = _parts(graph, order, chosen)
    down = any(max(layer[n] for n in part) + 1 > ACROSS_MAX for part in parts)
    x0 = min(graph.node(n).pos[0] for n in ids)
    y0 = min(graph.node(n).pos[1] for n in ids)
    positions: dict[str, tuple[float, float]] = {}
    offset = 0.0
    for part in parts:
        lanes = _lanes(graph, part, layer, index)
        width = max(lanes.values()) + 1
        for n in part:
            if down:
                positions[n] = (x0 + offset + lanes[n] * DOWN_LANE, y0 + layer[n] * DOWN_ROW)
            else:
                positions[n] = (x0 + layer[n] * COLUMN, y0 + offset + lanes[n] * ROW)
        extent = max(_height(graph, n) for n in part) - 64.0
        offset += width * (DOWN_LANE if down else ROW) + (NETWORK_GAP if down else NETWORK_GAP / 2 + extent)
    return positions


def _parts(graph: Graph, order: list[str], chosen: set[str]) -> list[list[str]]:
    """The chosen nodes split into connected parts (through chosen nodes only), in document order."""
    parent = {n: n for n in order}

    def root(n):
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for n in order:
        for e in graph.in_edges(n):
            if e.src in chosen:
                parent[root(e.src)] = root(n)
    parts: dict[str, list[str]] = {}
    for n in order:
        parts.setdefault(root(n), []).append(n)
    place = {n: i for i, n in enumerate(graph.node_ids())}
    return sorted(parts.values(), key=lambda p: min(place[n] for n in p))


def _lanes(graph: Graph, part: list[str], layer: dict[str, int], index: dict[str, int]) -> dict[str, int]:
    """A lane for each node. A wire that skips layers reserves a lane in each layer it passes, and
    takes the lane before the nodes it passes, so a residual connection runs straight beside its block."""
    members = set(part)
    slots: dict[int, list] = {}
    for n in part:
        slots.setdefault(layer[n], []).append(n)
        for e in graph.in_edges(n):
            if e.src in members:
                for k in range(layer[e.src] + 1, layer[n]):
                    slots.setdefault(k, []).append((e, k))
    lane: dict = {}
    for k in sorted(slots):
        def key(item):
            if isinstance(item, tuple):  # a wire passing this layer
                e, at = item
                before = e.src if at == layer[e.src] + 1 else (e, at - 1)
                return (lane.get(before, 0), 0, index[e.src])
            preds = [lane[e.src] for e in graph.in_edges(item) if e.src in lane]
            centre = sum(preds) / len(preds) if preds else 0.0
            return (centre, 1, index[item])
        for i, item in enumerate(sorted(slots[k], key=key)):
            lane[item] = i
    return {n: lane[n] for n in part}


def _order(graph: Graph) -> list[str]:
    try:
        return graph.topological_order()
    except Exception:  # a cycle: fall back to document order
        return graph.node_ids()


# ---- room for new nodes --------------------------------------------------------------------
def _height(graph: Graph, node_id: str) -> float:
    """About how tall the canvas draws a node: a merge grows with its inputs (and one free port)."""
    wires = len(graph.in_edges(node_id)) if node_id in graph else 0
    ports = wires + 1 if wires >= 2 else 1
    return max(64.0, 26.0 + 22.0 * ports)


Box = tuple[float, float, float, float]  # left, top, right, bottom


def box_of(graph: Graph, node_id: str, pos: tuple[float, float] | None = None) -> Box:
    x, y = pos if pos is not None else graph.node(node_id).pos
    return (x, y, x + NODE_WIDTH, y + _height(graph, node_id))


def _overlap(a: Box, b: Box, margin: float = MARGIN) -> bool:
    return a[0] < b[2] + margin and b[0] < a[2] + margin and a[1] < b[3] + margin and b[1] < a[3] + margin


class Occupied:
    """Where the nodes are, in buckets of a coarse grid by their top-left corner, so that a look-up
    costs the same with 10,000 nodes; a node's exact box is worked out only when it is near."""

    CELL = 400.0
    TALLEST = 400.0  # no node is drawn taller (a merge of 16 inputs)

    def __init__(self, graph: Graph, ignore: Iterable[str] = ()):
        self.graph = graph
        self.skip = set(ignore)
        self.boxes: dict[str, Box] = {}
        self.cells: dict[tuple[int, int], list[str]] = {}
        cells, skip, c, lowest = self.cells, self.skip, self.CELL, 0.0
        for node in graph.nodes():
            if node.id not in skip:
                x, y = node.pos
                key = (int(x // c), int(y // c))
                if key in cells:
                    cells[key].append(node.id)
                else:
                    cells[key] = [node.id]
                if y > lowest:
                    lowest = y
        self.lowest = lowest

    def box(self, node_id: str) -> Box:
        if node_id not in self.boxes:
            self.boxes[node_id] = box_of(self.graph, node_id)
        return self.boxes[node_id]

    def hits(self, b: Box, skip=()) -> list[str]:
        c = self.CELL
        found = []
        for i in range(int((b[0] - NODE_WIDTH - MARGIN) // c), int((b[2] + MARGIN) // c) + 1):
            for j in range(int((b[1] - self.TALLEST - MARGIN) // c), int((b[3] + MARGIN) // c) + 1):
                for n in self.cells.get((i, j), ()):
                    if n not in skip and _overlap(b, self.box(n)):
                        found.append(n)
        return found


def _snap(v: float) -> float:
    return round(v / GRID) * GRID


def is_free(graph: Graph, pos: tuple[float, float], height: float = 64.0, occupied: Occupied | None = None) -> bool:
    occupied = occupied or Occupied(graph)
    return not occupied.hits((pos[0], pos[1], pos[0] + NODE_WIDTH, pos[1] + height))


def make_room(graph: Graph, pos: tuple[float, float], height: float = 64.0, after: str | None = None,
              push: Iterable[str] = (), ignore: Iterable[str] = (),
              occupied: Occupied | None = None) -> tuple[tuple[float, float], dict]:
    """Where a new node wanted at `pos` goes, and which nodes move aside for it.

    Returns (position, {node id: new position}). When the spot is taken, the nodes in `push` (what
    follows the new node) that are in the way move on by one step, along the direction the wires
    from `after` flow, with everything in `push` beyond them; when that would still overlap, the new
    node takes the nearest free spot instead and nothing moves."""
    boxes = occupied or Occupied(graph, ignore)
    x, y = float(pos[0]), float(pos[1])  # not snapped: in line with the layers it was placed by
    new = (x, y, x + NODE_WIDTH, y + height)
    if not boxes.hits(new):
        return (x, y), {}
    moves = _push_aside(graph, boxes, new, after, [n for n in push if n not in boxes.skip])
    if moves is not None:
        return (x, y), moves
    return _nearest_free(boxes, x, y, height), {}


def _push_aside(graph: Graph, boxes: Occupied, new: Box, after: str | None, push: list[str]) -> dict | None:
    if not push:
        return None
    down = False
    if after is not None and after in graph:
        ax, ay = graph.node(after).pos
        down = abs(new[1] - ay) > abs(new[0] - ax)  # the new node sits below what feeds it
    pos = {n: graph.node(n).pos for n in push}
    if down:
        line = [n for n in push if pos[n][1] >= new[1] - MARGIN]  # everything below
        if not line:
            return None
        step = _snap(max(new[3] + MARGIN + 10 - min(pos[n][1] for n in line), 0) + GRID - 1)
        moves = {n: (pos[n][0], pos[n][1] + step) for n in line}
    else:
        top, bottom = new[1] - ROW / 2, new[3] + ROW / 2  # the rest of its row
        near = [n for n in push if pos[n][0] >= new[0] - MARGIN and top - Occupied.TALLEST < pos[n][1] < bottom]
        line = [n for n in near if top < boxes.box(n)[3]]
        if not line:
            return None
        step = _snap(max(new[2] + MARGIN + 30 - min(pos[n][0] for n in line), 0) + GRID - 1)
        moves = {n: (pos[n][0] + step, pos[n][1]) for n in line}
    moved = set(moves)
    if boxes.hits(new, skip=moved):
        return None
    for n, p in moves.items():
        b = box_of(graph, n, p)
        if _overlap(b, new) or boxes.hits(b, skip=moved):
            return None
    return moves


def _nearest_free(boxes: Occupied, x: float, y: float, height: float) -> tuple[float, float]:
    for ring in range(1, 40):
        spots = []
        for i in range(-ring, ring + 1):
            for j in (-ring, ring):
                spots += [(i, j), (j, i)]
        spots.sort(key=lambda s: (s[0] * s[0] + s[1] * s[1], abs(s[1]), s))
        for i, j in spots:
            sx, sy = x + i * GRID * 2, y + j * GRID * 2
            if not boxes.hits((sx, sy, sx + NODE_WIDTH, sy + height)):
                return (sx, sy)
    return (x, boxes.lowest + Occupied.TALLEST + ROW)  # a crowded canvas: below everything


def downstream(graph: Graph, node_id: str) -> list[str]:
    """The node and every node its results reach, in document order."""
    seen = nx.descendants(graph._g, node_id)  # reading the graph's own networkx graph: no copy
    seen.add(node_id)
    return [n for n in graph.node_ids() if n in seen]
