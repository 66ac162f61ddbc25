"""File > Export…: the dialog exports on a pool thread, shows the check's result or the error, and uses the
chosen run's weights."""
import gc
from pathlib import Path

import onnxruntime
import torch
from PySide6.QtCore import Qt

from netbuilder.compile import build_model, example_inputs
from netbuilder.ui.document import Document
from netbuilder.ui import export_dialog
from netbuilder.ui.export_dialog import ExportDialog, install
from netbuilder.runs.run import Run

ROOT = Path(__file__).resolve().parents[2]
MLP = ROOT / "templates" / "mlp_digits.json"


def choose(combo, data) -> None:
    index = combo.findData(data)
    assert index >= 0, f"{data} is not offered"
    combo.setCurrentIndex(index)


def shown(qtbot, document) -> ExportDialog:
    """The Export dialog of a document, open (qtbot closes it after the test)."""
    dialog = ExportDialog(document)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def export(qtbot, dialog) -> str:
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert dialog.running() and not dialog.export_button.isEnabled()  # busy: the work is on the pool thread
    qtbot.waitUntil(lambda: not dialog.running() and not export_dialog.EXPORTING, timeout=60000)
    assert dialog.export_button.isEnabled()
    assert gc.isenabled()  # held only while the export thread works
    return dialog.outcome.text()


def test_a_runs_weights_exported_as_torchscript(qtbot, tmp_path):
    document = Document.open(str(_saved(tmp_path)))
    model = build_model(document.graph).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p))
    run = Run.create(document.runs.folder, document.graph, name="tuned")
    torch.save({"model": model.state_dict()}, run.folder / "best.pt")
    Run.create(document.runs.folder, document.graph, name="no checkpoint")  # nothing to export: not offered
    dialog = shown(qtbot, document)
    labels = [dialog.weights.itemText(i) for i in range(dialog.weights.count())]
    assert labels[0].startswith("Fresh weights") and labels[1].startswith("tuned (")
    assert len(labels) == 2
    assert dialog.weights.currentData() == str(run.folder)  # the latest trained run is the default
    choose(dialog.format, "torchscript")
    assert dialog.path.text() == str(tmp_path / "mlp.pt")
    text = export(qtbot, dialog)
    assert "TorchScript: outputs match, max difference" in text and "weights: run 'tuned'" in text
    inputs = example_inputs(document.graph, 3)
    with torch.no_grad():
        torch.testing.assert_close(torch.jit.load(tmp_path / "mlp.pt")(*inputs), model(*inputs))
    document.close()


def test_file_menu_export_writes_a_checked_onnx_file(qtbot, window, tmp_path):
    action = install(window.bench)
    assert install(window.bench) is action  # once
    file_menu = window.menuBar().actions()[0].menu()
    entries = file_menu.actions()
    assert entries[entries.index(window.actions_by_name["export"]) + 1] is action
    action.trigger()
    dialog = window.findChild(ExportDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.fmt() == "onnx" and dialog.weights.currentData() is None  # an untrained document: fresh weights
    assert dialog.form.isRowVisible(dialog.weights) and not dialog.form.isRowVisible(dialog.network)
    dialog.path.setText(str(tmp_path / "net.onnx"))
    text = export(qtbot, dialog)
    assert text.startswith("<b>ONNX: outputs match, max difference ") and "freshly initialised" in text
    session = onnxruntime.InferenceSession(str(tmp_path / "net.onnx"), providers=["CPUExecutionProvider"])
    assert session.get_inputs()[0].shape[0] == "batch"
    dialog.close()


def test_errors_are_shown_plainly_and_the_dialog_stays_usable(qtbot, tmp_path):
    document = Document.open(str(_saved(tmp_path)))
    dialog = shown(qtbot, document)
    dialog.path.setText(str(tmp_path / "missing" / "net.onnx"))
    text = export(qtbot, dialog)
    assert "Not exported" in text and "the folder" in text and "does not exist" in text
    assert "Traceback" not in text
    dialog.path.clear()
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert "say where to write the file" in dialog.outcome.text()
    document.close()


def test_source_and_training_script_carry_no_weights(qtbot, tmp_path):
    document = Document.open(str(_saved(tmp_path)))
    dialog = shown(qtbot, document)
    choose(dialog.format, "py")
    assert not dialog.form.isRowVisible(dialog.weights)
    assert dialog.path.text() == str(tmp_path / "mlp.py")
    assert "PyTorch source: wrote" in export(qtbot, dialog)
    assert "class " in (tmp_path / "mlp.py").read_text()
    choose(dialog.format, "script")
    dialog.path.setText(str(tmp_path / "train.py"))
    assert "Training script: wrote" in export(qtbot, dialog)
    assert (tmp_path / "train.py").is_file()
    document.close()


def _saved(tmp_path) -> Path:
    path = tmp_path / "mlp.json"
    path.write_text(MLP.read_text())
    return path


def test_the_default_weights_are_those_of_the_network_as_it_is_now(qtbot, tmp_path):
    """After Apply Best (or any edit that changes a layer's size) the latest run is another network's: the
    dialog does not default to it, says why, and an export of it is refused naming the layer."""
    from netbuilder.graph import SetParam

    document = Document.open(str(_saved(tmp_path)))
    old = Run.create(document.runs.folder, document.graph, name="before")
    torch.save({"model": build_model(document.graph).state_dict()}, old.folder / "best.pt")
    hidden = next(n for n in document.graph.nodes() if n.type == "Linear")
    document.push(SetParam(document.graph, hidden.id, "out_features", hidden.params["out_features"] + 3))
    changed = Run.create(document.runs.folder, document.graph, name="after")
    torch.save({"model": build_model(document.graph).state_dict()}, changed.folder / "best.pt")
    document.push(SetParam(document.graph, hidden.id, "out_features", hidden.params["out_features"] - 3))
    dialog = shown(qtbot, document)
    assert dialog.weights.currentData() == str(old.folder)  # the latest run that fits, not the latest
    assert "changed since" in dialog.weights.itemText(dialog.weights.findData(str(changed.folder)))
    choose(dialog.weights, str(changed.folder))
    text = export(qtbot, dialog)
    assert "not this network's" in text and hidden.name in text and "size mismatch" not in text
    dialog.close()
    document.push(SetParam(document.graph, hidden.id, "out_features", hidden.params["out_features"] + 5))
    dialog = shown(qtbot, document)  # no run fits: fresh weights, said
    assert dialog.weights.currentData() is None and "fresh weights are chosen" in dialog.outcome.text()
    document.close()
