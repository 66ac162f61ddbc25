"""Saving is atomic and round-trips; every kind of bad file gets a clear message."""
import json
import os

import pytest

import netbuilder
from netbuilder import FileFormatError, GraphBuilder
from netbuilder.graph import SetMeta


def example():
    b = GraphBuilder()
    x = b.add("Input", shape=[1, 8, 8])
    h = b.add("Conv2d", x, out_channels=4, kernel_size=[3, 1], padding=1)
    s = b.add("Conv2d", x, out_channels=4, kernel_size=[3, 1], padding=1, init="kaiming", trainable=False)
    m = b.add("Add", h, s)
    b.add("Output", b.add("Flatten", m), name="logits")
    b.graph.apply(SetMeta(b.graph, "description", "two branches ✓"))
    return b.graph


def test_round_trip(tmp_path):
    g = example()
    path = tmp_path / "net.json"
    g.save(path)
    again = netbuilder.load_graph(path)
    assert again == g
    again.save(tmp_path / "again.json")
    assert (tmp_path / "again.json").read_text() == path.read_text()


def test_save_is_atomic(tmp_path, monkeypatch):
    g = example()
    path = tmp_path / "net.json"
    path.write_text("old contents")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        g.save(path)
    assert path.read_text() == "old contents"
    assert [p.name for p in tmp_path.iterdir()] == ["net.json"]  # no temp file left


def write(tmp_path, data):
    path = tmp_path / "bad.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def good_dict():
    return json.loads(netbuilder.graph.io.dumps(example()))


def mutated(change):
    d = good_dict()
    change(d)
    return d


BAD = {
    "truncated": (lambda: netbuilder.graph.io.dumps(example())[:200], "invalid JSON.*truncated"),
    "not json": (lambda: "hello", "line 1, column 1: invalid JSON"),
    "not ours": (lambda: {"some": "thing"}, "not a netbuilder file"),
    "newer": (lambda: mutated(lambda d: d.update(version=99)), "version 99.*newer netbuilder"),
    "unknown type": (lambda: mutated(lambda d: d["nodes"][1].update(type="Conv9d")),
                     r"node 2 \('conv2d1'\): unknown layer type 'Conv9d'"),
    "wrong param type": (lambda: mutated(lambda d: d["nodes"][1]["params"].update(out_channels="four")),
                         "'out_channels' must be a whole number, not 'four'"),
    "bad choice": (lambda: mutated(lambda d: d["nodes"][2]["params"].update(init="magic")),
                   "'init' must be one of"),
    "unknown param": (lambda: mutated(lambda d: d["nodes"][1]["params"].update(colour=1)),
                      "Conv2d has no parameter 'colour'"),
    "dangling edge": (lambda: mutated(lambda d: d["edges"][0].update({"to": ["n77", "in"]})),
                      "edge 1: refers to a node 'n77'"),
    "duplicate name": (lambda: mutated(lambda d: d["nodes"][2].update(name="conv2d1")),
                       "the name 'conv2d1' is used twice"),
    "bad pos": (lambda: mutated(lambda d: d["nodes"][0].update(pos="left")), "\"pos\" must be two numbers"),
    "two wires": (lambda: mutated(lambda d: d["edges"].append(dict(d["edges"][0]))), "has two wires"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_files_give_clear_messages(tmp_path, case):
    make, message = BAD[case]
    path = write(tmp_path, make())
    with pytest.raises(FileFormatError, match=message) as info:
        netbuilder.load_graph(path)
    assert str(path) in str(info.value)


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(FileFormatError, match="no such file"):
        netbuilder.load_graph(tmp_path / "nope.json")
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(FileFormatError, match="not text"):
        netbuilder.load_graph(tmp_path / "bin.json")


def test_missing_params_take_defaults(tmp_path):
    d = good_dict()
    del d["nodes"][1]["params"]["stride"]
    g = netbuilder.load_graph(write(tmp_path, d))
    assert g.node("n2").params["stride"] == 1


def test_no_pickle_in_project_files():
    text = netbuilder.graph.io.dumps(example())
    assert json.loads(text)["format"] == "netbuilder"


def test_loading_does_not_scan_the_graph_per_node(tmp_path, monkeypatch):
    """Loading is linear: no per-node scan of every node (counted, not timed), 2,000 and 20,000 nodes."""
    from netbuilder import GraphBuilder
    from netbuilder.graph import io
    from netbuilder.graph.model import Graph

    scans = []
    for method in ("nodes", "node_ids"):
        original = getattr(Graph, method)

        def counted(self, original=original):
            scans.append(1)
            return original(self)
        monkeypatch.setattr(Graph, method, counted)
    for n in (2_000, 20_000):
        b = GraphBuilder()
        h = b.add("Input", shape=[4], pos=(0.0, 0.0))
        for i in range(n - 2):
            h = b.add("ReLU", h, pos=(float(i), 0.0))
        b.add("Output", h, pos=(float(n), 0.0))
        path = tmp_path / f"chain{n}.json"
        io.save(b.graph, path)
        scans.clear()
        graph = io.load(path)
        assert len(graph) == n and len(scans) <= 2, f"{len(scans)} scans of the nodes while loading {n} nodes"
