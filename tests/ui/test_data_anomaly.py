"""The Data panel's anomaly protocol: a document's protocol is shown, changing it previews the narrowed
training part, and using it is one undoable edit that keeps it (the panel never drops it)."""
from pathlib import Path

from PySide6.QtCore import Qt

from netbuilder.ui.document import Document

from uihelpers import make_window

ROOT = Path(__file__).resolve().parents[2]


def test_the_protocol_is_shown_previewed_and_used(qtbot):
    window = make_window(qtbot, Document.from_template(ROOT / "templates" / "anomaly_digits.json"))
    panel = window.data
    window.show_data()
    box = panel.anomaly
    assert box.protocol.currentData() == "one_class" and box.which.text() == "0" and box.which.isEnabled()
    assert "train 124, validation 269, test 269" in panel.counts.text()
    assert "class 0 is normal" in panel.notes.text()
    box.protocol.setCurrentIndex(box.protocol.findData("held_out"))
    box.which.setText("1")
    box.which.editingFinished.emit()
    assert "held out of training" in panel.notes.text() and "train 1,131," in panel.counts.text()
    qtbot.mouseClick(panel.use_button, Qt.MouseButton.LeftButton)
    graph = window.document.graph
    assert graph.meta["data"]["anomaly"] == {"protocol": "held_out", "class": 1}
    window.document.undo_stack.undo()
    assert graph.meta["data"]["anomaly"] == {"protocol": "one_class", "class": 0}
    assert box.protocol.currentData() == "one_class"  # the panel follows the document
    box.protocol.setCurrentIndex(box.protocol.findData(""))
    assert not box.which.isEnabled() and panel.spec().anomaly == {} and "anomaly" not in panel.notes.text()
    box.protocol.setCurrentIndex(box.protocol.findData("one_class"))
    box.which.setText("cat")
    box.which.editingFinished.emit()
    assert "names class 'cat', but digits has the classes 0, 1" in panel.notes.text()
