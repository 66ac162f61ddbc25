"""The wiring rules live in the core once: the builder, the fixes and the canvas refuse a wire with the same text."""
from dataclasses import astuple

import pytest

from netbuilder import GraphBuilder
from netbuilder.analysis import Analysis, fix_edit
from netbuilder.analysis.wiring import CYCLE, GONE, ITSELF, connect, connect_problem
from netbuilder.graph import Connect, Edge, EditError
from netbuilder.graph.problems import Fix


def chain():
    b = GraphBuilder()
    x = b.add("Input", shape=[4])
    a = b.add("ReLU", x)
    c = b.add("ReLU", a)
    out = b.add("Output", c)
    return b, x, a, c, out


def test_each_rule_has_its_reason():
    b, x, a, c, out = chain()
    g = b.graph
    assert connect_problem(g, Edge(c, "out", a, "in")) == "input 'in' of 'relu1' is already connected"
    assert connect_problem(g, Edge(c, "out", a, "in"), replace=True) == CYCLE
    assert connect_problem(g, Edge(a, "out", a, "in"), replace=True) == ITSELF
    assert connect_problem(g, Edge("n99", "out", a, "in")) == GONE
    assert connect_problem(g, Edge(x, "out", c, "in")) == "input 'in' of 'relu2' is already connected"
    assert connect_problem(g, Edge(x, "out", c, "in"), replace=True) is None
    assert connect_problem(g, Edge(x, "out", c, "extra"), replace=True) == \
        "relu2 has no input 'extra' (its inputs: in)"
    assert connect_problem(g, Edge(x, "nope", c, "in"), replace=True) == "input1 has no output 'nope' (its outputs: out)"
    assert connect_problem(g, Edge(a, "out", c, "in")) is None  # the wire that is there: nothing to refuse


def test_connect_builds_a_connect_or_a_reconnect():
    b, x, a, c, out = chain()
    g = b.graph
    assert connect(g, Edge(a, "out", c, "in")) is None  # already there
    edit = connect(g, Edge(x, "out", c, "in"), replace=True)
    assert edit.text == "Reconnect"
    g.apply(edit)
    assert g.edge_into(c, "in") == Edge(x, "out", c, "in")
    edit.revert(g)
    assert g.edge_into(c, "in") == Edge(a, "out", c, "in")


def test_the_builder_the_fixes_and_the_graph_refuse_with_one_text():
    b, x, a, c, out = chain()
    g = b.graph
    taken = "input 'in' of 'relu2' is already connected"
    with pytest.raises(EditError) as raised:
        b.connect(x, c)
    assert str(raised.value) == taken
    with pytest.raises(EditError) as raised:
        g.apply(Connect(Edge(x, "out", c, "in")))  # the edit itself keeps its input whole
    assert str(raised.value) == taken
    with pytest.raises(EditError) as raised:
        fix_edit(g, Fix("connect", "connect", c, value=(x, "out", c, "in")))
    assert str(raised.value) == taken
    add = b.add("Add", x)
    for rule, edge in ((CYCLE, Edge(b.add("ReLU", add), "out", add, "in1")), (ITSELF, Edge(a, "out", a, "in"))):
        with pytest.raises(EditError) as raised:
            b.connect(edge.src, edge.dst, edge.dst_port, replace=True)
        assert str(raised.value) == rule
        if rule == CYCLE:  # (a layer fed by itself has its input taken: that is said first)
            with pytest.raises(EditError) as raised:
                fix_edit(g, Fix("connect", "connect", edge.dst, value=astuple(edge)))
            assert str(raised.value) == rule

def test_a_refused_wire_changes_nothing_and_an_allowed_one_analyses():
    b = GraphBuilder()
    x = b.add("Input", shape=[4])
    add = b.add("Add", x)
    relu = b.add("ReLU", add)
    b.add("Output", relu)
    live = Analysis(b.graph)
    before = sorted(b.graph.edges())
    with pytest.raises(EditError, match="cycle"):
        b.connect(relu, add, "in1")
    assert sorted(b.graph.edges()) == before
    b.connect(b.add("Input", shape=[4]), add, "in1")
    assert live.ok() and str(live.output(relu)) == "[N, 4]"


def test_connect_choices_are_the_wires_the_rules_allow_after_it_first():
    from netbuilder.analysis.wiring import connect_choices

    b = GraphBuilder()
    x = b.add("Input", shape=[4], pos=(0.0, 0.0))
    a = b.add("ReLU", x, pos=(240.0, 0.0))
    c = b.add("ReLU", a, pos=(480.0, 0.0))
    lone = b.add("Tanh", pos=(720.0, 0.0))
    merge = b.add("Add", c, pos=(960.0, 0.0))
    early = b.add("Sigmoid", pos=(-240.0, 0.0))  # before it in the flow: offered last
    out = b.add("Output", pos=(1200.0, 0.0))
    g = b.graph
    edges = connect_choices(g, a)
    assert [e.dst for e in edges] == [lone, merge, out, early]  # after it, nearest first; then before it
    assert all(connect_problem(g, e) is None for e in edges)
    assert Edge(a, "out", merge, "in1") in edges  # a merge's next free input
    assert not any(e.dst in (x, a, c) for e in edges)  # no taken input, not itself, no cycle
    assert connect_choices(g, out) == []  # an Output has nothing to give
