"""Render the editor offscreen into assets/screenshots/ (run: .venv/bin/python scripts/screenshots.py)."""
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["NETBUILDER_CONFIG_DIR"] = tempfile.mkdtemp()  # default layout, no recent files

from PySide6.QtWidgets import QApplication  # noqa: E402

from PySide6.QtCore import Qt  # noqa: E402

from netbuilder import GraphBuilder  # noqa: E402
from netbuilder.graph import Connect, Edge, Group, SetMeta, remove_nodes  # noqa: E402
from netbuilder.ui.app import DEFAULT_TEMPLATE, TEMPLATES  # noqa: E402
from netbuilder.ui.document import Document  # noqa: E402
from netbuilder.ui.gallery import Gallery  # noqa: E402
from netbuilder.ui.main_window import MainWindow  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "assets" / "screenshots"


def settle(app) -> None:
    for _ in range(5):
        app.processEvents()


def train_and_grab(app, document, tab: int, name: str, runs: list[dict] | None = None) -> None:
    """Train the document in a window (once, or once per settings in `runs`, each run named after its
    learning rate) and save a picture of it with the given Training tab."""
    window = MainWindow(document)
    window.resize(1280, 900)
    window.show()
    window.resizeDocks([window.docks["Training"]], [360], Qt.Orientation.Vertical)
    settle(app)
    window.fit()
    for settings in runs or [None]:
        if settings is not None:
            window.document.push(SetMeta(window.document.graph, "training", settings))
        window.controller.result = None
        window.start_training()
        while window.training.result is None:
            app.processEvents()
        if settings is not None:
            window.document.runs.rename(window.document.runs.current.id, f"lr {settings['lr']:g}")
    window.training.tabs.setCurrentIndex(tab)
    settle(app)
    for view in (window.training.loss_plot, window.training.acc_plot, window.training.lr_plot):
        view.redraw()
    settle(app)
    window.grab().save(str(OUT / name))
    window.ask_save_changes = lambda: "discard"
    window.close()


def sweep_and_grab(app) -> None:
    from netbuilder.tune.sweep import SweepSpec, parse_vary

    window = MainWindow(Document.from_template(TEMPLATES / "mlp_digits.json"))
    window.resize(1280, 900)
    window.show()
    window.resizeDocks([window.docks["Training"]], [420], Qt.Orientation.Vertical)
    graph = window.document.graph
    window.document.push(SetMeta(graph, "training", {**graph.meta["training"], "epochs": 6}))
    settle(app)
    window.fit()
    spec = SweepSpec([parse_vary("lr=1e-4..3e-1:log", graph), parse_vary("hidden.out_features=8,32,128", graph)],
                     trials=12, sampler="tpe", prune=True)
    window.training.start_sweep(spec)
    window.docks["Training"].raise_()
    window.training.tabs.setCurrentWidget(window.training.sweep_view)
    while window.training.running:
        app.processEvents()
    settle(app)
    window.training.sweep_view.redraw()
    settle(app)
    window.grab().save(str(OUT / "sweep.png"))
    window.ask_save_changes = lambda: "discard"
    window.close()


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv)
    OUT.mkdir(parents=True, exist_ok=True)
    window = MainWindow(Document.from_template(DEFAULT_TEMPLATE))
    window.resize(1280, 800)
    window.show()
    settle(app)
    window.fit()
    graph = window.document.graph
    window.scene.select_nodes([graph.by_name("conv2").id])
    settle(app)
    window.grab().save(str(OUT / "editor.png"))

    # A mistake and its fix: wire pool2 straight into fc1, skipping Flatten.
    flatten, pool2, fc1 = (graph.by_name(n).id for n in ("flatten1", "pool2", "fc1"))
    edit = remove_nodes(graph, [flatten])
    window.document.push(Group(edit.edits + [Connect(Edge(pool2, "out", fc1, "in"))], "Skip Flatten"))
    window.scene.select_nodes([fc1])
    settle(app)
    window.grab().save(str(OUT / "problem.png"))
    window.ask_save_changes = lambda: "discard"
    window.close()

    # Training the template twice: the run list, and both runs' loss and accuracy overlaid.
    template = Document.from_template(DEFAULT_TEMPLATE)
    train_and_grab(app, template, tab=0, name="training.png",
                   runs=[{"epochs": 8, "lr": lr, "batch_size": 32} for lr in (0.003, 0.0003)])
    template = Document.from_template(DEFAULT_TEMPLATE)
    template.graph.meta["training"] = {"epochs": 6, "lr": 0.003, "batch_size": 32}
    train_and_grab(app, template, tab=2, name="evaluation.png")

    # A sweep of the MLP template's learning rate and hidden width: the Sweep tab.
    sweep_and_grab(app)

    # A deep sigmoid MLP: the gradient views show the gradient vanishing toward the input.
    b = GraphBuilder()
    h = b.add("Linear", b.add("Flatten", b.add("Input", shape=[1, 8, 8])), out_features=32)
    for _ in range(6):
        h = b.add("Sigmoid", b.add("Linear", h, out_features=32))
    b.add("Output", b.add("Linear", h, name="classes", out_features=10))
    for i, node in enumerate(b.graph.nodes()):
        node.pos = ((i % 5) * 250.0, (i // 5) * 130.0)
    b.graph.meta["training"] = {"epochs": 8, "optimizer": "sgd", "lr": 0.01}
    train_and_grab(app, Document(b.graph), tab=1, name="gradients.png")

    # A GAN on the ring of Gaussians: generated points over the real ones.
    train_and_grab(app, Document.from_template(TEMPLATES / "gan_ring.json"), tab=3, name="gan.png")

    # The Data panel on the two moons: a scatter of the samples and the class balance.
    window = MainWindow(Document.from_template(DEFAULT_TEMPLATE))
    window.resize(1280, 900)
    window.show()
    window.resizeDocks([window.docks["Data"]], [430], Qt.Orientation.Vertical)
    window.show_data()
    settle(app)
    window.fit()
    window.data.source.setCurrentText("moons")
    settle(app)
    window.grab().save(str(OUT / "data.png"))
    window.ask_save_changes = lambda: "discard"
    window.close()

    gallery = Gallery()
    gallery.show()
    settle(app)
    gallery.grab().save(str(OUT / "gallery.png"))
    gallery.close()
    for png in sorted(OUT.glob("*.png")):
        print("wrote", png)


if __name__ == "__main__":
    main()
