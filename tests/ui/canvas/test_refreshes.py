"""The scene hears each edit once, after the analysis: one NodeItem refresh per changed node per edit."""
from collections import Counter

import pytest
from PySide6.QtWidgets import QApplication

from netbuilder.graph import Connect, Disconnect, SetParam
from netbuilder.ui.canvas.node_item import NodeItem

from uihelpers import assert_consistent


@pytest.fixture
def refreshes(monkeypatch):
    """Every NodeItem refresh from now on, counted by node id."""
    seen = Counter()
    plain = NodeItem.refresh

    def counted(item):
        seen[item.node_id] += 1
        plain(item)

    monkeypatch.setattr(NodeItem, "refresh", counted)
    return seen


def settled(seen: Counter) -> Counter:
    """The refreshes an edit made, those put off to the event loop included; then the count starts again."""
    QApplication.processEvents()
    QApplication.processEvents()
    counts = Counter(seen)
    seen.clear()
    return counts


def test_each_changed_node_is_refreshed_once_per_edit(window, refreshes):
    doc, graph = window.document, window.document.graph
    conv1, conv2 = graph.by_name("conv1").id, graph.by_name("conv2").id
    downstream = {e.dst for e in graph.out_edges(conv1)}
    settled(refreshes)

    doc.push(SetParam(graph, conv1, "out_channels", 24))  # its shape changes, and what follows it
    counts = settled(refreshes)
    assert counts[conv1] == 1 and all(counts[n] == 1 for n in downstream)
    assert max(counts.values()) == 1

    wire = graph.in_edges(conv2)[0]
    doc.push(Disconnect(wire))
    counts = settled(refreshes)
    assert counts[wire.src] == 1 and counts[conv2] == 1 and max(counts.values()) == 1

    doc.push(Connect(wire))
    counts = settled(refreshes)
    assert counts[wire.src] == 1 and counts[conv2] == 1 and max(counts.values()) == 1

    for step in (doc.undo_stack.undo, doc.undo_stack.undo, doc.undo_stack.undo,
                 doc.undo_stack.redo, doc.undo_stack.redo, doc.undo_stack.redo):
        step()
        counts = settled(refreshes)
        assert counts and max(counts.values()) == 1, step
    assert graph.node(conv1).params["out_channels"] == 24
    assert_consistent(window)


def test_a_drawn_wire_refreshes_its_ends_once(window, refreshes):
    """A Reconnect (a Group: the old wire out, the new one in) is still one refresh of each node it touches."""
    graph = window.document.graph
    fc1, fc2 = graph.by_name("fc1").id, graph.by_name("fc2").id
    relu = next(e.src for e in graph.in_edges(fc1))
    settled(refreshes)
    port = window.scene.node_items[relu].outputs["out"]
    assert window.scene.connect_ports(port, window.scene.node_items[fc2].inputs["in"]) is None
    counts = settled(refreshes)
    assert max(counts.values()) == 1 and counts[fc2] == 1
    assert window.scene.last_replaced is not None
    assert_consistent(window)
