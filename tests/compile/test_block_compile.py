"""Blocks: grouping, shapes, compile and export (one class per block), the file format, My blocks, paste."""
import json
from pathlib import Path

import pytest
import torch

from netbuilder.analysis import Analysis
from netbuilder.analysis.blocks import group_into_block, spec_of, ungroup
from netbuilder.compile.build import build_model
from netbuilder.compile.source import export_source
from netbuilder.graph import io
from netbuilder.graph.block_library import folder_blocks, load_block, save_block, use_block
from netbuilder.graph.clipboard import copy_nodes, paste_edit
from netbuilder.graph.edits import AddBlock, Connect, RemoveBlock, SetParam
from netbuilder.graph.model import Graph, Node
from netbuilder.graph.model import Edge, EditError
from netbuilder.layers import check_node

TEMPLATES = Path(__file__).parents[2] / "templates"
BLOCK1 = ["n5", "n6", "n7", "n8", "n9", "n10", "n11"]  # _residual_doc's residual block


def outputs(graph, x, seed=0):
    torch.manual_seed(seed)
    return build_model(graph).eval()(x)


@pytest.fixture
def grouped():
    """A small residual network whose residual block is grouped into ResBlock."""
    graph = _residual_doc()
    analysis = Analysis(graph)
    edit, instance = group_into_block(graph, analysis, BLOCK1, "ResBlock")
    graph.apply(edit)
    yield graph, analysis, instance
    analysis.close()


def _residual_doc():
    """A small residual network, built by hand so this file does not depend on how a template is written."""
    from netbuilder.graph.edits import AddNode, Group
    from netbuilder.layers import new_node
    from netbuilder.graph.model import Graph

    graph = Graph()
    chain = [("Input", {"shape": [1, 8, 8]}), ("Conv2d", {"out_channels": 8, "padding": 1}),
             ("BatchNorm2d", {}), ("ReLU", {}),
             ("Conv2d", {"out_channels": 8, "padding": 1}), ("BatchNorm2d", {}), ("ReLU", {}),
             ("Conv2d", {"out_channels": 8, "padding": 1}), ("BatchNorm2d", {}), ("Add", {}), ("ReLU", {}),
             ("GlobalAvgPool", {}), ("Linear", {"out_features": 10}), ("Output", {})]
    nodes = [new_node(graph, t, (i * 200.0, 0.0), name=f"{t.lower()}_{i + 1}", **p) for i, (t, p) in enumerate(chain)]
    for i, node in enumerate(nodes):
        node.id = f"n{i + 1}"
    graph.apply(Group([AddNode(n) for n in nodes]))
    for a, b in zip(nodes, nodes[1:]):
        graph.apply(Connect(Edge(a.id, "out", b.id, "in1" if b.type == "Add" else "in")))
    graph.apply(Connect(Edge("n4", "out", "n10", "in0")))  # the skip
    return graph


def test_group_keeps_outputs_and_shapes(grouped):
    graph, analysis, instance = grouped
    flat = _residual_doc()
    x = torch.randn(3, 1, 8, 8)
    assert analysis.problems() == []
    assert str(analysis.shown_type(instance)) == "[N, 8, 8, 8]"
    assert spec_of(graph, graph.node(instance)).inputs == ("x",)
    assert torch.equal(outputs(flat, x), outputs(graph, x))
    assert set(graph.blocks) == {"ResBlock"} and len(graph) == len(flat) - len(BLOCK1) + 1
    assert type(build_model(graph).get_submodule(graph.node(instance).name)).__name__ == "ResBlock"


def test_group_is_one_undoable_edit(grouped):
    graph, analysis, _ = grouped
    flat = _residual_doc()
    edit, _ = group_into_block(flat, Analysis(flat), BLOCK1, "ResBlock")
    before = io.dumps(flat)
    flat.apply(edit)
    edit.revert(flat)
    assert io.dumps(flat) == before and not flat.blocks


def test_group_refuses_what_cannot_be_a_block(grouped):
    graph = _residual_doc()
    analysis = Analysis(graph)
    with pytest.raises(EditError, match="Input or Output"):
        group_into_block(graph, analysis, ["n1", "n2"], "Stem")
    with pytest.raises(EditError, match="one result"):
        group_into_block(graph, analysis, ["n3", "n4", "n5"], "Two")  # n4 feeds n5 and the skip
    with pytest.raises(EditError, match="capital"):
        group_into_block(graph, analysis, ["n5"], "resblock")
    with pytest.raises(EditError, match="select"):
        group_into_block(graph, analysis, [], "Empty")


def test_repeated_block_compiles_and_exports_to_the_same_outputs(grouped):
    graph, analysis, instance = grouped
    graph.apply(SetParam(graph, instance, "repeat", 3))
    assert analysis.problems() == []
    x = torch.randn(4, 1, 8, 8)
    torch.manual_seed(0)
    model = build_model(graph).eval()
    stacked = model.get_submodule(graph.node(instance).name)
    assert [type(m).__name__ for m in stacked] == ["ResBlock"] * 3
    source = export_source(graph)
    assert source.count("class ResBlock(nn.Module)") == 1
    assert "nn.Sequential(*[ResBlock() for _ in range(3)])" in source
    namespace = {}
    exec(compile(source, "exported.py", "exec"), namespace)
    exported = namespace[type(model).__name__]().eval()
    exported.load_state_dict(model.state_dict())
    assert torch.allclose(exported(x), model(x), atol=1e-6)


def test_repeat_needs_a_shape_keeping_block(grouped):
    graph, analysis, instance = grouped
    definition = graph.blocks["ResBlock"]
    inner_pool = [n for n in definition.nodes() if n.type == "Conv2d"][-1]
    definition.apply(SetParam(definition, inner_pool.id, "out_channels", 4))  # the Add now fails inside
    problem = analysis.node_problems(instance)[0]
    assert "inside block ResBlock" in problem.message
    definition.apply(SetParam(definition, inner_pool.id, "out_channels", 8))
    assert analysis.node_problems(instance) == []


def test_editing_the_definition_changes_every_instance(grouped):
    graph, analysis, instance = grouped
    data = copy_nodes(graph, [instance])
    edit, (second,) = paste_edit(graph, data)
    graph.apply(edit)
    assert graph.node(second).params["block"] == "ResBlock" and set(graph.blocks) == {"ResBlock"}


def test_file_round_trip_and_version(grouped, tmp_path):
    graph, _, instance = grouped
    path = tmp_path / "doc.json"
    io.save(graph, path)
    data = json.loads(path.read_text())
    assert data["version"] == 2 and list(data["blocks"]) == ["ResBlock"]
    again = io.load(path, check_node)
    assert again == graph and io.dumps(again) == io.dumps(graph)
    x = torch.randn(2, 1, 8, 8)
    assert torch.equal(outputs(again, x), outputs(graph, x))
    plain = _residual_doc()
    assert io.to_dict(plain)["version"] == 1  # a document without blocks stays readable by older netbuilders


def test_every_template_without_blocks_still_opens_as_version_1():
    for path in TEMPLATES.glob("*.json"):
        data = json.loads(path.read_text())
        assert data["version"] in (1, 2)
        assert io.load(path, check_node) is not None


@pytest.mark.parametrize("bad, message", [
    ({"blocks": []}, "blocks: must be an object"),
    ({"blocks": {"lower": {"nodes": []}}}, "capital"),
    ({"blocks": {"B": {"nodes": [{"id": "a"}]}}}, "block B, node 1"),
    ({"blocks": {"B": {"nodes": [], "edges": [{"from": ["x", "out"], "to": ["y", "in"]}]}}}, "block B, edge 1"),
])
def test_bad_blocks_in_a_file_are_said(bad, message):
    data = {"format": "netbuilder", "version": 2, "nodes": [], "edges": [], "meta": {}, **bad}
    with pytest.raises(io.FileFormatError, match=message):
        io.from_dict(data, check_node, source="doc.json")


def test_a_missing_or_recursive_block_is_a_problem(grouped):
    graph, analysis, instance = grouped
    graph.apply(SetParam(graph, instance, "block", "Nope"))
    assert "no block named 'Nope'" in analysis.node_problems(instance)[0].message
    loop = Graph()  # a block that uses itself, as a hand-edited file may hold
    loop._insert(Node("a", "Input", "x", check_node("Input", {"shape": [8, 8, 8]})))
    loop._insert(Node("b", "Block", "again", {"block": "Loop", "repeat": 1}))
    loop._insert(Node("c", "Output", "out", {}))
    for e in (Edge("a", "out", "b", "x"), Edge("b", "out", "c", "in")):
        loop._g.add_edge(e.src, e.dst, key=e)
    graph.apply(AddBlock("Loop", loop))
    graph.apply(SetParam(graph, instance, "block", "Loop"))
    assert "contains itself" in analysis.node_problems(instance)[0].message


def test_ungroup_puts_the_layers_back(grouped):
    graph, analysis, instance = grouped
    x = torch.randn(2, 1, 8, 8)
    before = outputs(graph, x)
    edit, new_ids = ungroup(graph, instance)
    graph.apply(edit)
    assert analysis.problems() == [] and not graph.blocks and len(new_ids) == len(BLOCK1)
    assert torch.equal(outputs(graph, x), before)
    edit.revert(graph)
    assert set(graph.blocks) == {"ResBlock"}


def test_my_blocks_save_and_use_in_another_document(grouped, tmp_path):
    graph, _, _ = grouped
    save_block(graph, "ResBlock", tmp_path / "blocks")
    assert folder_blocks(tmp_path / "blocks") == ["ResBlock"]
    library = load_block(tmp_path / "blocks", "ResBlock", check_node)
    other = io.load(TEMPLATES / "cnn_digits.json", check_node)
    analysis = Analysis(other)
    edit, node_id = use_block(other, library, "ResBlock", (0, 0))
    other.apply(edit)
    assert "ResBlock" in other.blocks and other.node(node_id).params["block"] == "ResBlock"
    again, second = use_block(other, library, "ResBlock", (0, 200))
    other.apply(again)  # the same definition: reused, not defined twice
    assert list(other.blocks) == ["ResBlock"]
    changed = library.blocks["ResBlock"]
    conv = next(n for n in changed.nodes() if n.type == "Conv2d")
    changed.apply(SetParam(changed, conv.id, "kernel_size", 5))
    third, node3 = use_block(other, library, "ResBlock", (0, 400))
    other.apply(third)  # a different block of that name: its own name
    assert other.node(node3).params["block"] == "ResBlock2"
    analysis.close()


def test_a_damaged_my_blocks_file_is_said(tmp_path):
    (tmp_path / "Broken.json").write_text("{not json")
    with pytest.raises(io.FileFormatError, match="Broken.json"):
        load_block(tmp_path, "Broken", check_node)
    (tmp_path / "Empty.json").write_text(json.dumps({"format": "netbuilder", "version": 2, "nodes": []}))
    with pytest.raises(io.FileFormatError, match="no block named 'Empty'"):
        load_block(tmp_path, "Empty", check_node)


def test_code_layers_inside_blocks_are_asked_about(grouped):
    from netbuilder.graph import trust
    graph, _, _ = grouped
    definition = graph.blocks["ResBlock"]
    relu = next(n for n in definition.nodes() if n.type == "ReLU")
    definition._g.nodes[relu.id]["node"].type = "Code"  # as a file from someone else may hold it
    definition._g.nodes[relu.id]["node"].params = {"code": "def forward(self, x):\n    return x\n"}
    assert (f"ResBlock.{relu.name}", "def forward(self, x):\n    return x\n") in trust.code_layers(graph)


def test_a_block_inside_a_block_follows_its_changes_and_exports():
    from netbuilder import GraphBuilder

    inner = GraphBuilder()
    inner.add("Output", inner.add("ReLU", inner.add("Linear", inner.add("Input", name="x", shape=[8]),
                                                    name="fc", out_features=8)), name="out")
    outer = GraphBuilder()
    b = GraphBuilder()
    b.define("Dense", inner)
    outer.graph.blocks = b.graph.blocks  # the outer block uses Dense: they share the document's table
    h = outer.add("Block", outer.add("Input", name="x", shape=[8]), block="Dense", repeat=2, name="twice")
    outer.add("Output", outer.add("Linear", h, name="head", out_features=3), name="out")
    b.define("Head", outer)
    x = b.add("Input", name="features", shape=[8])
    node = b.add("Block", x, block="Head", name="head")
    b.add("Output", node, name="scores")
    graph = b.graph
    analysis = Analysis(graph)
    assert analysis.problems() == [] and str(analysis.output(node)) == "[N, 3]"
    source = export_source(graph)
    assert source.count("class Dense(nn.Module)") == 1 and source.count("class Head(nn.Module)") == 1
    torch.manual_seed(0)
    model = build_model(graph).eval()
    namespace = {}
    exec(compile(source, "exported.py", "exec"), namespace)
    exported = namespace[type(model).__name__]().eval()
    exported.load_state_dict(model.state_dict())
    x = torch.randn(5, 8)
    assert torch.allclose(exported(x), model(x), atol=1e-6)
    dense = graph.blocks["Dense"]
    fc = dense.by_name("fc")
    dense.apply(SetParam(dense, fc.id, "out_features", 4))  # Dense now gives 4: stacking it twice fails
    assert "inside block Head" in analysis.node_problems(node)[0].message
    dense.apply(SetParam(dense, fc.id, "out_features", 8))
    assert analysis.problems() == []
    again = io.loads(io.dumps(graph), check_node)
    assert set(again.blocks) == {"Dense", "Head"} and Analysis(again).problems() == []


def _two_input_block():
    """A block whose ports are q [4] then k [6] (in that order, not by name): Linear(q) joined with k."""
    from netbuilder import GraphBuilder

    inner = GraphBuilder()
    q = inner.add("Input", name="q", shape=[4])
    k = inner.add("Input", name="k", shape=[6])
    inner.add("Output", inner.add("Concatenate", inner.add("Linear", q, out_features=5, name="fc"), k), name="out")
    b = GraphBuilder()
    b.define("Join", inner)
    node = b.add("Block", b.add("Input", name="a", shape=[4]), b.add("Input", name="b", shape=[6]), block="Join")
    b.add("Output", node, name="joined")
    return b.graph, node


def test_a_block_takes_its_inputs_in_its_ports_order():
    graph, node = _two_input_block()
    analysis = Analysis(graph)
    assert analysis.problems() == [] and str(analysis.output(node)) == "[N, 11]"
    assert analysis.input_list(node) == [analysis.output(graph.by_name("a").id), analysis.output(graph.by_name("b").id)]
    model = build_model(graph)
    assert model(torch.randn(2, 4), torch.randn(2, 6)).shape == (2, 11)
    from netbuilder.compile import param_count
    assert param_count("Block", graph.node(node).params, analysis.input_list(node), graph) == (25, 25)


def test_pasting_a_block_into_its_own_document_reuses_it(grouped):
    graph, _, instance = grouped
    graph.apply(AddBlock("Extra", _residual_doc()))  # another block in the table: not part of ResBlock
    edit, (copy,) = paste_edit(graph, copy_nodes(graph, [instance]))
    graph.apply(edit)
    assert graph.node(copy).params["block"] == "ResBlock" and sorted(graph.blocks) == ["Extra", "ResBlock"]


def test_ungrouping_keeps_a_block_another_block_uses(grouped):
    from netbuilder import GraphBuilder

    graph, analysis, instance = grouped
    stage = GraphBuilder()
    stage.graph.blocks = graph.blocks
    stage.add("Output", stage.add("Block", stage.add("Input", name="x", shape=[8, 8, 8]), block="ResBlock"),
              name="out")
    graph.apply(AddBlock("Stage", stage.graph))
    graph.apply(ungroup(graph, instance)[0])
    assert "ResBlock" in graph.blocks  # Stage still uses it
    definition = graph.blocks["Stage"]
    inner = definition.block_users("ResBlock")[0]
    with pytest.raises(EditError, match="still used"):
        graph.apply(RemoveBlock(graph, "ResBlock"))
    edit, _ = group_into_block(definition, Analysis(definition), [inner], "Wrapped")  # made inside a block
    definition.apply(edit)
    assert "Wrapped" in graph.blocks and graph.blocks["Wrapped"].parent is graph  # the document's
    edit.revert(definition)
    assert "Wrapped" not in graph.blocks


def test_ungrouping_a_pass_through_block_keeps_the_wire():
    from netbuilder import GraphBuilder

    inner = GraphBuilder()
    inner.add("Output", inner.add("Input", name="x", shape=[3]), name="out")
    b = GraphBuilder()
    b.define("Same", inner)
    t = b.add("Input", name="t", shape=[3])
    node = b.add("Block", t, block="Same")
    r = b.add("Output", node, name="r")
    graph = b.graph
    graph.apply(ungroup(graph, node)[0])
    assert [(e.src, e.dst) for e in graph.edges()] == [(t, r)]


def test_a_block_named_like_a_layer_class_exports_as_its_own_class():
    from netbuilder import GraphBuilder

    inner = GraphBuilder()
    inner.add("Output", inner.add("PositionalEncoding", inner.add("Input", name="x", shape=[8, 4])), name="out")
    b = GraphBuilder()
    b.define("PositionalEncoding", inner)
    b.add("Output", b.add("Block", b.add("Input", name="s", shape=[8, 4]), block="PositionalEncoding"), name="y")
    source = export_source(b.graph)
    namespace = {}
    exec(compile(source, "exported.py", "exec"), namespace)
    torch.manual_seed(0)
    model = build_model(b.graph).eval()
    exported = namespace[type(model).__name__]().eval()
    exported.load_state_dict(model.state_dict())
    x = torch.randn(2, 8, 4)
    assert torch.allclose(exported(x), model(x))
    assert "class PositionalEncoding2(nn.Module)" in source


@pytest.mark.parametrize("blocks, message", [
    ({"A": [("B", "A")], "B": [("A", "B")]}, "uses itself"),
    ({f"B{i}": [(f"B{i + 1}", f"B{i}")] for i in range(40)}, "nest more than 16 deep"),
])
def test_blocks_that_use_themselves_or_nest_too_deep_are_refused(blocks, message):
    parts = {}
    for name, uses in blocks.items():
        nodes = [{"id": "i", "type": "Input", "name": "x", "params": {"shape": [2]}},
                 {"id": "o", "type": "Output", "name": "out", "params": {}}]
        nodes += [{"id": f"u{k}", "type": "Block", "name": f"use{k}", "params": {"block": used}}
                  for k, (used, _) in enumerate(uses)]
        parts[name] = {"nodes": nodes, "edges": []}
    data = {"format": "netbuilder", "version": 2, "nodes": [], "edges": [], "meta": {}, "blocks": parts}
    with pytest.raises(io.FileFormatError, match=message):
        io.from_dict(data, check_node, source="doc.json")


def test_gradients_and_the_diagnosis_see_the_layers_inside_a_block():
    from netbuilder.train.callbacks.diagnosis import Diagnosis, layer_type, node_of
    from netbuilder.train.gradients import GradientMonitor

    graph = io.load(TEMPLATES / "resnet_digits.json", check_node)
    model = build_model(graph)
    layers = GradientMonitor({"net": model}).layers
    assert layers[:2] == ["stem", "stem_bn"] and "blocks.1.conv_b" in layers and "blocks" not in layers
    assert layer_type(graph, "blocks.1.relu_a") == "ReLU" and layer_type(graph, "blocks.2.nothing") is None
    blocks = graph.by_name("blocks").id
    assert node_of(graph, "blocks.0.conv_a") == blocks and node_of(graph, "stem") == graph.by_name("stem").id
    warning = Diagnosis(graph)._warn({}, "blocks.0.conv_a", "vanishing gradients", "Try ...")
    assert warning.node == blocks and warning.message.startswith("inside, blocks.0.conv_a: vanishing")
