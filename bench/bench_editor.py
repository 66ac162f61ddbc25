"""Editor numbers: open and draw a 1,000-node graph; add and connect one node with 1,000 present;
insert a layer on a wire and replace a layer in a 10,000-node graph, against add + connect there.

Targets (issue 3): open + draw under 1 s; add + connect + shapes + redraw under 16 ms.
Printed as absolute medians and as ratios to a baseline measured in the same run: the same
work on the 12-node CNN template (so the ratio shows how the cost grows with graph size).
Run: .venv/bin/python bench/bench_editor.py
"""
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("NETBUILDER_CONFIG_DIR", tempfile.mkdtemp())

from PySide6.QtWidgets import QApplication  # noqa: E402

from netbuilder import GraphBuilder  # noqa: E402
from netbuilder.graph import AddNode, Connect, Edge, Group  # noqa: E402
from netbuilder.layers import new_node  # noqa: E402
from netbuilder.ui.app import DEFAULT_TEMPLATE  # noqa: E402
from netbuilder.ui.document import Document  # noqa: E402
from netbuilder.ui.main_window import MainWindow  # noqa: E402

REPEATS = 5


def big_graph(path: Path, count: int = 1000) -> None:
    """A long MLP of blocks with residual merges, laid out in rows of 25."""
    b = GraphBuilder()
    h = b.add("Input", shape=[32])
    kinds = ["Linear", "ReLU", "BatchNorm1d", "Dropout"]
    while len(b.graph) < count - 2:
        start = h
        for k in kinds:
            h = b.add(k, h, **({"out_features": 32} if k == "Linear" else {}))
        h = b.add("Add", h, start)
    b.add("Output", h)
    for i, node in enumerate(b.graph.nodes()):
        node.pos = ((i % 25) * 240.0, (i // 25) * 140.0)
    b.graph.save(path)


def open_and_draw(app, window, path: Path) -> float:
    t = time.perf_counter()
    window.set_document(Document.open(str(path)) if path != DEFAULT_TEMPLATE else Document.from_template(path))
    window.view.fit()
    app.processEvents()
    window.view.viewport().repaint()
    return time.perf_counter() - t


def timed_edit(app, window, edit) -> float:
    """Seconds from an edit to its redraw (shapes included); the edit is undone after."""
    t = time.perf_counter()
    edit()
    app.processEvents()
    window.view.viewport().repaint()
    elapsed = time.perf_counter() - t
    window.document.undo_stack.undo()
    app.processEvents()
    return elapsed


def add_and_connect(app, window) -> float:
    graph = window.document.graph
    last = graph.node_ids()[-2]  # the node feeding the Output

    def edit():
        node = new_node(graph, "ReLU", (graph.node(last).pos[0], graph.node(last).pos[1] + 100))
        window.scene.push(Group([AddNode(node), Connect(Edge(last, "out", node.id, "in"))], "Add"))
    return timed_edit(app, window, edit)


def in_place(app, window, what: str) -> float:
    """Insert a Dropout on the wire into a ReLU in the middle, or replace that ReLU with a GELU:
    build (room for the new layer included), apply, shapes, redraw; then undo."""
    graph = window.document.graph
    ids = graph.node_ids()
    relu = next(n for n in ids[len(ids) // 2:] if graph.node(n).type == "ReLU")
    if what == "insert":
        return timed_edit(app, window, lambda: window.scene.insert_on_wire(graph.in_edges(relu)[0], "Dropout"))
    return timed_edit(app, window, lambda: window.scene.replace_node(relu, "GELU"))


def in_place_numbers(app, window, path: Path) -> dict:
    window.set_document(Document.open(str(path)))
    graph = window.document.graph
    window.view.resetTransform()
    window.view.centerOn(window.scene.node_items[graph.node_ids()[len(graph) // 2]])
    app.processEvents()
    times = {"add + connect": [], "insert": [], "replace": []}
    for _ in range(REPEATS):  # interleaved with the baseline
        times["add + connect"].append(add_and_connect(app, window))
        times["insert"].append(in_place(app, window, "insert"))
        times["replace"].append(in_place(app, window, "replace"))
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    window = MainWindow()
    window.resize(1280, 800)
    window.show()
    app.processEvents()
    path = Path(tempfile.mkdtemp()) / "big.json"
    big_graph(path)
    opens = {"small": [], "big": []}
    edits = {"small": [], "big": []}
    for _ in range(REPEATS):  # interleave baseline and measurement
        for name, source in (("small", DEFAULT_TEMPLATE), ("big", path)):
            opens[name].append(open_and_draw(app, window, source))
            window.view.resetTransform()
            window.view.centerOn(window.scene.node_items[window.document.graph.node_ids()[-1]])
            app.processEvents()
            edits[name].append(statistics.median(add_and_connect(app, window) for _ in range(7)))
    med = {k: statistics.median(v) for k, v in opens.items()}
    emed = {k: statistics.median(v) for k, v in edits.items()}
    print(f"nodes: {len(window.document.graph)}")
    print(f"{'':28}{'12-node template':>18}{'1,000 nodes':>14}{'ratio':>8}")
    print(f"{'open + draw (median)':28}{med['small'] * 1e3:15.1f} ms{med['big'] * 1e3:11.1f} ms"
          f"{med['big'] / med['small']:8.1f}")
    print(f"{'add + connect + redraw':28}{emed['small'] * 1e3:15.2f} ms{emed['big'] * 1e3:11.2f} ms"
          f"{emed['big'] / emed['small']:8.1f}")
    ok = med["big"] < 1.0 and emed["big"] < 0.016
    print(f"{'PASS' if ok else 'FAIL'}: open+draw {med['big']:.3f} s (target < 1 s), "
          f"add+connect {emed['big'] * 1e3:.1f} ms (target < 16 ms)")
    huge = path.with_name("huge.json")
    big_graph(huge, 10000)
    numbers = in_place_numbers(app, window, huge)
    base = numbers["add + connect"]
    print(f"10,000 nodes: {'':16}{'median':>10}{'ratio':>8}")
    for name, value in numbers.items():
        print(f"{name:30}{value * 1e3:7.1f} ms{value / base:8.1f}")
    window.document.undo_stack.setClean()
    window.ask_save_changes = lambda: "discard"  # its runs stay in the app's folder; nobody to ask
    window.ask_save_changes = lambda: "discard"
    window.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
