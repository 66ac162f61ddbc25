"""Shape inference on a 1,000-node document: a full pass, and the incremental update after one edit.

    .venv/bin/python bench/bench_shapes.py

Targets (absolute, so also printed as a ratio to the full pass measured in the same run):
  full pass (Analysis(graph))                                        < 100 ms
  each edit below, and its undo, with the Analysis subscribed         < 5 ms

The document is a chain of 1,000 nodes with skip connections (Add), two-branch blocks joined by
Concatenate and gated blocks (Multiply), using Linear, BatchNorm1d, LayerNorm, ReLU, GELU, Tanh,
Sigmoid and Dropout. Edits timed, each undone (reverted) between repeats so the document stays
the same:
  set_param    SetParam(out_features) of a Linear in the middle (128 <-> 96; the change flows
               through BatchNorm1d, ReLU, Dropout and stops at the next Linear)
  add_at_end   Group(AddNode(ReLU), Connect(last hidden layer -> it)), i.e. one palette drop + wire
  insert_mid   insert_between: a new ReLU put on a wire in the middle of the chain
"median ms" is graph.apply(edit) with the Analysis subscribed, "undo ms" is edit.revert(graph)
(also one edit), "doc only" is graph.apply(edit) with no Analysis subscribed (the document's own
cost); the difference is what the incremental update costs. Timings are medians over
interleaved rounds. Pure Python: no torch threads involved.
"""
from __future__ import annotations

import gc
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from netbuilder import GraphBuilder  # noqa: E402
from netbuilder.analysis import Analysis  # noqa: E402
from netbuilder.graph.edits import AddNode, Connect, Group, SetParam, insert_between  # noqa: E402
from netbuilder.graph.model import Edge  # noqa: E402
from netbuilder.layers import new_node  # noqa: E402

N_NODES = 1000
FULL_TARGET_MS = 100.0
EDIT_TARGET_MS = 5.0
ROUNDS = 15          # interleaved rounds; each times one full pass and every edit
EDITS_PER_ROUND = 10  # apply/revert pairs per edit per round


def make_graph(n_nodes: int = N_NODES):
    """A 1,000-node chain of residual, two-branch and gated blocks; returns (builder, ids)."""
    b = GraphBuilder()
    h = b.add("Input", shape=[64])
    block = 0
    firsts = []  # the first Linear of each residual block (hidden width 128)
    while len(b.graph) < n_nodes - 8:
        kind = block % 3
        if kind == 0:  # residual: Linear-BN-ReLU-Dropout-Linear-LayerNorm + Add skip
            a = b.add("Linear", h, out_features=128)
            firsts.append(a)
            a = b.add("BatchNorm1d", a)
            a = b.add("ReLU", a)
            a = b.add("Dropout", a, p=0.1)
            a = b.add("Linear", a, out_features=64)
            a = b.add("LayerNorm", a)
            h = b.add("Add", h, a)
        elif kind == 1:  # two branches joined by Concatenate, back to 64
            left = b.add("GELU", b.add("Linear", h, out_features=32))
            right = b.add("Tanh", b.add("Linear", h, out_features=32))
            a = b.add("Concatenate", left, right)
            a = b.add("Dropout", b.add("Linear", a, out_features=64), p=0.1)
            h = b.add("LayerNorm", a)
        else:  # gate: h * sigmoid(Linear(h)), then BatchNorm1d and ReLU
            gate = b.add("Sigmoid", b.add("Linear", h, out_features=64))
            h = b.add("ReLU", b.add("BatchNorm1d", b.add("Multiply", h, gate)))
        block += 1
    while len(b.graph) < n_nodes - 1:
        h = b.add("ReLU", h)
    out = b.add("Output", h)
    return b, dict(firsts=firsts, last=h, output=out)


def check_same(analysis: Analysis, graph) -> None:
    """The incrementally updated results equal a fresh full pass."""
    fresh = Analysis(graph)
    try:
        for n in graph.node_ids():
            assert analysis.output(n) == fresh.output(n), n
            assert analysis.inputs(n) == fresh.inputs(n), n
            assert analysis.node_problems(n) == fresh.node_problems(n), n
    finally:
        fresh.close()


def main() -> int:
    builder, ids = make_graph()
    graph = builder.graph
    assert len(graph) == N_NODES, len(graph)
    analysis = Analysis(graph)
    assert analysis.ok(), analysis.problems()[:3]

    mid = ids["firsts"][len(ids["firsts"]) // 2]
    mid_edge = next(e for e in graph.out_edges(mid))  # Linear -> BatchNorm1d, in the middle
    last = ids["last"]

    add_node = new_node(graph, "ReLU", (0.0, 0.0))
    insert_node = new_node(graph, "ReLU", (0.0, 0.0))  # never in the graph with add_node
    edits = {
        "set_param": SetParam(graph, mid, "out_features", 96),
        "add_at_end": Group([AddNode(add_node), Connect(Edge(last, "out", add_node.id, "in"))],
                            "Add ReLU"),
        "insert_mid": insert_between(graph, mid_edge, insert_node, "in", "out"),
    }
    samples = {name: {"analysis": [], "doc": [], "undo": []} for name in edits}
    full, refresh, make_node = [], [], []

    def time_edit(edit) -> tuple[float, float]:
        """(apply, undo) seconds of one edit."""
        t0 = time.perf_counter()
        graph.apply(edit)
        t1 = time.perf_counter()
        edit.revert(graph)
        return t1 - t0, time.perf_counter() - t1

    # warm up
    for edit in edits.values():
        for _ in range(3):
            time_edit(edit)
    check_same(analysis, graph)

    gc.collect()
    gc.disable()
    try:
        for r in range(ROUNDS):
            t0 = time.perf_counter()
            a = Analysis(graph)
            full.append(time.perf_counter() - t0)
            a.close()
            t0 = time.perf_counter()
            analysis.refresh()
            refresh.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            new_node(graph, "ReLU", (0.0, 0.0))
            make_node.append(time.perf_counter() - t0)
            # alternate which condition goes first each round
            conditions = ("analysis", "doc") if r % 2 == 0 else ("doc", "analysis")
            for cond in conditions:
                if cond == "doc":
                    analysis.close()
                for name, edit in edits.items():
                    for _ in range(EDITS_PER_ROUND):
                        apply_s, undo_s = time_edit(edit)
                        samples[name][cond].append(apply_s)
                        if cond == "analysis":
                            samples[name]["undo"].append(undo_s)
                if cond == "doc":
                    analysis = Analysis(graph)
    finally:
        gc.enable()
    check_same(analysis, graph)  # the incremental results after all those edits are right

    ms = lambda xs: 1000 * statistics.median(xs)  # noqa: E731
    full_ms = ms(full)
    print(f"shape inference on a {len(graph)}-node document ({len(graph.edges())} wires); "
          f"medians of {ROUNDS} rounds x {EDITS_PER_ROUND} edits")
    print(f"{'measurement':<30}{'median ms':>10}{'/ full':>8}{'undo ms':>9}{'doc only':>10}  target")
    print(f"{'full pass: Analysis(graph)':<30}{full_ms:>10.2f}{1.0:>8.3f}{'':>19}  < 100 ms")
    print(f"{'full pass: analysis.refresh()':<30}{ms(refresh):>10.2f}{ms(refresh) / full_ms:>8.3f}")
    ok = full_ms < FULL_TARGET_MS
    slowest, slowest_name = 0.0, ""
    for name in edits:
        apply_ms, undo_ms = ms(samples[name]["analysis"]), ms(samples[name]["undo"])
        doc_ms = ms(samples[name]["doc"])
        if max(apply_ms, undo_ms) > slowest:
            slowest = max(apply_ms, undo_ms)
            slowest_name = name + (" undo" if undo_ms > apply_ms else "")
        print(f"{'edit ' + name:<30}{apply_ms:>10.3f}{apply_ms / full_ms:>8.3f}{undo_ms:>9.3f}"
              f"{doc_ms:>10.3f}  < 5 ms{'' if max(apply_ms, undo_ms) < EDIT_TARGET_MS else '  OVER'}")
    ok &= slowest < EDIT_TARGET_MS
    print(f"{'new_node() (id + unique name)':<30}{ms(make_node):>10.3f}{ms(make_node) / full_ms:>8.3f}")
    print(("PASS" if ok else "FAIL") + f": full pass {full_ms:.1f} ms (target < {FULL_TARGET_MS:.0f} ms);"
          f" slowest edit or undo {slowest:.2f} ms, {slowest_name} (target < {EDIT_TARGET_MS:.0f} ms)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
