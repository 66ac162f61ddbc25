"""Layered auto-layout, left to right: each node one column after its furthest input."""
from __future__ import annotations

from typing import Iterable

from .model import Graph

COLUMN = 220.0
ROW = 120.0


def layered_positions(graph: Graph, node_ids: Iterable[str] | None = None) -> dict[str, tuple[float, float]]:
    """New positions for the given nodes (all by default), keeping their top-left corner."""
    ids = list(graph.node_ids() if node_ids is None else node_ids)
    chosen = set(ids)
    if not ids:
        return {}
    order = [n for n in _order(graph) if n in chosen]
    column: dict[str, int] = {}
    for n in order:
        preds = [e.src for e in graph.in_edges(n) if e.src in chosen and e.src in column]
        column[n] = 1 + max((column[p] for p in preds), default=-1)
    columns: dict[int, list[str]] = {}
    for n in order:
        columns.setdefault(column[n], []).append(n)
    row: dict[str, float] = {}
    for c in sorted(columns):
        def barycentre(n):
            preds = [row[e.src] for e in graph.in_edges(n) if e.src in row]
            return sum(preds) / len(preds) if preds else float(order.index(n))
        members = sorted(columns[c], key=barycentre)
        for i, n in enumerate(members):
            row[n] = float(i)
    x0 = min(graph.node(n).pos[0] for n in ids)
    y0 = min(graph.node(n).pos[1] for n in ids)
    tallest = max(len(m) for m in columns.values())
    positions = {}
    for c, members in columns.items():
        shift = (tallest - len(members)) * ROW / 2
        for n in members:
            positions[n] = (x0 + c * COLUMN, y0 + shift + row[n] * ROW)
    return positions


def _order(graph: Graph) -> list[str]:
    try:
        return graph.topological_order()
    except Exception:  # a cycle: fall back to document order
        return graph.node_ids()
