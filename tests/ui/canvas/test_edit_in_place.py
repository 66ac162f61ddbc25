"""Changing a network where it stands, as a user does it: drop a layer on a wire, the context menus
(replace, insert, disconnect, fixes), room for new layers, the note on a replaced wire."""
from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from netbuilder.ui.canvas.edge_item import ABOVE, BELOW
from netbuilder.ui.layer_picker import LayerPicker

from canvashelpers import boxes_overlap, drag_layer_over, node_named, wire_point
from uihelpers import assert_consistent, drag, port_point


def choose_in_picker(qtbot, text: str, chosen: list) -> None:
    """When the layer picker opens: type `text` and press Enter (as the user does)."""
    def answer():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, LayerPicker):
            QTimer.singleShot(20, answer)
            return
        QTest.keyClicks(dialog.search, text)
        chosen.append(dialog.visible_types())
        QTest.keyClick(dialog.search, Qt.Key.Key_Return)
    QTimer.singleShot(0, answer)


def trigger(menu, text: str) -> None:
    action = next((a for a in menu.actions() if a.text() == text), None)
    assert action is not None, f"no '{text}' in {[a.text() for a in menu.actions()]}"
    action.trigger()


def test_drop_a_layer_on_a_wire_inserts_it_in_one_undo_step(window, qtbot):
    graph, scene = window.document.graph, window.scene
    window.fit()
    fc1, relu3 = node_named(window, "fc1").id, node_named(window, "relu3").id
    edge = graph.edge_into(relu3, "in")
    at = wire_point(window, edge)
    before = len(graph)
    drag_layer_over(window, "Dropout", at, drop=False)
    assert scene.edge_items[edge].highlight  # the wire shows where the layer would go
    drag_layer_over(window, "Dropout", at)
    assert not any(i.highlight for i in scene.edge_items.values())
    new = graph.nodes()[-1]
    assert len(graph) == before + 1 and new.type == "Dropout"
    assert [e.src for e in graph.in_edges(new.id)] == [fc1]
    assert [e.src for e in graph.in_edges(relu3)] == [new.id]
    assert boxes_overlap(window) == []
    assert scene.selected_node_ids() == [new.id]
    assert_consistent(window)
    window.document.undo_stack.undo()
    assert len(graph) == before and graph.edge_into(relu3, "in") == edge
    assert_consistent(window)


def test_a_layer_whose_ports_do_not_fit_is_not_put_on_the_wire(window, qtbot):
    graph, scene = window.document.graph, window.scene
    window.fit()
    relu3 = node_named(window, "relu3").id
    edge = graph.edge_into(relu3, "in")
    at = wire_point(window, edge)
    drag_layer_over(window, "Output", at, drop=False)
    assert not scene.edge_items[edge].highlight  # no promise of an insert
    messages = []
    scene.message.connect(messages.append)
    drag_layer_over(window, "Output", at)
    assert graph.edge_into(relu3, "in") == edge  # the wire is as it was
    assert scene.last_refusal == "Output has no output: it cannot go on a wire"
    assert messages == ["Output has no output: it cannot go on a wire: it was put beside the wire"]
    assert scene.note.isVisible() and scene.note.text == scene.last_refusal
    assert graph.nodes()[-1].type == "Output"
    assert_consistent(window)


def test_a_drop_of_an_unknown_layer_type_says_so(window, qtbot):
    graph, scene = window.document.graph, window.scene
    window.fit()
    before = len(graph)
    edge = graph.edge_into(node_named(window, "relu3").id, "in")
    messages = []
    scene.message.connect(messages.append)
    drag_layer_over(window, "NoSuchLayer", wire_point(window, edge))
    assert len(graph) == before and graph.edge_into(edge.dst, "in") == edge
    assert messages == ["unknown layer type 'NoSuchLayer'"]


def test_replace_with_keeps_wires_and_parameters_in_one_undo_step(window, qtbot):
    graph, scene = window.document.graph, window.scene
    conv2 = node_named(window, "conv2")
    wires_before = (graph.in_edges(conv2.id), graph.out_edges(conv2.id))
    params = dict(conv2.params)
    steps = window.document.undo_stack.count()
    menu = scene.build_node_menu(scene.node_items[conv2.id])
    shown = []
    choose_in_picker(qtbot, "transpose", shown)
    trigger(menu, "Replace with…")
    assert shown == [["ConvTranspose2d"]]  # the search narrowed the list
    node = graph.node(conv2.id)
    assert node.type == "ConvTranspose2d" and node.name == "conv2"
    for name in ("out_channels", "kernel_size", "stride", "padding", "bias"):
        assert node.params[name] == params[name]
    assert (graph.in_edges(conv2.id), graph.out_edges(conv2.id)) == wires_before
    assert window.document.undo_stack.count() == steps + 1
    assert scene.node_items[conv2.id].node.type == "ConvTranspose2d"
    assert_consistent(window)
    window.document.undo_stack.undo()
    assert graph.node(conv2.id).type == "Conv2d" and graph.node(conv2.id).params == params
    assert_consistent(window)


def test_replace_refuses_a_type_without_room_for_the_wires(window, qtbot):
    scene = window.scene
    conv1 = node_named(window, "conv1").id
    messages = []
    scene.message.connect(messages.append)
    assert scene.replace_node(conv1, "Input") is None
    assert messages == ["Input has no input, but conv1 has a wire in: disconnect it first"]
    menu = scene.build_node_menu(scene.node_items[conv1])
    shown = []
    choose_in_picker(qtbot, "", shown)
    trigger(menu, "Replace with…")
    assert "Input" not in shown[0] and "Output" not in shown[0] and "ReLU" in shown[0]


def test_insert_before_and_after_from_the_menu(window, qtbot):
    graph, scene = window.document.graph, window.scene
    fc1, relu3, flatten = (node_named(window, n).id for n in ("fc1", "relu3", "flatten1"))
    choose_in_picker(qtbot, "dropout", [])
    trigger(scene.build_node_menu(scene.node_items[fc1]), "Insert before…")
    before = graph.predecessors(fc1)[0]
    assert graph.node(before).type == "Dropout" and graph.predecessors(before) == [flatten]
    choose_in_picker(qtbot, "LayerNorm", [])
    trigger(scene.build_node_menu(scene.node_items[fc1]), "Insert after…")
    after = graph.successors(fc1)[0]
    assert graph.node(after).type == "LayerNorm" and graph.successors(after) == [relu3]
    assert boxes_overlap(window) == []
    assert window.document.analysis.ok()
    assert_consistent(window)
    window.document.undo_stack.undo()
    assert graph.successors(fc1) == [relu3]


def test_disconnect_input_add_output_and_select_downstream(window, qtbot):
    graph, scene = window.document.graph, window.scene
    pool2, flatten, fc2 = (node_named(window, n).id for n in ("pool2", "flatten1", "fc2"))
    menu = scene.build_node_menu(scene.node_items[flatten])
    trigger(menu, "Disconnect input (from pool2)")
    assert graph.in_edges(flatten) == []
    window.document.undo_stack.undo()
    assert graph.predecessors(flatten) == [pool2]
    trigger(scene.build_node_menu(scene.node_items[fc2]), "Add Output after")
    out = graph.nodes()[-1]
    assert out.type == "Output" and graph.predecessors(out.id) == [fc2]
    assert boxes_overlap(window) == []
    trigger(scene.build_node_menu(scene.node_items[flatten]), "Select downstream")
    names = {graph.node(n).name for n in scene.selected_node_ids()}
    assert names == {"flatten1", "fc1", "relu3", "fc2", "logits", out.name}
    assert_consistent(window)


def test_wire_menu_inserts_a_layer_and_deletes_the_wire(window, qtbot):
    graph, scene = window.document.graph, window.scene
    relu3 = node_named(window, "relu3").id
    edge = graph.edge_into(relu3, "in")
    choose_in_picker(qtbot, "batchnorm1d", [])
    trigger(scene.build_edge_menu(scene.edge_items[edge]), "Insert layer…")
    new = graph.predecessors(relu3)[0]
    assert graph.node(new).type == "BatchNorm1d"
    edge = graph.edge_into(relu3, "in")
    trigger(scene.build_edge_menu(scene.edge_items[edge]), "Delete wire")
    assert graph.edge_into(relu3, "in") is None
    menu = scene.build_node_menu(scene.node_items[relu3])
    assert [a.text() for a in menu.actions()][-2:] == ["Duplicate", "Delete"]
    assert_consistent(window)


def test_a_fix_puts_its_layer_where_it_overlaps_nothing(window, qtbot):
    scene, graph = window.scene, window.document.graph
    scene.select_nodes([node_named(window, "flatten1").id])
    scene.delete_selection()
    fc1, pool2 = node_named(window, "fc1").id, node_named(window, "pool2").id
    window.fit()
    drag(window, port_point(window, pool2, "out", False), port_point(window, fc1, "in", True))
    qtbot.waitUntil(lambda: bool(scene.node_items[fc1].problems))
    trigger(scene.build_node_menu(scene.node_items[fc1]), "Fix: insert Flatten")
    assert graph.node(graph.predecessors(fc1)[0]).type == "Flatten"
    assert boxes_overlap(window) == []
    assert_consistent(window)


def test_a_fix_on_a_crowded_chain_moves_the_rest_aside_in_the_same_step(window, qtbot):
    scene, graph = window.scene, window.document.graph
    window.auto_layout()  # one row, a layer every 260 px: no room between two layers
    fc1, fc2 = node_named(window, "fc1").id, node_named(window, "fc2").id
    logits = node_named(window, "logits").id
    x_before = graph.node(logits).pos[0]
    steps = window.document.undo_stack.count()
    assert scene.insert_after(fc1, "Dropout")
    assert graph.node(logits).pos[0] > x_before  # the layers after it moved on
    assert boxes_overlap(window) == []
    assert window.document.undo_stack.count() == steps + 1
    window.document.undo_stack.undo()
    assert graph.node(logits).pos[0] == x_before and len(graph.successors(fc1)) == 1
    assert graph.node(fc2).pos[1] == graph.node(fc1).pos[1]
    assert_consistent(window)


def test_a_wire_that_replaces_another_says_so(window, qtbot):
    scene, graph = window.scene, window.document.graph
    window.fit()
    relu1, relu2, pool2 = (node_named(window, n).id for n in ("relu1", "relu2", "pool2"))
    messages = []
    scene.message.connect(messages.append)
    drag(window, port_point(window, relu1, "out", False), port_point(window, pool2, "in", True))
    assert graph.predecessors(pool2) == [relu1]
    text = "replaced the wire from relu2 into pool2.in"
    assert scene.last_replaced == text and text in messages
    assert scene.note.isVisible() and scene.note.text == text and not scene.note.error
    assert len(scene.ghosts) == 1 and scene.ghosts[0].scene() is scene  # the old wire, fading
    qtbot.waitUntil(lambda: not scene.ghosts, timeout=4000)
    assert_consistent(window)


def test_a_wire_behind_a_layer_is_drawn_above_it(window, qtbot):
    scene, graph = window.scene, window.document.graph
    relu3 = node_named(window, "relu3").id
    edge = graph.edge_into(relu3, "in")
    assert scene.edge_items[edge].zValue() == BELOW
    middle = scene.edge_items[edge].path().pointAtPercent(0.3)
    node = scene.add_layer("Tanh", middle + QPointF(85, 30))  # dropped right on top of the wire
    assert scene.node_items[node].sceneBoundingRect().contains(middle)
    qtbot.waitUntil(lambda: scene.edge_items[edge].zValue() == ABOVE)
    window.document.undo_stack.undo()
    scene.node_item_moved(scene.node_items[relu3])  # the wire is routed again (as when a layer moves)
    qtbot.waitUntil(lambda: scene.edge_items[edge].zValue() == BELOW)


def test_a_lone_layer_is_offered_the_nearest_port(window, qtbot):
    scene, graph = window.scene, window.document.graph
    fc2 = node_named(window, "fc2")
    node_id = scene.add_layer("Softmax", QPointF(fc2.pos[0] + 260 + 85, fc2.pos[1] + 180))
    qtbot.waitUntil(lambda: bool(scene.node_items[node_id].problems))
    menu = scene.build_node_menu(scene.node_items[node_id])
    texts = [a.text() for a in menu.actions()]
    assert "Fix: connect fc2 to it" in texts
    assert "Fix: add an Input before it" not in texts
    trigger(scene.build_node_menu(scene.node_items[node_id]), "Fix: connect fc2 to it")
    assert graph.predecessors(node_id) == [fc2.id]
    assert window.document.undo_stack.undoText() == "Connect fc2 to it"
    assert_consistent(window)


def test_the_picker_filters_as_you_type(qtbot):
    picker = LayerPicker("Pick", ["ReLU", "LeakyReLU", "Linear", "Conv2d"])
    qtbot.addWidget(picker)
    QTest.keyClicks(picker.search, "relu")
    assert picker.visible_types() == ["LeakyReLU", "ReLU"]
    assert picker.list.currentItem().data(Qt.ItemDataRole.UserRole) == "ReLU"
    QTest.keyClicks(picker.search, "zzz")
    assert picker.visible_types() == [] and not picker.empty.isHidden()


def test_layers_double_clicked_in_the_palette_build_a_row_without_overlapping(qtbot):
    from netbuilder.graph.layout import box_of
    from netbuilder.ui.document import Document
    from uihelpers import make_window as window_on

    window = window_on(qtbot, Document())
    for layer in ("Input", "Linear", "ReLU", "Linear", "Output"):
        window.add_layer_at_centre(layer)  # as a double-click in the palette does
    graph = window.document.graph
    nodes = graph.node_ids()
    assert len(nodes) == 5
    xs = [graph.node(n).pos[0] for n in nodes]
    assert xs == sorted(xs) and len({graph.node(n).pos[1] for n in nodes}) == 1  # one row, left to right
    boxes = [box_of(graph, n) for n in nodes]
    assert all(a[2] <= b[0] for a, b in zip(boxes, boxes[1:]))  # none on top of another


def test_an_output_is_not_offered_the_input_itself(qtbot):
    from netbuilder.ui.document import Document
    from uihelpers import make_window as window_on

    window = window_on(qtbot, Document())
    for layer in ("Input", "Linear", "ReLU", "Linear", "Output"):
        window.add_layer_at_centre(layer)  # five lone layers in a row, none wired
    graph = window.document.graph
    output, relu = graph.by_name("output1").id, graph.by_name("relu1").id

    def offered(node):
        return [p.fix.label for p in window.problems.problems or [] if p.node == node and p.fix is not None]
    qtbot.waitUntil(lambda: "connect linear1 to it" in offered(relu))  # the layer before it in the row
    assert offered(output) == ["connect linear2 to it"]  # not the Input itself, nor a second Input
    assert "connect it to linear2" in offered(relu)  # and the one after it: never backwards
