"""Blocks at scale: a 10,000-layer network written out flat against the same network as one 5-layer block
used 2,000 times. Ratios are blocked / flat, measured in the same run (medians of REPEATS):
- open: read the file and work out every shape;
- edit: change one layer's width in all 2,000 units (one edit of the block; 2,000 edits in one group flat);
- group: group 500 units' layers (2,500 nodes) into a block, against deleting them (the baseline edit);
- compile: build the torch module; forward: one batch of 64 through it.
Run: .venv/bin/python bench/bench_blocks.py [units]
"""
import statistics
import sys
import time

import torch

from netbuilder import GraphBuilder, build_model
from netbuilder.analysis import Analysis
from netbuilder.analysis.blocks import group_into_block
from netbuilder.graph import io
from netbuilder.graph.edits import Group, SetParam, remove_nodes
from netbuilder.layers import check_node

REPEATS = 3
KINDS = ["Linear", "ReLU", "BatchNorm1d", "Dropout"]


def unit(b, h):
    start = h
    for k in KINDS:
        h = b.add(k, h, **({"out_features": 32} if k == "Linear" else {}))
    return b.add("Add", h, start)


def flat(units: int):
    b = GraphBuilder()
    h = b.add("Input", shape=[32])
    for _ in range(units):
        h = unit(b, h)
    b.add("Output", h)
    return b.graph


def blocked(units: int):
    inner = GraphBuilder()
    inner.add("Output", unit(inner, inner.add("Input", name="x", shape=[32])), name="out")
    b = GraphBuilder()
    b.define("Unit", inner)
    h = b.add("Input", shape=[32])
    for _ in range(units):
        h = b.add("Block", h, block="Unit")
    b.add("Output", h)
    return b.graph


def median(fn, repeats=REPEATS):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main(units: int) -> None:
    texts = {"flat": io.dumps(flat(units)), "blocked": io.dumps(blocked(units))}
    graphs = {k: io.loads(t, check_node) for k, t in texts.items()}
    analyses = {k: Analysis(g) for k, g in graphs.items()}
    rows = {}

    def open_(kind):
        Analysis(io.loads(texts[kind], check_node)).close()

    rows["open"] = {k: median(lambda k=k: open_(k)) for k in graphs}

    def edit(kind, width):
        g = graphs[kind]
        if kind == "blocked":
            d = g.blocks["Unit"]
            d.apply(SetParam(d, next(n.id for n in d.nodes() if n.type == "Linear"), "out_features", width))
        else:
            g.apply(Group([SetParam(g, n.id, "out_features", width) for n in g.nodes() if n.type == "Linear"]))

    widths = iter(range(33, 10_000))
    rows["edit"] = {k: median(lambda k=k: edit(k, next(widths))) for k in graphs}
    for kind in graphs:
        edit(kind, 32)
        assert not analyses[kind].problems(), analyses[kind].problems()[:1]

    g = graphs["flat"]
    chosen = [n.id for n in g.nodes() if n.type not in ("Input", "Output")][:500 * 5]

    def apply_and_undo(make):
        edit = make()
        g.apply(edit)
        edit.revert(g)

    names = iter(range(1, 10_000))
    rows["group"] = {"blocked": median(lambda: apply_and_undo(
                         lambda: group_into_block(g, analyses["flat"], chosen, f"Chunk{next(names)}")[0])),
                     "flat": median(lambda: apply_and_undo(lambda: remove_nodes(g, chosen)))}
    models = {}
    rows["compile"] = {k: median(lambda k=k: models.__setitem__(k, build_model(graphs[k]).eval()), 1) for k in graphs}
    x = torch.randn(64, 32)
    with torch.no_grad():
        rows["forward"] = {k: median(lambda k=k: models[k](x), 5) for k in graphs}
    print(f"{units} units of {len(KINDS) + 1} layers ({len(graphs['flat'])} nodes flat,"
          f" {len(graphs['blocked'])} blocked)")
    for name, r in rows.items():
        print(f"{name:8s} flat {r['flat'] * 1000:9.1f} ms   blocked {r['blocked'] * 1000:9.1f} ms"
              f"   ratio {r['blocked'] / r['flat']:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
