"""Blocks as a user makes them: select layers with the mouse, Ctrl+B, double-click to open, edit inside with
undo, the breadcrumb back out, Save to My Blocks and the block dropped into another document."""
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QSpinBox, QToolButton

from netbuilder.graph import io
from netbuilder.graph.block_library import load_block
from netbuilder.graph.edits import AddNode, SetParam
from netbuilder.graph.model import Edge, Node
from netbuilder.paths import blocks_dir
from netbuilder.ui.document import Document

from canvashelpers import boxes_overlap, drag_layer_over, wire_point
from uihelpers import assert_consistent, double_click, make_window, view_point

TEMPLATES = Path(__file__).resolve().parents[3] / "templates"
CHAIN = ["conv2", "relu2", "pool2"]  # the CNN template's second convolution stage


def click_node(window, name, modifier=Qt.KeyboardModifier.NoModifier, double=False):
    node = window.scene.graph.by_name(name)
    item = window.scene.node_items[node.id]
    window.view.ensureVisible(item, 20, 20)
    point = view_point(window, item.mapToScene(item.boundingRect().center()))
    vp = window.view.viewport()
    if double:
        double_click(vp, point, modifier)
    else:
        QTest.mouseClick(vp, Qt.MouseButton.LeftButton, modifier, point)


def group_chain(window, name="ConvStage"):
    for i, layer in enumerate(CHAIN):
        click_node(window, layer, Qt.KeyboardModifier.ControlModifier if i else Qt.KeyboardModifier.NoModifier)
    assert [window.scene.graph.node(n).name for n in window.scene.selected_node_ids()] == CHAIN
    window.blocks.ask_name = lambda default: name
    QTest.keyClick(window, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    (instance,) = window.scene.selected_node_ids()
    return instance


def test_group_open_edit_inside_and_back_out(window, qtbot):
    graph = window.document.graph
    before = io.dumps(graph)
    instance = group_chain(window)
    assert set(graph.blocks) == {"ConvStage"} and graph.node(instance).type == "Block"
    assert window.document.analysis.problems() == [] and str(window.document.analysis.output(instance)) == \
        "[N, 32, 2, 2]"
    assert_consistent(window)
    assert window.scene.node_items[instance].title() == "ConvStage"

    click_node(window, graph.node(instance).name, double=True)  # open it
    definition = graph.blocks["ConvStage"]
    assert window.scene.graph is definition and window.breadcrumb.isVisible()
    assert sorted(n.name for n in definition.nodes()) == sorted(CHAIN + ["x", "out"])
    click_node(window, "conv2")  # inside: the inspector edits the block's layer, one undo step
    spin = window.inspector.editors["out_channels"]
    assert isinstance(spin, QSpinBox)
    spin.setValue(16)
    assert str(window.document.analysis.output(instance)) == "[N, 16, 2, 2]"  # the instance outside follows
    assert window.document.modified
    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert str(window.document.analysis.output(instance)) == "[N, 32, 2, 2]"

    crumb = window.breadcrumb.findChild(QToolButton, "crumb_0")
    QTest.mouseClick(crumb, Qt.MouseButton.LeftButton)  # the breadcrumb: back to the document
    assert window.scene.graph is graph and not window.breadcrumb.isVisible()
    assert_consistent(window)
    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo the grouping
    assert io.dumps(graph) == before
    assert_consistent(window)


def test_undoing_the_group_from_inside_closes_the_block(window, qtbot):
    instance = group_chain(window)
    window.blocks.open(instance)
    assert window.scene.graph is window.document.graph.blocks["ConvStage"]
    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.scene.graph is window.document.graph)
    assert not window.document.graph.blocks and not window.breadcrumb.isVisible()
    assert_consistent(window)


def test_what_cannot_be_grouped_is_said(window, qtbot):
    shown = []
    window.show_message = lambda title, text, *a: shown.append(text)
    click_node(window, "image")
    click_node(window, "conv1", Qt.KeyboardModifier.ControlModifier)
    window.blocks.ask_name = lambda default: "Stem"
    QTest.keyClick(window, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert "cannot hold the network's Input" in shown[-1] and not window.document.graph.blocks
    click_node(window, "conv1")
    window.blocks.ask_name = lambda default: "not a class"
    QTest.keyClick(window, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert "not a valid block name" in shown[-1] and not window.document.graph.blocks


def test_saved_block_is_dropped_into_another_document(window, qtbot, tmp_path):
    instance = group_chain(window)
    window.blocks.save(instance)
    palette = window.layer_palette
    assert not palette.my_blocks.isHidden() and palette.my_blocks.child(0).text(0) == "ConvStage"

    other = make_window(qtbot, Document.from_template(TEMPLATES / "mlp_digits.json"))
    other.activateWindow()
    qtbot.waitUntil(other.isActiveWindow)
    assert other.layer_palette.my_blocks.child(0).text(0) == "ConvStage"  # My Blocks are the user's, in every window
    graph = other.document.graph
    count = len(graph)
    drag_layer_over(other, "myblock:ConvStage", other.view.viewport().rect().center())
    assert len(graph) == count + 1 and "ConvStage" in graph.blocks
    node = next(n for n in graph.nodes() if n.type == "Block")
    assert node.params["block"] == "ConvStage"
    assert_consistent(other)
    QTest.keyClick(other, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # one undo step: block and node go
    assert len(graph) == count and not graph.blocks


def test_a_damaged_my_blocks_file_is_said_not_raised(window, qtbot, config_dir):
    folder = config_dir / "blocks"
    folder.mkdir(parents=True)
    (folder / "Broken.json").write_text("{ not json")
    window.layer_palette.show_my_blocks(["Broken"])
    count = len(window.document.graph)
    drag_layer_over(window, "myblock:Broken", window.view.viewport().rect().center())
    assert len(window.document.graph) == count and "Broken.json" in window.scene.last_refusal


def test_my_block_dropped_on_a_wire_goes_on_it_and_saving_over_another_asks(window, qtbot):
    instance = group_chain(window)
    window.blocks.save(instance)
    graph = window.document.graph
    edge = graph.edge_into(graph.by_name("fc1").id, "in")
    drag_layer_over(window, "myblock:ConvStage", wire_point(window, edge), drop=False)
    assert window.view.drop_wire is window.scene.edge_items[edge]  # the wire lights up while it is held there
    drag_layer_over(window, "myblock:ConvStage", wire_point(window, edge))
    assert boxes_overlap(window) == []  # the layers after it moved aside
    added = [n for n in graph.nodes() if n.type == "Block" and n.id != instance]
    assert len(added) == 1 and graph.edge_into(added[0].id, "x") == Edge(edge.src, edge.src_port, added[0].id, "x")
    definition = graph.blocks["ConvStage"]
    definition.apply(SetParam(definition, definition.by_name("conv2").id, "out_channels", 8))
    asked = []
    window.blocks.confirm_replace = lambda name: asked.append(name) or False
    window.blocks.save(instance)
    assert asked == ["ConvStage"]  # a different ConvStage is saved: asked, and kept when the answer is no
    saved = load_block(blocks_dir(), "ConvStage").blocks["ConvStage"]
    assert saved.by_name("conv2").params["out_channels"] == 32


def test_back_out_of_a_block_the_inspector_and_the_view_are_as_they_were(window, qtbot):
    instance = group_chain(window)
    window.view.zoom_by(0.5)
    zoom, centre = window.view.zoom, window.view.mapToScene(window.view.viewport().rect().center())
    window.blocks.open(instance)
    assert window.inspector.node_id is None
    window.blocks.leave()
    assert window.inspector.node_id == instance  # still selected, and shown
    assert window.view.zoom == zoom
    assert (window.view.mapToScene(window.view.viewport().rect().center()) - centre).manhattanLength() < 10
    definition = window.document.graph.blocks["ConvStage"]
    window.blocks.open(instance)  # a block inside itself is refused, as a paste inside it would do
    assert not window.scene.push(AddNode(Node("b9", "Block", "again", {"block": "ConvStage", "repeat": 1})))
    assert "cannot hold ConvStage" in window.statusBar().currentMessage() and len(definition) == 5
