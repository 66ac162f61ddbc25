"""Import the VAE and the character language model of tests/fixtures/ with `netbuilder import`, train each in the
window and grab it, its curves and its Samples tab, into assets/screenshots/import_vae*.png and import_lm*.png.

The VAE trains on the digits with the variational recipe its import chose (with the VAE template's kl_weight,
learning rate and batch size, as one would set them in Settings); the language model with the next_token recipe
its import chose, on python_docs (as chosen in the Data panel), with the character LSTM template's settings. Run it on a display, as the README's pictures were:
    Xvfb :91 -screen 0 1280x900x24 &
    DISPLAY=:91 QT_QPA_PLATFORM=xcb PYTHONPATH=$PWD .venv/bin/python scripts/import_screenshots.py
"""
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["NETBUILDER_CONFIG_DIR"] = tempfile.mkdtemp()

import torch  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from netbuilder.cli import main as command  # noqa: E402
from netbuilder.graph import SetMeta  # noqa: E402
from netbuilder.ui.document import Document  # noqa: E402
from netbuilder.ui.main_window import MainWindow  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "assets" / "screenshots"
FIXTURES = ROOT / "tests" / "fixtures"
VAE = ["import", str(FIXTURES / "vae.py"), "--class", "VAE", "--args", '{"features": 64, "hidden": 64, "latent": 2}',
       "--input-shape", "64"]
LM = ["import", str(FIXTURES / "char_lm.py"), "--class", "CharRNN", "--args", '{"vocab": 103}', "--input-shape", "64"]


def settle(app, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def train_and_grab(app, arguments: list[str], name: str, training: dict, data: dict | None = None,
                   prompt: str | None = None, centre: str | None = None) -> None:
    """Import, open, set what the Data panel and Settings would, train, and grab the curves and the samples; the
    canvas whole, or at a readable zoom around the layer `centre`."""
    folder = Path(tempfile.mkdtemp())
    document = folder / f"{name}.json"
    assert command([*arguments, "-o", str(document)]) == 0
    window = MainWindow(Document.open(str(document)))
    window.resize(1280, 900)
    window.show()
    window.resizeDocks([window.docks["Training"]], [430], Qt.Orientation.Vertical)
    graph = window.document.graph
    window.document.push(SetMeta(graph, "training", {**graph.meta.get("training", {}), **training}))
    if data is not None:
        window.document.push(SetMeta(graph, "data", data))
    settle(app)
    window.fit()
    if centre is not None:
        window.show_start()
        window.view.centerOn(window.scene.node_items[graph.by_name(centre).id])
    panel = window.training
    panel.tabs.setCurrentWidget(panel.samples_view)  # (its text is written while it shows)
    if prompt is not None:
        panel.samples_view.text.prompt.setText(prompt)
        panel.samples_view.text.temperature.setValue(0.5)
    window.start_training()
    while panel.result is None:
        app.processEvents()
        time.sleep(0.01)
    text = panel.samples_view.text
    while prompt is not None and (text.last is None or text.background.busy):
        app.processEvents()
        time.sleep(0.01)
    settle(app, 1.0)
    for tab, suffix in ((0, ""), (panel.tabs.indexOf(panel.samples_view), "_samples")):
        panel.tabs.setCurrentIndex(tab)
        settle(app, 1.0)
        window.grab().save(str(OUT / f"{name}{suffix}.png"))
    print(name, panel.status.text())
    window.ask_save_changes = lambda: "discard"
    window.close()


def main(which=("vae", "lm")) -> None:
    torch.set_num_threads(1)
    app = QApplication.instance() or QApplication(sys.argv)
    if "vae" in which:
        train_and_grab(app, VAE, "import_vae", dict(kl_weight=0.005, lr=0.003, batch_size=32, epochs=30), centre="z")
    if "lm" in which:
        train_and_grab(app, LM, "import_lm", dict(lr=0.01, batch_size=32, epochs=2, clip_norm=1.0),
                       data=dict(source="python_docs"), prompt="The with statement ")


if __name__ == "__main__":
    main(sys.argv[1:] or ("vae", "lm"))  # or only: vae, lm
