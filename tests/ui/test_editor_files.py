"""Files from the editor: save and reopen, broken files, modified marks, export, autosave, gallery."""
import json

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox

import netbuilder
from netbuilder.graph import SetParam
from netbuilder.ui import recovery
from netbuilder.ui.app import offer_recovery
from netbuilder.ui.gallery import Gallery, templates
from netbuilder.ui.main_window import MainWindow

from uihelpers import assert_consistent, make_window


def test_save_and_reopen(window, tmp_path):
    doc = window.document
    conv1 = doc.graph.by_name("conv1").id
    doc.push(SetParam(doc.graph, conv1, "out_channels", 8))
    assert window.isWindowModified() and window.windowTitle().startswith("CNN digits[*]")
    path = tmp_path / "mine.json"
    assert window.save_to(str(path))
    assert not window.isWindowModified()
    assert window.windowTitle().startswith("mine.json")
    saved = netbuilder.load_graph(path)
    assert saved == doc.graph
    window.new_document()
    assert len(window.document.graph) == 0
    assert window.open_file(str(path))
    assert window.document.graph == saved
    assert window.document.graph.node(conv1).params["out_channels"] == 8
    assert_consistent(window)
    assert str(path.resolve()) in __import__("netbuilder.ui.settings", fromlist=["x"]).recent_files()


def test_a_broken_file_shows_the_reason_and_keeps_the_document(window, tmp_path):
    before = netbuilder.graph.io.dumps(window.document.graph)
    path = tmp_path / "broken.json"
    path.write_text('{"format": "netbuilder", "version": 1, "nodes": [{"id": "a", "type": "Conv9d"')
    assert not window.open_file(str(path))
    box = window.message_box
    assert box.isVisible() and "invalid JSON" in box.text() and "broken.json" in box.text()
    box.close()
    path.write_text(json.dumps({"format": "netbuilder", "version": 1, "nodes": [
        {"id": "a", "type": "Conv9d", "name": "x"}]}))
    assert not window.open_file(str(path))
    assert "unknown layer type 'Conv9d'" in window.message_box.text()
    window.message_box.close()
    assert netbuilder.graph.io.dumps(window.document.graph) == before
    assert_consistent(window)


def test_unsaved_changes_prompt(window, tmp_path):
    doc = window.document
    doc.push(SetParam(doc.graph, doc.graph.by_name("fc1").id, "out_features", 5))
    window.ask_save_changes = lambda: "cancel"
    window.new_document()
    assert window.document is doc  # nothing lost
    target = tmp_path / "kept.json"
    window.save_as = lambda: window.save_to(str(target))
    window.ask_save_changes = lambda: "save"
    window.new_document()
    assert netbuilder.load_graph(target).by_name("fc1").params["out_features"] == 5
    assert len(window.document.graph) == 0


def test_dropping_a_file_on_the_window_opens_it(window, tmp_path):
    path = tmp_path / "dropped.json"
    netbuilder.GraphBuilder().graph.save(path)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    assert window.document.path == str(path)


def test_export_code(window, tmp_path):
    out = tmp_path / "net.py"
    assert window.export_code(str(out))
    assert "class CNNDigits(nn.Module)" in out.read_text()
    window.scene.select_nodes([window.document.graph.by_name("flatten1").id])
    window.scene.delete_selection()
    assert not window.export_code(str(tmp_path / "bad.py"))
    assert "Fix these problems first" in window.message_box.text()
    assert not (tmp_path / "bad.py").exists()
    window.message_box.close()


def test_autosave_and_recovery(window, qtbot, monkeypatch):
    doc = window.document
    window.autosave.save_now()
    assert not window.autosave.path.exists()  # nothing unsaved, nothing written
    doc.push(SetParam(doc.graph, doc.graph.by_name("fc1").id, "out_features", 7))
    window.autosave.save_now()
    assert window.autosave.path.exists()
    assert netbuilder.load_graph(window.autosave.path) == doc.graph
    # pretend the process died: its recovery file is an orphan for the next start
    info = window.autosave.path.with_suffix(".info")
    data = json.loads(info.read_text())
    data["pid"] = 2 ** 22 + 12345
    info.write_text(json.dumps(data))
    found = recovery.orphans()
    assert [p for p, _ in found] == [window.autosave.path]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    before = set(QApplication.topLevelWidgets())
    offer_recovery(window)
    restored = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w not in before]
    assert len(restored) == 1
    qtbot.addWidget(restored[0])
    restored[0].ask_save_changes = lambda: "discard"
    assert restored[0].document.graph.by_name("fc1").params["out_features"] == 7
    assert restored[0].document.runs.folder == doc.runs.folder  # an untitled document's runs come back with it
    assert restored[0].isWindowModified()
    assert recovery.orphans() == []


def test_closing_cleanly_removes_the_recovery_file(qtbot):
    window = make_window(qtbot, closed_by_test=True)
    doc = window.document
    doc.push(SetParam(doc.graph, doc.graph.by_name("fc1").id, "out_features", 7))
    window.autosave.save_now()
    path = window.autosave.path
    assert path.exists()
    window.close()
    assert not path.exists()


def test_gallery_lists_templates_with_pictures(qtbot):
    found = templates()
    assert {p.stem for p, _ in found} >= {"cnn_digits", "mlp_digits"}
    gallery = Gallery()
    qtbot.addWidget(gallery)
    assert gallery.list.count() == len(found)
    item = gallery.list.item(0)
    assert not item.icon().isNull() and item.toolTip()
    gallery.list.setCurrentRow(1)
    assert gallery.chosen().endswith(".json")
    assert gallery.description.text() == gallery.list.item(1).toolTip()


def test_layout_is_restored(qtbot):
    first = make_window(qtbot, closed_by_test=True)
    first.docks["History"].raise_()
    first.docks["Layers"].hide()
    first.close()
    second = make_window(qtbot)
    assert second.docks["Layers"].isHidden()


def test_open_recent_lists_the_files_saved_and_opens_one(window, tmp_path):
    path = tmp_path / "recent.json"
    assert window.save_to(str(path))
    assert window.new_document() and window.document.path is None
    menu = window.bench.action("open_recent").menu()
    menu.fill()
    entries = [a for a in menu.actions() if a.text() == str(path)]
    assert len(entries) == 1
    entries[0].trigger()
    assert window.document.path == str(path)
