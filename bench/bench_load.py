"""Opening and checking big documents: load (JSON -> graph, every node and wire checked) and a full analysis
(shapes and problems) of chains of 1,000, 10,000 and 100,000 nodes. Time per node should stay about
constant (issue 11: loading was quadratic, 100,000 nodes did not open in 400 s).
Run: .venv/bin/python bench/bench_load.py
"""
import sys
import tempfile
import time
from pathlib import Path

from netbuilder import GraphBuilder
from netbuilder.analysis import Analysis
from netbuilder.graph.io import load
from netbuilder.layers import check_node

SIZES = (1_000, 10_000, 100_000)


def chain(n: int):
    b = GraphBuilder()
    h = b.add("Input", shape=[16], pos=(0.0, 0.0))
    for i in range(n - 2):
        h = b.add("Linear" if i % 2 == 0 else "ReLU", h, pos=(float(i), 0.0),
                  **({"out_features": 16} if i % 2 == 0 else {}))
    b.add("Output", h, pos=(float(n), 0.0))
    return b.graph


def main() -> int:
    sys.setrecursionlimit(10_000)
    folder = Path(tempfile.mkdtemp())
    rows = []
    for n in SIZES:
        path = folder / f"chain{n}.json"
        chain(n).save(path)
        started = time.perf_counter()
        graph = load(path, check_node)
        loaded = time.perf_counter()
        analysis = Analysis(graph)
        problems = analysis.problems()
        checked = time.perf_counter()
        analysis.close()
        assert len(graph) == n and not [p for p in problems if p.severity == "error"]
        rows.append((n, loaded - started, checked - loaded))
    base = (rows[0][1] + rows[0][2]) / rows[0][0]
    print(f"{'nodes':>8} {'load s':>8} {'check s':>8} {'us/node':>8} {'vs 1,000':>9}")
    for n, load_s, check_s in rows:
        per = (load_s + check_s) / n
        print(f"{n:8,} {load_s:8.2f} {check_s:8.2f} {per * 1e6:8.1f} {per / base:9.2f}")
    worst = max((r[1] + r[2]) / r[0] for r in rows) / base
    ok = worst < 2.0
    print(f"{'PASS' if ok else 'FAIL'}: time per node at most {worst:.2f}x the 1,000-node document's (target < 2)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
