"""The window stays responsive while the Inside and Boundary tabs redraw during training: the CNN template
with the Inside tab shown (a layer selected: its histograms are redrawn every epoch), then an MLP on moons
with the Boundary tab shown (the boundary, or a hidden unit's map, repainted every epoch). A 5 ms QTimer
probes the event loop (bench_responsive.probe); the baseline in the same run is the idle window.
Target (issue 13): 99th percentile stall under 16 ms while the views update.
Run: .venv/bin/python bench/bench_views.py
"""
import os
import sys
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["NETBUILDER_CONFIG_DIR"] = tempfile.mkdtemp()

from bench_responsive import probe, summary  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from netbuilder import GraphBuilder  # noqa: E402
from netbuilder.graph import SetMeta  # noqa: E402
from netbuilder.ui.app import DEFAULT_TEMPLATE  # noqa: E402
from netbuilder.ui.document import Document  # noqa: E402
from netbuilder.ui.main_window import MainWindow  # noqa: E402
from netbuilder.ui.training.worker import warm_up_in_background  # noqa: E402


def moons_mlp():
    b = GraphBuilder()
    h = b.add("ReLU", b.add("Linear", b.add("Input", shape=[2]), name="hidden", out_features=32))
    b.add("Output", b.add("Linear", h, name="classes", out_features=2))
    b.graph.meta["data"] = {"source": "moons", "options": {"n": 2000}}
    return b.graph


def trained(app, document, tab: str, layer: str, epochs: int):
    window = MainWindow(document)
    window.resize(1280, 900)
    window.show()
    window.save_to(os.path.join(tempfile.mkdtemp(), "doc.json"))
    graph = window.document.graph
    window.document.push(SetMeta(graph, "training", {**graph.meta.get("training", {}), "epochs": epochs,
                                                     "batch_size": 32}))
    panel = window.training
    panel.tabs.setCurrentWidget(getattr(panel, tab))
    window.scene.select_nodes([graph.by_name(layer).id])
    probe(app, 1.0)
    window.start_training()
    gaps = probe(app, None, until=lambda: window.training.result is not None)
    status = window.training.result.status
    window.document.undo_stack.setClean()
    window.ask_save_changes = lambda: "discard"  # its runs stay in the app's folder; nobody to ask
    window.close()
    return gaps, status


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    warm_up_in_background()
    probe(app, 2.0)
    idle = summary(probe(app, 2.0))
    rows = [("idle", idle, "")]
    for name, document, tab, layer, epochs in [
            ("CNN, Inside tab", Document.from_template(DEFAULT_TEMPLATE), "inside", "conv1", 12),
            ("MLP/moons, Boundary", Document(moons_mlp()), "boundary", "hidden", 40)]:
        gaps, status = trained(app, document, tab, layer, epochs)
        rows.append((name, summary(gaps), status))
    print(f"{'':22}{'longest':>9}{'p99':>8}{'median':>8}{'p99 ratio':>11}  (ms)")
    for name, (longest, p99, median), status in rows:
        print(f"{name:22}{longest:9.1f}{p99:8.1f}{median:8.1f}{p99 / idle[1]:11.2f}  {status}")
    ok = all(p99 < 16 for _, (_, p99, _), _ in rows)
    print(f"{'PASS' if ok else 'FAIL'}: p99 under 16 ms while the views update")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
