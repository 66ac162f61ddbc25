"""Code layers in a 10,000-node document: the analysis must not get slower for having them, because each
Code layer's code runs only when its code, its args or its input type change (a cache), never on an
unrelated edit.

    .venv/bin/python bench/bench_code_layer.py

The document is bench_shapes.py's chain of residual, two-branch and gated blocks, at 10,000 nodes. In the
"code" variant, the ReLU of every 25th residual block (20 nodes) is a Code layer running a Swish with a
learned beta, each with its own beta argument (written by the user: trusted); the "plain" variant is the
same document without them.
Printed, as ratios code / plain measured in the same run (medians of interleaved rounds):
  full pass      Analysis(graph) with the cache warm (a second window, a reopened document)
  set_param      SetParam(out_features) of the Linear feeding a Code layer, and its undo: the Code layer's
                 input changes 128 <-> 96; after the first round both shapes are cached
  unrelated      SetParam(p) of a Dropout far from any Code layer, and its undo
and the full pass with the cache cleared (the code runs once per Code layer), the process's first one
(torch imported before it is timed, but not yet torch._dynamo, which torch's meta device imports on first
use: the inspector's parameter count pays the same once), and how many times the code ran during the timed
edits (0 expected: every run there is a cache miss).
"""
from __future__ import annotations

import gc
import importlib
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_shapes import make_graph  # noqa: E402

from netbuilder.analysis import Analysis  # noqa: E402
from netbuilder.graph import trust  # noqa: E402
from netbuilder.graph.edits import SetParam  # noqa: E402
from netbuilder.layers import CATALOG  # noqa: E402
from netbuilder.layers import code as code_layer  # noqa: E402

N_NODES = 10_000
EVERY = 25  # one residual block in EVERY has a Code layer
ROUNDS = 9
EDITS_PER_ROUND = 5
SWISH = '''\
def __init__(self, beta=1.0):
    super().__init__()
    self.beta = nn.Parameter(torch.tensor(float(beta)))

def forward(self, x):
    return x * torch.sigmoid(self.beta * x)
'''


def documents():
    """(plain graph, code graph, the Linear before a Code layer, a Dropout far from any, number of Code layers)."""
    plain, _ = make_graph(N_NODES)
    builder, ids = make_graph(N_NODES)
    graph = builder.graph
    coded = []
    for first in ids["firsts"][::EVERY]:  # Linear -> BatchNorm1d -> ReLU: that ReLU becomes a Code layer
        relu = graph.out_edges(graph.out_edges(first)[0].dst)[0].dst
        node = graph.node(relu)
        assert node.type == "ReLU"
        args = {"beta": 1.0 + len(coded) / 100}
        node.type, node.params = "Code", CATALOG["Code"].defaults() | {"code": SWISH, "args": args}  # no Analysis yet
        coded.append(first)
    lone = next(ids["firsts"][i] for i in range(len(ids["firsts"])) if i % EVERY == EVERY // 2)
    dropout = graph.out_edges(graph.out_edges(graph.out_edges(lone)[0].dst)[0].dst)[0].dst
    assert graph.node(dropout).type == "Dropout"
    return plain.graph, graph, coded[len(coded) // 2], dropout, len(coded)


def main() -> int:
    trust.trust([SWISH], remember=False)  # typed by the user in this session
    plain, graph, feeding, dropout, count = documents()
    runs = {"count": 0}
    original = code_layer._run

    def counted(*args):
        runs["count"] += 1
        return original(*args)

    code_layer._run = counted
    importlib.import_module("torch")  # imported by the first Code layer otherwise: not what is measured

    t0 = time.perf_counter()
    analysis = Analysis(graph)
    first = time.perf_counter() - t0
    assert analysis.ok(), analysis.problems()[:3]
    code_layer.clear_cache()
    runs["count"] = 0
    t0 = time.perf_counter()
    Analysis(graph).close()
    cold = time.perf_counter() - t0
    cold_runs = runs["count"]
    plain_analysis = Analysis(plain)
    plain_feeding = next(n for n in plain.node_ids() if plain.node(n).name == graph.node(feeding).name)
    plain_dropout = next(n for n in plain.node_ids() if plain.node(n).name == graph.node(dropout).name)

    def edit_time(g, node, name, a, b) -> float:
        """Apply and undo one SetParam, seconds."""
        edit = SetParam(g, node, name, b if g.node(node).params[name] == a else a)
        t0 = time.perf_counter()
        g.apply(edit)
        edit.revert(g)
        return time.perf_counter() - t0

    for g, f, d in ((graph, feeding, dropout), (plain, plain_feeding, plain_dropout)):  # warm up: fill the cache
        edit_time(g, f, "out_features", 128, 96)
        edit_time(g, d, "p", 0.1, 0.2)
    runs["count"] = 0
    samples = {k: [] for k in ("full code", "full plain", "set_param code", "set_param plain",
                               "unrelated code", "unrelated plain")}
    gc.collect()
    gc.disable()
    try:
        for r in range(ROUNDS):
            order = (("code", graph, feeding, dropout), ("plain", plain, plain_feeding, plain_dropout))
            for variant, g, f, d in order if r % 2 == 0 else order[::-1]:
                t0 = time.perf_counter()
                Analysis(g).close()
                samples[f"full {variant}"].append(time.perf_counter() - t0)
                for _ in range(EDITS_PER_ROUND):
                    samples[f"set_param {variant}"].append(edit_time(g, f, "out_features", 128, 96))
                    samples[f"unrelated {variant}"].append(edit_time(g, d, "p", 0.1, 0.2))
    finally:
        gc.enable()
        code_layer._run = original
    timed_runs = runs["count"]
    analysis.close()
    plain_analysis.close()

    ms = {k: 1000 * statistics.median(v) for k, v in samples.items()}
    print(f"a {len(graph):,}-node document with {count} Code layers vs the same without (medians of {ROUNDS} rounds)")
    print(f"{'measurement':<34}{'code ms':>9}{'plain ms':>10}{'ratio':>8}")
    for what in ("full", "set_param", "unrelated"):
        label = {"full": "full pass, cache warm", "set_param": "set_param + undo (through a Code)",
                 "unrelated": "unrelated edit + undo"}[what]
        code_ms, plain_ms = ms[f"{what} code"], ms[f"{what} plain"]
        print(f"{label:<34}{code_ms:>9.2f}{plain_ms:>10.2f}{code_ms / plain_ms:>8.2f}")
    print(f"{'full pass, cache cold':<34}{1000 * cold:>9.1f}{ms['full plain']:>10.2f}"
          f"{1000 * cold / ms['full plain']:>8.2f}  (the code ran {cold_runs} times)")
    print(f"{'the first full pass of the process':<34}{1000 * first:>9.1f}{ms['full plain']:>10.2f}"
          f"{1000 * first / ms['full plain']:>8.2f}  (torch's meta device imports torch._dynamo on first use)")
    print(f"code runs during the {ROUNDS * EDITS_PER_ROUND * 2 * 2} timed edits and {ROUNDS} full passes:"
          f" {timed_runs} (0 expected)")
    ok = timed_runs == 0 and ms["unrelated code"] / ms["unrelated plain"] < 1.5 and \
        ms["full code"] / ms["full plain"] < 1.5
    print("PASS" if ok else "FAIL: the Code layers slow the analysis down")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
