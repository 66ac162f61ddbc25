"""Help > Layer reference: every catalog layer with its help, formula, shape rule and an example worked out
by the catalog's own shape rule; searchable; the inspector's link opens it at the selected layer."""
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel

from netbuilder.layers import CATALOG
from netbuilder.layers.reference import NOTES, entries, search
from netbuilder.ui import layer_reference
from netbuilder.ui.layer_reference import LayerReference, page

from uihelpers import make_window


def test_every_catalog_layer_has_a_formula_a_shape_rule_and_a_worked_example():
    listed = [e.type for e in entries()]
    assert sorted(listed) == sorted(CATALOG) and len(listed) == len(set(listed))
    missing = [t for t in CATALOG if t not in NOTES]
    assert not missing, f"add a formula and shape rule to layers/reference.py NOTES for {missing}"
    for e in entries():
        assert e.formula and e.rule, e.type
        assert "→" in e.example and ":" not in e.example.split("→")[0], (e.type, e.example)  # the rule accepts it
    assert next(e for e in entries() if e.type == "Conv2d").example == "[N, 1, 8, 8] → [N, 16, 6, 6]"
    assert next(e for e in entries() if e.type == "Concatenate").example == "[N, 16, 8, 8], [N, 8, 8, 8] → [N, 24, 8, 8]"


def test_search_matches_names_help_formulas_and_parameters():
    assert [e.type for e in search("softmax")] == ["Softmax", "LogSoftmax", "MultiheadSelfAttention"]  # its formula
    assert "Flatten" in [e.type for e in search("image vector")]  # words of the help, any order
    assert "Conv2d" in [e.type for e in search("dilation")]  # a parameter
    assert "LayerNorm" in [e.type for e in search("√(σ²")]  # the formula
    assert search("no such layer anywhere") == []


def test_the_reference_lists_every_layer_and_filters_as_typed(qtbot):
    dialog = LayerReference()
    qtbot.addWidget(dialog)
    assert sorted(dialog.shown_types()) == sorted(CATALOG)
    QTest.keyClicks(dialog.search, "recurrent")
    assert {"RNN", "LSTM", "GRU", "Recurrent"} <= set(dialog.shown_types()) and "Conv2d" not in dialog.shown_types()
    dialog.search.clear()
    QTest.keyClicks(dialog.search, "zzzz")
    assert dialog.shown_types() == [] and "No layer matches" in dialog.browser.toPlainText()
    dialog.show_layer("Reparameterize")  # a search that hides the layer is cleared
    assert dialog.current_type() == "Reparameterize" and dialog.search.text() == ""
    text = dialog.browser.toPlainText()
    assert "KL" in text and "[N, 32] → [N, 2]" in text and "latent" in text


def test_the_inspector_link_opens_the_reference_at_the_selected_layer(qtbot):
    window = make_window(qtbot)
    layer_reference.install(window.bench, window.inspector)
    conv = next(n for n in window.document.graph.nodes() if n.type == "Conv2d")
    window.scene.select_nodes([conv.id])
    link = window.inspector.findChild(QLabel, "reference_link")
    assert link is not None and link.isVisible()
    link.linkActivated.emit("reference")  # what a click on the link sends
    dialog = window.findChild(LayerReference, "layer_reference")
    assert dialog is not None and dialog.isVisible() and dialog.current_type() == "Conv2d"
    assert "Shape rule" in dialog.browser.toHtml() and "out_channels" in dialog.browser.toPlainText()
    dialog.close()
    menu = window.bench.menu("help")
    action = next(a for a in menu.actions() if a.text() == "Layer &Reference")
    assert menu.actions()[-1].text().startswith("&About")  # About stays last
    window.scene.select_nodes([])
    action.trigger()
    assert dialog.isVisible() and dialog.current_type() == "Conv2d"  # where it was left


def test_a_click_on_the_inspector_link_opens_the_reference(qtbot):
    window = make_window(qtbot)
    layer_reference.install(window.bench, window.inspector)
    node = window.document.graph.nodes()[0]
    window.scene.select_nodes([node.id])
    link = window.inspector.findChild(QLabel, "reference_link")
    qtbot.waitExposed(link)
    QTest.mouseClick(link, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, link.rect().center())
    dialog = window.findChild(LayerReference, "layer_reference")
    assert dialog is not None and dialog.current_type() == node.type


def test_every_page_renders():
    for e in entries():
        html = page(e)
        assert e.type in html and "Parameters" in html
