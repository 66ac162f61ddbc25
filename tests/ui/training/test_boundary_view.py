"""The Boundary tab: an MLP on moons draws the class of each point of the plane after every epoch, and its
samples; a network on images says why there is no boundary."""
import numpy as np
from PySide6.QtCore import QPoint
from PySide6.QtTest import QTest

from netbuilder import GraphBuilder
from netbuilder.ui.document import Document
from netbuilder.ui.training.boundary_view import boundary_rgb

from runhelpers import train
from uihelpers import make_window


def moons_mlp():
    b = GraphBuilder()
    h = b.add("ReLU", b.add("Linear", b.add("Input", shape=[2]), name="hidden", out_features=32))
    b.add("Output", b.add("Linear", h, name="classes", out_features=2))
    b.graph.meta["data"] = {"source": "moons", "options": {"n": 400}}
    b.graph.meta["training"] = {"lr": 0.01, "batch_size": 32, "epochs": 3}
    return b.graph


def test_the_boundary_of_moons_forms_epoch_by_epoch(qtbot, tmp_path):
    window = make_window(qtbot, Document(moons_mlp()))
    window.save_to(str(tmp_path / "moons.json"))
    panel = window.training
    panel.tabs.setCurrentWidget(panel.boundary)
    train(window, qtbot, epochs=20)
    picture = panel.runs.current.boundary
    assert picture.epoch == 20 and picture.classes.shape == (100, 100) and set(np.unique(picture.classes)) == {0, 1}
    view = panel.boundary
    assert view.shown is picture and view.plot.isVisible() and "epoch 20" in view.message.text()
    assert len(view.points.data) == len(picture.points)
    low, high = picture.extent[0], picture.extent[1]
    assert low < picture.points[:, 0].min() and picture.points[:, 0].max() < high
    # a network this size learns moons: most samples lie on their own class's side
    size = picture.classes.shape[0]
    col = ((picture.points[:, 0] - low) / (high - low) * (size - 1)).round().astype(int)
    row = ((picture.points[:, 1] - picture.extent[2]) / (picture.extent[3] - picture.extent[2]) * (size - 1)).round()
    assert (picture.classes[row.astype(int), col] == picture.labels).mean() > 0.8

    graph = window.document.graph
    window.scene.select_nodes([graph.by_name("hidden").id])  # a hidden unit over the plane, as Playground does
    assert "the first unit of 'hidden'" in view.message.text()
    painted = view.image.image
    assert painted.shape == (100, 100, 3) and not (painted == boundary_rgb(picture.classes, picture.sureness)).all()
    window.scene.select_nodes([graph.by_name("output1").id])  # the Output: the classes again
    assert "the class the network gives each point" in view.message.text()
    window.fit()
    hidden = window.scene.node_items[graph.by_name("hidden").id]
    QTest.mouseMove(window.view.viewport(), window.view.mapFromScene(hidden.sceneBoundingRect().center()))
    qtbot.waitUntil(lambda: "the first unit of 'hidden'" in view.message.text())  # while the mouse is over it
    QTest.mouseMove(window.view.viewport(), QPoint(2, 2))
    qtbot.waitUntil(lambda: "the class the network gives each point" in view.message.text())


def test_a_network_on_images_says_why_there_is_no_boundary(qtbot, tmp_path):
    window = make_window(qtbot)
    window.save_to(str(tmp_path / "cnn.json"))
    panel = window.training
    panel.tabs.setCurrentWidget(panel.boundary)
    assert "Train a classifier of two features" in panel.boundary.message.text()
    train(window, qtbot, epochs=1)
    assert ("No boundary: the boundary is drawn for samples of two features (points on a plane), and these are 1x8x8"
            in panel.boundary.message.text())
    assert not panel.boundary.plot.isVisible()
