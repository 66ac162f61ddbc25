"""Pictures of issue 24 for the README, from real runs: the Optimize… dialog on the CNN template (int8, pruning with
fine-tuning, the zeros lesson), the trade-off plot of the wide CNN (the dialog's own plot, exported with
pyqtgraph), and the window serving a run: the status bar's entry and the drift report after washed-out digits.

    xvfb-run -s "-screen 0 1400x1000x24" env QT_QPA_PLATFORM=xcb .venv/bin/python scripts/ship_screenshots.py

Writes assets/screenshots/optimize_dialog.png, optimize_tradeoff.png, serve_drift.png and prints the tables."""
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ["NETBUILDER_CONFIG_DIR"] = tempfile.mkdtemp()  # default layout, runs of its own

import torch  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from bench_int8 import NETWORKS  # noqa: E402
from netbuilder.cli import main as cli  # noqa: E402
from netbuilder.optimize.report import Plan, optimize_run  # noqa: E402
from netbuilder.runs.run import document_folder, list_runs  # noqa: E402
from netbuilder.ui import optimize_dialog  # noqa: E402
from netbuilder.ui.document import Document  # noqa: E402
from netbuilder.ui.main_window import MainWindow  # noqa: E402

OUT = ROOT / "assets" / "screenshots"


def settle(app, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def trained(folder: Path, key: str, epochs: int) -> Path:
    source, change = NETWORKS[key]
    found = json.loads((ROOT / "templates" / f"{source}.json").read_text())
    doc = folder / f"{key}.json"
    doc.write_text(json.dumps(change(found) if change else found))
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli(["train", str(doc), "--epochs", str(epochs)]) == 0
    return doc


def screen(name: str) -> None:
    """The whole (virtual) screen, as a person would see it: message boxes included."""
    subprocess.run(["import", "-window", "root", str(OUT / name)], check=True)


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv)
    torch.set_num_threads(1)
    folder = Path(tempfile.mkdtemp())
    doc = trained(folder, "cnn", 10)

    # the trade-off plot of the wide CNN, where int8 pays off: the dialog's own drawing, exported
    wide = trained(folder, "cnn_wide", 10)
    report = optimize_run(str(wide), list_runs(document_folder(str(wide), ""))[0].name,
                          Plan("static", 0.5, 3, repeats=15, sparsify=0.5, set_torch_threads=True), folder / "wide")
    print(report.text())
    import pyqtgraph.exporters as exporters

    plot = optimize_dialog._plot()
    plot.resize(900, 420)
    optimize_dialog._draw(plot, report.rows)
    plot.setTitle("CNN 64-128 channels on digits: accuracy against ms per batch of 64 (point size: the file)")
    plot.show()
    settle(app)
    exporter = exporters.ImageExporter(plot.getPlotItem())
    exporter.parameters()["width"] = 900
    exporter.export(str(OUT / "optimize_tradeoff.png"))
    plot.close()

    # the dialog on the CNN template's run, in the window
    window = MainWindow(Document.open(str(doc)))
    window.resize(1300, 950)
    window.show()
    settle(app, 1.0)
    run = window.document.runs.current.run
    dialog = optimize_dialog.OptimizeDialog(run, window, window.document.runs)
    dialog.resize(1000, 990)
    dialog.show()
    dialog.quantize.setCurrentIndex(dialog.quantize.findData("static"))
    dialog.prune.setValue(0.5)
    dialog.finetune.setValue(3)
    dialog.zeros.setValue(0.5)
    dialog.start()
    while dialog.running() or optimize_dialog.WORKING:
        settle(app, 0.1)
    settle(app, 1.0)
    print(dialog.report.text())
    dialog.grab().save(str(OUT / "optimize_dialog.png"))
    dialog.close()

    # serving the run: the status bar's entry, then the drift report after washed-out digits
    link = window.serve_link
    window.docks["Training"].raise_()
    link.serve(run)
    deadline = time.monotonic() + 180
    while link.url is None and time.monotonic() < deadline:
        settle(app, 0.2)
    digits = torch.load(run.folder / "samples.pt", weights_only=True)["inputs"]
    washed = (digits[:60] * 0.5 + 0.4).clamp(0, 1)  # washed-out digits (as bench_serve.py sends)
    status, _ = link.service.request("POST", "/predict", {"inputs": washed.tolist()})
    print("predict:", status, "curl:", link.curl_line[:120])
    link.show_drift()
    settle(app, 2.0)
    screen("serve_drift.png")
    if window.message_box is not None:
        print(window.message_box.text())
        window.message_box.close()
    link.stop()
    window.ask_save_changes = lambda: "discard"
    window.close()
    for name in ("optimize_dialog.png", "optimize_tradeoff.png", "serve_drift.png"):
        print("wrote", OUT / name)


if __name__ == "__main__":
    main()
