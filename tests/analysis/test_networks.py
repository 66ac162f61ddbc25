"""Problems and fixes that depend on a whole network (is there an Input in it?) take time linear in the
document: each network is walked once per analysis, not the whole document once per layer (issue 26: a
document of 100,000 unwired Linear layers did not check in 400 s). Work is counted, not timed: every read
of the graph's adjacency tables is counted while `netbuilder check` runs on a generated file."""
from __future__ import annotations

import networkx as nx
import pytest

from netbuilder import GraphBuilder
from netbuilder.analysis import Analysis, fix_edit
from netbuilder.analysis.fixes import offered_fix
from netbuilder.cli import main
from netbuilder.graph.edits import Connect
from netbuilder.graph.model import Edge


class CountingDict(dict):
    """An adjacency table that counts the entries read from it (a whole pass over it counts each entry)."""
    reads = 0

    def __getitem__(self, key):
        CountingDict.reads += 1
        return super().__getitem__(key)

    def get(self, key, default=None):
        CountingDict.reads += 1
        return super().get(key, default)

    def __iter__(self):
        CountingDict.reads += len(self)
        return super().__iter__()

    def keys(self):
        CountingDict.reads += len(self)
        return super().keys()

    def items(self):
        CountingDict.reads += len(self)
        return super().items()

    def values(self):
        CountingDict.reads += len(self)
        return super().values()


def wide(n: int):
    b = GraphBuilder()
    for i in range(n):
        b.add("Linear", pos=(float(i % 50) * 200, float(i // 50) * 100), out_features=16)
    return b.graph


@pytest.fixture
def counted(monkeypatch):
    monkeypatch.setattr(nx.MultiDiGraph, "adjlist_outer_dict_factory", CountingDict)
    CountingDict.reads = 0
    return CountingDict


def test_checking_a_wide_unwired_document_reads_the_graph_a_linear_number_of_times(tmp_path, capsys, counted):
    n = 3000
    path = tmp_path / "wide.json"
    wide(n).save(path)
    counted.reads = 0
    assert main(["check", str(path)]) == 1
    out, err = capsys.readouterr()
    assert err.count("input 'in' is not connected (fix: add an Input before it)") == n, err[-500:]
    assert err.count("this network has no Output") == n
    assert f"{2 * n} problem(s)" in err and "Traceback" not in err
    assert counted.reads < 50 * n, f"{counted.reads:,} reads of the adjacency for {n:,} layers: not linear"


def test_the_input_fix_follows_the_wiring():
    graph = wide(3)
    b = GraphBuilder(graph)
    source = b.add("Input", shape=[16])
    first, second, third = [n.id for n in graph.nodes()][:3]
    analysis = Analysis(graph)
    fixes = {p.node: p.fix for p in analysis.problems() if "not connected" in p.message}
    assert set(fixes) == {first, second, third} and all(f.layer == "Input" for f in fixes.values())
    graph.apply(Connect(Edge(first, "out", second, "in")))  # second now has an input; first and third none
    fixes = {p.node: p.fix for p in analysis.problems() if "not connected" in p.message}
    assert set(fixes) == {first, third}
    graph.apply(Connect(Edge(source, "out", third, "in")))
    graph.apply(Connect(Edge(third, "out", first, "in")))  # all one network with an Input: nothing to add
    assert not [p for p in analysis.problems() if "not connected" in p.message]
    assert analysis.network_of(first) == {source, first, second, third}


def test_the_offered_wire_comes_from_another_network():
    b = GraphBuilder()
    h = b.add("Linear", b.add("Input", shape=[16]), out_features=16)
    lone = b.add("Linear", out_features=4, pos=(400.0, 120.0))  # after h in the flow: wires go left to right
    analysis = Analysis(b.graph)
    problem = next(p for p in analysis.problems() if p.node == lone and "not connected" in p.message)
    fix = offered_fix(b.graph, analysis, problem.fix)
    assert fix.kind == "connect" and fix.value[0] == h
    b.graph.apply(fix_edit(b.graph, fix))
    assert not [p for p in analysis.problems() if "not connected" in p.message]
