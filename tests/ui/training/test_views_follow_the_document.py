"""Views redraw from the document the window shows now: after opening another one, nothing of the one before
stays (a layer it selected in the Inside tab, a generative run's axes in the Samples tab, the walk's box)."""
from PySide6.QtWidgets import QComboBox, QLabel

from netbuilder.ui import guide
from netbuilder.ui.app import TEMPLATES
from netbuilder.ui.document import Document

from runhelpers import train
from uihelpers import make_window


def shown_texts(widget) -> str:
    """Every text the widget shows now: labels and the items of its drop-downs."""
    labels = [label.text() for label in widget.findChildren(QLabel) if label.isVisibleTo(widget)]
    combos = [box.itemText(i) for box in widget.findChildren(QComboBox) for i in range(box.count())]
    return "\n".join(labels + combos)


def test_the_inside_tab_names_no_layer_of_the_document_before(qtbot):
    window = make_window(qtbot)  # the CNN
    panel = window.training
    train(window, qtbot)
    panel.tabs.setCurrentWidget(panel.inside)
    window.scene.select_nodes([window.document.graph.by_name("conv1").id])
    qtbot.waitUntil(lambda: panel.inside.layer.currentText() == "conv1", timeout=30000)
    assert "conv1" in shown_texts(panel.inside)
    panel.inside.redraw()  # a look at the CNN is still being worked out when the other document opens
    assert panel.inside.background.busy

    assert window.show_document(Document.from_template(TEMPLATES / "lstm_digits_rows.json"))
    assert window.document.graph.by_name("conv1") is None
    qtbot.waitUntil(lambda: not panel.inside.background.busy, timeout=30000)
    text = shown_texts(panel.inside)
    assert "Train the network to look inside it." in text and "conv1" not in text


def test_the_samples_tab_shows_no_empty_axes_for_a_network_that_makes_none(qtbot, one_thread):
    window = make_window(qtbot, Document.from_template(TEMPLATES / "gan_ring.json"))
    panel = window.training
    train(window, qtbot)
    panel.tabs.setCurrentWidget(panel.samples_view)
    view = panel.samples_view
    assert view.stack.isVisibleTo(view) and view.stack.currentWidget() is view.points  # the ring's points

    assert window.show_document(Document.from_template(TEMPLATES / "lstm_digits_rows.json"))
    assert not view.stack.isVisibleTo(view)  # no plot, not even its axes
    assert "makes no samples to show" in view.caption.text()
    assert window.show_document(Document.from_template(TEMPLATES / "gan_ring.json"))
    assert not view.stack.isVisibleTo(view) and "Train the network" in view.caption.text()


def test_the_walk_leaves_no_empty_box_when_another_document_opens(qtbot):
    window = make_window(qtbot)
    assert guide.start_walk(window.bench)
    dock, walk = window.bench.dock(guide.TITLE), window.guide
    assert dock.isVisible() and walk.explain.text()
    assert window.show_document(Document.from_template(TEMPLATES / "mlp_digits.json"))
    assert walk.document is None and not dock.isVisible()  # the walk was about the document before
    assert walk.explain.text() == guide.ENDED  # and if shown again, it says so rather than stay empty
    assert guide.start_walk(window.bench) and dock.isVisible() and walk.explain.text() != guide.ENDED
    walk.stop_button.click()
    assert walk.explain.text() == guide.ENDED
