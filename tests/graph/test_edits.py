"""Edits apply, revert exactly, and the document announces each real change once."""
import pytest

from netbuilder import GraphBuilder
from netbuilder.graph import (AddNode, Connect, Disconnect, Edge, EditError, Graph, Group, Node,
                              Rename, SetMeta, SetParam, io, move_nodes, remove_nodes)
from netbuilder.graph import events as ev


def small():
    b = GraphBuilder()
    x = b.add("Input", shape=[4])
    h = b.add("Linear", x, out_features=3)
    b.add("Output", h)
    return b.graph


def snapshot(g):
    return io.dumps(g)


def record(g):
    seen = []
    g.events.connect(seen.append)
    return seen


@pytest.mark.parametrize("make", [
    lambda g: AddNode(Node("z", "ReLU", "relu9", {}, (1.0, 2.0))),
    lambda g: SetParam(g, "n2", "out_features", 7),
    lambda g: Rename(g, "n2", "hidden"),
    lambda g: SetMeta(g, "description", "hello"),
    lambda g: move_nodes(g, {"n1": (5, 5), "n2": (6, 6)}),
    lambda g: remove_nodes(g, ["n2"]),
    lambda g: Disconnect(g.in_edges("n3")[0]),
])
def test_apply_then_revert_restores_the_document(make):
    g = small()
    before = snapshot(g)
    edit = make(g)
    g.apply(edit)
    assert snapshot(g) != before
    edit.revert(g)
    assert snapshot(g) == before
    edit.apply(g)  # redo works from the recorded values alone
    assert snapshot(g) != before


def test_events_name_what_changed():
    g = small()
    seen = record(g)
    g.apply(SetParam(g, "n2", "out_features", 5))
    assert seen == [ev.ParamChanged("n2", "out_features", 5)]
    seen.clear()
    g.apply(remove_nodes(g, ["n2"]))
    kinds = [type(e) for e in seen]
    assert kinds == [ev.BatchStarted, ev.EdgeRemoved, ev.EdgeRemoved, ev.NodeRemoved, ev.BatchEnded]


def test_equal_values_emit_nothing():
    g = small()
    seen = record(g)
    g.apply(SetParam(g, "n2", "out_features", 3))
    g.apply(Rename(g, "n2", g.node("n2").name))
    g.apply(move_nodes(g, {"n1": g.node("n1").pos}))
    assert [e for e in seen if not isinstance(e, (ev.BatchStarted, ev.BatchEnded))] == []


def test_bad_edits_are_refused_and_change_nothing():
    g = small()
    before = snapshot(g)
    with pytest.raises(EditError, match="already connected"):
        g.apply(Connect(Edge("n1", "out", "n3", "in")))
    with pytest.raises(EditError, match="already used"):
        g.apply(Rename(g, "n2", g.node("n1").name))
    with pytest.raises(EditError, match="not a valid name"):
        g.apply(Rename(g, "n2", "2fast"))
    with pytest.raises(EditError, match="still has wires"):
        g.apply(Group([SetParam(g, "n2", "out_features", 9),
                       AddNode(Node("z", "ReLU", "relu9")),
                       *remove_nodes(g, ["n2"]).edits[2:]]))
    assert snapshot(g) == before  # the group rolled back its first two edits


def test_cycle_detection_and_networks():
    b = GraphBuilder()
    x = b.add("Input", shape=[4])
    a = b.add("ReLU", x)
    c = b.add("ReLU", a)
    assert b.graph.would_create_cycle(c, a)
    assert not b.graph.would_create_cycle(x, c)
    y = b.add("Input", shape=[2])
    b.add("Output", y)
    assert [len(p) for p in b.graph.networks()] == [3, 2]


def test_empty_graph_basics():
    g = Graph()
    assert len(g) == 0 and g.edges() == [] and g.networks() == []
    with pytest.raises(EditError, match="no node"):
        g.node("missing")


def test_incremental_analysis_matches_a_fresh_one():
    """Inserting on a wire, undoing, and wiring back make the same shapes as analysing anew."""
    from netbuilder.analysis import Analysis
    from netbuilder.graph import insert_between
    from netbuilder.layers import new_node

    b = GraphBuilder()
    h = b.add("Input", shape=[8])
    for _ in range(5):
        h = b.add("ReLU", b.add("Linear", h, out_features=8))
    b.add("Output", h)
    g = b.graph
    live = Analysis(g)
    calls = []
    live.listeners.connect(calls.append)
    edge = g.in_edges(g.node_ids()[3])[0]
    edit = insert_between(g, edge, new_node(g, "Linear", out_features=5), "in", "out")
    g.apply(edit)
    assert len(calls) == 1  # one update for the whole group

    def snapshot(a):
        return {n: (str(a.output(n)), [p.message for p in a.node_problems(n)]) for n in g.node_ids()}

    assert snapshot(live) == snapshot(Analysis(g))
    assert live.ordered_nodes() == [n for n in live.ordered_nodes()]
    order = {n: i for i, n in enumerate(live.ordered_nodes())}
    assert all(order[e.src] < order[e.dst] for e in g.edges())
    edit.revert(g)
    assert snapshot(live) == snapshot(Analysis(g))
    # a wire that closes a cycle is reported on the cycle's nodes, and removing it clears them
    first, last = g.node_ids()[1], g.node_ids()[-2]
    wire = Connect(Edge(last, "out", first, "extra"))
    g.apply(wire)
    assert any("cycle" in p.message for p in live.problems())
    wire.revert(g)
    assert not any("cycle" in p.message for p in live.problems())
    assert snapshot(live) == snapshot(Analysis(g))


def test_undo_of_a_multi_delete_restores_document_order():
    b = GraphBuilder()
    ids = [b.add("Input", shape=[2]) for _ in range(4)]
    g = b.graph
    before = g.node_ids()
    edit = remove_nodes(g, ids[1:3])
    g.apply(edit)
    edit.revert(g)
    assert g.node_ids() == before


def test_input_fix_follows_the_whole_network():
    """Wiring an Input anywhere into a network withdraws 'add an Input' from its other nodes."""
    from netbuilder.analysis import Analysis

    b = GraphBuilder()
    g = b.graph
    a = b.add("Linear", out_features=4)
    c = b.add("Linear", out_features=4)
    b.add("Output", b.add("Add", a, c))
    live = Analysis(g)
    assert live.node_problems(a)[0].fix.kind == "add_before"
    x = b.add("Input", shape=[8])
    b.connect(x, c)
    assert live.node_problems(a)[0].fix is None
    assert [p.fix for p in live.node_problems(a)] == [p.fix for p in Analysis(g).node_problems(a)]


def test_cycle_message_follows_a_rename():
    from netbuilder.analysis import Analysis

    b = GraphBuilder()
    x = b.add("Input", shape=[4])
    add = b.add("Add", x)
    relu = b.add("ReLU", add)
    live = Analysis(b.graph)
    b.graph.apply(Connect(Edge(relu, "out", add, "in1")))  # a cycle, as a file may hold (GraphBuilder refuses it)
    b.graph.apply(Rename(b.graph, relu, "zzz"))
    assert any("zzz" in p.message for p in live.problems())


def test_names_that_would_hide_a_pytorch_attribute_are_refused():
    from netbuilder.graph.model import name_problem

    for name in ("code", "graph", "forward", "state_dict", "class"):
        assert "reserved" in name_problem(name)
    assert name_problem("bottleneck") is None and name_problem("encoder_code") is None
