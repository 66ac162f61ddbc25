"""The Inside tab: after a CNN run on digits it says what the network answers about a test image, which
pixels drove it (saliency, Integrated Gradients, Grad-CAM), draws a layer's feature maps, weights and
histograms over epochs; takes drawn, opened and typed inputs; a run from disk is looked inside with the
samples it kept."""
import numpy as np
from PIL import Image
from PySide6.QtCore import QPointF, Qt

from netbuilder.ui.document import Document

from netbuilder.runs.run import Run

from runhelpers import train
from uihelpers import make_window


def settle(qtbot, inside):
    """Wait for what the tab asked the pool thread for."""
    qtbot.waitUntil(lambda: not inside.background.busy, timeout=20000)


def test_a_trained_cnn_is_looked_inside(qtbot, tmp_path):
    window = make_window(qtbot)  # the CNN on digits
    window.save_to(str(tmp_path / "doc.json"))
    panel = window.training
    panel.tabs.setCurrentWidget(panel.inside)
    settle(qtbot, panel.inside)
    assert "Train the network" in panel.inside.message.text()
    train(window, qtbot, epochs=2)
    inside = panel.inside
    settle(qtbot, inside)
    assert inside.answer.isVisible() and inside.answer.text().startswith("The network says <b>")
    assert inside.layer.currentText() == "conv1" and not inside.pictures[2].pixmap().isNull()
    for index in range(inside.method.count()):
        inside.method.setCurrentIndex(index)
        settle(qtbot, inside)
        assert not inside.pictures[1].pixmap().isNull(), inside.method.currentText()
    window.scene.clearSelection()
    window.scene.select_nodes([window.document.graph.by_name("fc1").id])  # selected on the canvas
    settle(qtbot, inside)
    assert inside.layer.currentText() == "fc1"  # a vector: drawn as cells
    inside.sample.setValue(5)
    settle(qtbot, inside)
    assert not inside.pictures[2].pixmap().isNull() and "fc1: output [64]" in inside.pictures[2].toolTip()

    panel.tabs.setCurrentWidget(panel.evaluation)  # a misclassified test sample opens in Inside with a click
    wrong = panel.evaluation.thumbnails[0][0]
    qtbot.mouseClick(wrong, Qt.MouseButton.LeftButton)
    settle(qtbot, inside)
    assert panel.tabs.currentWidget() is inside and inside.sample.value() == wrong.index


def test_a_run_without_a_checkpoint_says_why_nothing_is_shown(qtbot, tmp_path):
    window = make_window(qtbot)
    window.save_to(str(tmp_path / "doc.json"))
    panel = window.training
    run = Run.create(panel.runs.folder, window.document.graph)
    run.status = "finished"
    panel.runs.set_current(panel.runs.add(run))
    panel.tabs.setCurrentWidget(panel.inside)
    settle(qtbot, panel.inside)
    assert "has no checkpoint" in panel.inside.message.text() and not panel.inside.answer.isVisible()


def test_drawn_opened_and_typed_inputs_and_the_histograms_over_epochs(qtbot, tmp_path):
    window = make_window(qtbot)  # the CNN on 8x8 digits
    window.save_to(str(tmp_path / "doc.json"))
    panel = window.training
    panel.tabs.setCurrentWidget(panel.inside)
    settle(qtbot, panel.inside)
    train(window, qtbot, epochs=3)
    inside = panel.inside
    settle(qtbot, inside)
    sources = [inside.source.itemData(i) for i in range(inside.source.count())]
    assert sources == ["test", "draw", "file", "row"]
    # the histograms of the selected layer over the epochs, of each kind
    inside.layer.setCurrentText("conv1")
    settle(qtbot, inside)
    for kind in ("weights", "activations", "gradients"):
        inside.kind.setCurrentText(kind)
        epochs = [h.epoch for h in inside.ridge.shown]  # the first and last always (others within a time budget)
        assert inside.ridge.isVisible() and epochs[0] == 1 and epochs[-1] == 3 and set(epochs) <= {1, 2, 3}, kind
        assert f"{kind} of conv1, epochs 1 to 3" in inside.ridge_message.text()
    assert "conv1.weight [16, 1, 3, 3]" in inside.pictures[3].toolTip()  # its filters as pictures

    inside.source.setCurrentIndex(sources.index("draw"))  # a drawing: a stroke down the middle, a "1"
    settle(qtbot, inside)
    assert inside.input_stack.currentWidget() is inside.pad and inside.clear.isVisible()
    for y in range(20, 200, 10):
        inside.pad.paint_at(QPointF(90, y))
    inside.pad.changed.emit()
    settle(qtbot, inside)
    assert inside.answer.text().startswith("The network says <b>")
    drawn = inside.pad.drawing()
    assert drawn.shape == (1, 8, 8) and drawn[0, :, 3:5].min() > 0.8 and drawn[0, :, :2].max() == 0

    inside.source.setCurrentIndex(sources.index("file"))
    settle(qtbot, inside)
    assert "Open an image" in inside.answer.text()
    picture = tmp_path / "seven.png"
    Image.fromarray((np.eye(8)[::-1] * 255).astype(np.uint8)).resize((32, 32)).save(picture)
    inside.open_path(str(picture))
    settle(qtbot, inside)
    assert inside.answer.text().startswith("The network says <b>") and not inside.pictures[0].pixmap().isNull()
    inside.open_path(str(tmp_path / "doc.json"))  # not an input: said, nothing breaks
    settle(qtbot, inside)
    assert "give an image" in inside.answer.text()

    inside.source.setCurrentIndex(sources.index("row"))
    settle(qtbot, inside)
    inside.row.setText("1, 2, 3")
    inside.row.editingFinished.emit()
    settle(qtbot, inside)
    assert "the row has 3 numbers; the network takes 64 ([1, 8, 8])" in inside.answer.text()
    inside.row.setText(", ".join(["0.5"] * 64))
    inside.row.editingFinished.emit()
    settle(qtbot, inside)
    assert inside.answer.text().startswith("The network says <b>")


def test_a_run_reopened_from_disk_is_looked_inside_with_the_samples_it_kept(qtbot, tmp_path):
    path = str(tmp_path / "doc.json")
    window = make_window(qtbot)
    window.save_to(path)
    train(window, qtbot, epochs=1)
    said = window.training.inside
    window.training.tabs.setCurrentWidget(said)
    settle(qtbot, said)
    answer = said.answer.text()
    again = make_window(qtbot, Document.open(path))  # another window on the same file reads the run from disk
    panel = again.training
    panel.tabs.setCurrentWidget(panel.inside)
    settle(qtbot, panel.inside)
    assert panel.runs.current.samples is not None and panel.inside.source.currentData() == "test"
    assert panel.inside.answer.text() == answer  # the same test sample, the same answer


def test_a_sample_clicked_in_the_data_panel_is_looked_inside(qtbot, tmp_path):
    window = make_window(qtbot)
    window.save_to(str(tmp_path / "doc.json"))
    train(window, qtbot, epochs=1)
    preview = window.data.preview
    window.data.show_preview()
    window.docks["Data"].raise_()
    qtbot.waitUntil(preview.images.isVisible)
    grid, tile_h, tile_w = preview._shown
    centre = preview.mosaic.mapToScene(QPointF(3 * tile_w + tile_w / 2, tile_h / 2))  # the 4th picture
    qtbot.mouseClick(preview.images.viewport(), Qt.MouseButton.LeftButton, pos=preview.images.mapFromScene(centre))
    inside = window.training.inside
    settle(qtbot, inside)
    assert window.training.tabs.currentWidget() is inside and inside.source.currentData() == "file"
    assert inside.answer.text().startswith("The network says <b>")
    assert (inside._file[1][0] == grid[3]).all()
