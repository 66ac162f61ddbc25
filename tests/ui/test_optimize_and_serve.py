"""The run list's Optimize… and Serve This Run: the dialog optimizes off the window's thread with a progress bar
and fills the table and the plot, Cancel stops it; the service's address shows in the status bar and the
service stops with the window."""
import time
from pathlib import Path

import pytest
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from netbuilder.cli import main
from netbuilder.optimize.report import Cancelled
from netbuilder.runs.run import Run
from netbuilder.ui import optimize_dialog
from netbuilder.ui.optimize_dialog import OptimizeDialog

from uihelpers import make_window

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("optimize_ui")
    doc = folder / "cnn.json"
    doc.write_text((ROOT / "templates" / "cnn_digits.json").read_text())
    torch.set_num_threads(1)
    assert main(["train", str(doc), "--epochs", "4", "--out", str(folder / "run")]) == 0
    return Run.load(folder / "run")


def _choose(combo, data) -> None:
    combo.setCurrentIndex(combo.findData(data))


def test_the_dialog_fills_the_table_off_the_windows_thread(qtbot, trained):
    dialog = OptimizeDialog(trained)
    qtbot.addWidget(dialog)
    dialog.show()
    _choose(dialog.quantize, "static")
    dialog.prune.setValue(0.5)
    dialog.finetune.setValue(1)
    seen = []
    dialog.bar.valueChanged.connect(seen.append)
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert dialog.running() and not dialog.start_button.isEnabled() and dialog.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: not dialog.running() and not optimize_dialog.WORKING, timeout=300_000)
    assert dialog.table.rowCount() == 5, dialog.status.text()
    names = [dialog.table.item(i, 0).text() for i in range(5)]
    assert names == ["original", "original", "int8 static", "pruned 50% +1 ep", "pruned 50% +1 ep, int8 static"]
    assert dialog.bar.value() == 100 and len(set(seen)) >= 4  # it moved stage by stage
    assert len(dialog.plot.getPlotItem().listDataItems()) == 5
    from netbuilder.ui import theme

    assert dialog.plot.backgroundBrush().color() == theme.canvas_background()  # the theme's, not pyqtgraph's black
    assert (trained.folder / "optimized" / "pruned.json").is_file() and "269 test samples" in dialog.status.text()
    compare = dialog.compare  # the original beside the last version: confusion matrices, disagreements
    assert compare.isVisible() and compare.choice.count() == 4 and compare.matrices[1].rowCount() == 10
    report = dialog.report
    differ = sum(a != b for a, b in zip(report.rows[0].predictions, report.rows[-1].predictions))
    assert compare.differ.text().startswith(f"They answer differently on {differ} of 269 test samples")
    total = sum(int(compare.matrices[1].item(i, j).text()) for i in range(10) for j in range(10))
    assert total == 269


def test_cancel_stops_it(qtbot, trained, monkeypatch):
    def waits_for_cancel(document, run, plan, folder, progress, cancelled):
        progress(0.0, "reading the run and its data")
        deadline = time.monotonic() + 60
        while not cancelled() and time.monotonic() < deadline:
            time.sleep(0.01)
        raise Cancelled("optimising was stopped")

    monkeypatch.setattr(optimize_dialog, "optimize_run", waits_for_cancel)
    dialog = OptimizeDialog(trained)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.running() and not optimize_dialog.WORKING, timeout=60_000)
    assert dialog.status.text() == "Not optimized: optimising was stopped" and dialog.start_button.isEnabled()


def test_the_run_list_offers_both_and_the_service_stops_with_the_window(qtbot, trained):
    window = make_window(qtbot, closed_by_test=True)
    menu = QMenu()

    class State:
        run, running = trained, False
    for entry in window.training.run_list.entries:
        entry(menu, State)
    assert [a.text() for a in menu.actions()] == ["Optimize…", "Serve This Run"]
    assert all(a.isEnabled() for a in menu.actions())
    link = window.serve_link
    menu.actions()[1].trigger()
    assert link.isVisible() and link.text().startswith("Starting the service")
    qtbot.waitUntil(lambda: link.url is not None, timeout=180_000)
    assert link.url.startswith("http://127.0.0.1:") and "copy curl" in link.text()
    status, model = link.service.request("GET", "/model")
    assert status == 200 and model["run"] == trained.name
    assert link.curl_line.startswith(f"curl -X POST {link.url}/predict")
    shown = []
    link.drift.connect(lambda text, drifted: shown.append((text, drifted)))
    link.show_drift()  # nothing sent yet: it says how many inputs it needs
    assert shown == [("0 recent input(s): 30 are needed to compare with the training data", False)]
    x = torch.rand(40, 1, 8, 8) * 0.2 + 0.8  # bright squares, nothing like the digits
    assert link.service.request("POST", "/predict", {"inputs": x.tolist()})[0] == 200
    link.show_drift()
    text, drifted = shown[-1]
    assert drifted and "retrain with recent data" in text and text.count("⚠") >= 2
    process = link.service.process
    window.close()
    assert process.poll() is not None


def test_the_int8_version_joins_the_run_list_as_an_onnx_run(qtbot, trained):
    from netbuilder.ui.training.inside_view import InsideView
    from netbuilder.ui.training.runs_model import DocumentRuns

    runs = DocumentRuns(None)
    runs._unmoved = trained.folder.parent  # the runs folder that holds the trained run (it trained with --out)
    runs.reload()
    current = runs.current
    dialog = OptimizeDialog(trained, None, runs)
    qtbot.addWidget(dialog)
    _choose(dialog.quantize, "static")
    dialog.prune.setValue(0)
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.running() and not optimize_dialog.WORKING, timeout=300_000)
    names = [s.run.name for s in runs.states]
    assert f"int8 static of {trained.name}" in names, dialog.status.text()
    assert runs.current.id == current.id and f"Kept as runs: int8 static of {trained.name}" in dialog.status.text()
    state = runs.states[names.index(f"int8 static of {trained.name}")]
    assert state.run.onnx_only and state.status_word == "finished" and state.run.summary().startswith("test acc")
    window = make_window(qtbot, closed_by_test=True)
    menu = QMenu()
    for entry in window.training.run_list.entries:
        entry(menu, state)
    optimize, serve = menu.actions()
    assert not optimize.isEnabled() and "an ONNX run" in optimize.text()
    assert serve.text() == "Serve This Run" and serve.isEnabled()  # served in ONNX Runtime (tests/optimize)
    window.close()
    inside = InsideView()
    qtbot.addWidget(inside)
    inside.show_run(state)
    assert inside.message.text().startswith(f"Cannot look inside int8 static of {trained.name}: the run")
    assert "kept as an ONNX model (model.onnx) without PyTorch weights, so the Inside tab cannot use it" \
        in inside.message.text()


def test_the_zeros_lesson_in_the_dialog_says_what_it_is(qtbot, trained):
    dialog = OptimizeDialog(trained)
    qtbot.addWidget(dialog)
    _choose(dialog.quantize, None)
    dialog.prune.setValue(0)
    dialog.zeros.setValue(0.5)
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.running() and not optimize_dialog.WORKING, timeout=300_000)
    assert [dialog.table.item(i, 0).text() for i in range(dialog.table.rowCount())] == ["original", "zeros 50%"]
    sizes = [float(dialog.table.item(i, 3).text()) for i in range(2)]
    parameters = [int(dialog.table.item(i, 4).text().replace(",", "")) for i in range(2)]
    assert abs(sizes[1] - sizes[0]) < 0.02 * sizes[0] and parameters[1] < parameters[0] * 0.6
    assert "zeros 50%: zeros only" in dialog.status.text() and "the same size on disk" in dialog.status.text()
