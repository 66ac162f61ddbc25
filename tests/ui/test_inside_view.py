"""The Inside tab: after a CNN run on digits it says what the network answers about a test image, which
pixels drove it (saliency, Integrated Gradients, Grad-CAM) and draws a layer's feature maps; a run without
its test images in this session says why nothing is shown."""
from PySide6.QtCore import Qt

from netbuilder.train.runs import Run

from test_runs_view import train
from uihelpers import make_window


def test_a_trained_cnn_is_looked_inside(qtbot, tmp_path):
    window = make_window(qtbot)  # the CNN on digits
    window.save_to(str(tmp_path / "doc.json"))
    panel = window.training
    panel.tabs.setCurrentWidget(panel.inside)
    assert "Train the network" in panel.inside.message.text()
    train(window, qtbot, epochs=2)
    inside = panel.inside
    assert inside.answer.isVisible() and inside.answer.text().startswith("The network says <b>")
    assert inside.layer.currentText() == "conv1" and not inside.pictures[2].pixmap().isNull()
    for index in range(inside.method.count()):
        inside.method.setCurrentIndex(index)
        assert not inside.pictures[1].pixmap().isNull(), inside.method.currentText()
    window.scene.clearSelection()
    window.scene.select_nodes([window.document.graph.by_name("fc1").id])  # selected on the canvas
    assert inside.layer.currentText() == "fc1"  # a vector: drawn as cells
    inside.sample.setValue(5)
    assert not inside.pictures[2].pixmap().isNull() and "fc1: output [64]" in inside.pictures[2].toolTip()

    panel.tabs.setCurrentWidget(panel.evaluation)  # a misclassified test sample opens in Inside with a click
    wrong = panel.evaluation.thumbnails[0][0]
    qtbot.mouseClick(wrong, Qt.MouseButton.LeftButton)
    assert panel.tabs.currentWidget() is inside and inside.sample.value() == wrong.index


def test_a_run_without_its_test_images_says_why_nothing_is_shown(qtbot, tmp_path):
    window = make_window(qtbot)
    window.save_to(str(tmp_path / "doc.json"))
    panel = window.training
    run = Run.create(panel.runs.folder, window.document.graph)
    run.status = "finished"
    panel.runs.set_current(panel.runs.add(run))
    panel.tabs.setCurrentWidget(panel.inside)
    assert "train (or resume) this run" in panel.inside.message.text() and not panel.inside.answer.isVisible()
