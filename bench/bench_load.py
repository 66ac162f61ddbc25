"""Opening and checking big documents of 1,000, 10,000 and 100,000 layers, in two shapes: a chain (one network,
every layer wired) and a wide document of Linear layers with no wires at all (as many networks as layers, each
with an input to report and a fix to offer). For each: load (JSON -> graph, every node and wire checked), a full
analysis (shapes and problems), and `netbuilder check` on the generated file (the command in this process, its
output thrown away). Time per layer should stay about constant (issue 11: loading a chain was quadratic, 100,000
layers did not open in 400 s; issue 26: checking the wide document was quadratic, 32,000 layers took 184 s).
Run: .venv/bin/python bench/bench_load.py [chain] [wide]   (both shapes when none is named)
The check's CPU seconds are printed beside its wall seconds: on a busy machine they say more.
"""
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path

from netbuilder import GraphBuilder
from netbuilder.analysis import Analysis
from netbuilder.cli.commands import main as cli
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


def wide(n: int):
    """n Linear layers and not one wire: each has an input that is not connected and a network with no Output."""
    b = GraphBuilder()
    for i in range(n):
        b.add("Linear", pos=(float(i % 100) * 200, float(i // 100) * 100), out_features=16)
    return b.graph


def measure(shape, n: int, folder: Path):
    path = folder / f"{shape.__name__}{n}.json"
    shape(n).save(path)
    started = time.perf_counter()
    graph = load(path, check_node)
    loaded = time.perf_counter()
    analysis = Analysis(graph)
    problems = analysis.problems()
    analysed = time.perf_counter()
    analysis.close()
    cpu = time.process_time()
    with open(os.devnull, "w") as null, contextlib.redirect_stdout(null), contextlib.redirect_stderr(null):
        code = cli(["check", str(path)])
    checked = time.perf_counter()
    measure.cpu = time.process_time() - cpu
    errors = [p for p in problems if p.severity == "error"]
    assert len(graph) == n
    assert (code, len(errors)) == ((0, 0) if shape is chain else (1, 2 * n)), (code, len(errors))
    return loaded - started, analysed - loaded, checked - analysed


def main() -> int:
    sys.setrecursionlimit(10_000)
    folder = Path(tempfile.mkdtemp())
    measure(wide, 10, folder)  # the command's first run imports torch: not a cost of the document
    worst = 0.0
    print(f"{'document':>9} {'layers':>8} {'load s':>7} {'analyse s':>9} {'check s':>8} {'check cpu s':>11}"
          f" {'us/layer':>9} {'check us/layer':>14} {'vs 1,000':>9}")
    shapes = [s for s in (chain, wide) if s.__name__ in sys.argv[1:]] or [chain, wide]
    for shape in shapes:
        base = None
        for n in SIZES:
            load_s, analyse_s, check_s = measure(shape, n, folder)
            per = (load_s + analyse_s) / n
            base = base or per
            worst = max(worst, per / base)
            print(f"{shape.__name__:>9} {n:8,} {load_s:7.2f} {analyse_s:9.2f} {check_s:8.2f} {measure.cpu:11.2f}"
                  f" {per * 1e6:9.1f}"
                  f" {check_s / n * 1e6:14.1f} {per / base:9.2f}")
    ok = worst < 2.0
    print(f"{'PASS' if ok else 'FAIL'}: time per layer (load and analysis) at most {worst:.2f}x the 1,000-layer"
          " document's of the same shape (target < 2)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
