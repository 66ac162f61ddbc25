"""The fixes offered for a lone layer follow the data flow (issue 20): the first-network walk puts Input,
Linear, ReLU, Linear and Output in a row, unwired; each is offered the wire from the layer before it, the
Output is offered the last Linear (never a second Input), and no layer is offered a wire into one before it."""
from netbuilder import GraphBuilder
from netbuilder.analysis import Analysis, fix_edit
from netbuilder.analysis.fixes import offered_fix

WALK = ("Input", "Linear", "ReLU", "Linear", "Output")


def lone_layers(types, step=(240.0, 0.0)):
    """Layers placed one after another (a row, or a column), none wired."""
    b = GraphBuilder()
    ids = [b.add(t, pos=(i * step[0], i * step[1]), **({"shape": [64]} if t == "Input" else {}))
           for i, t in enumerate(types)]
    return b.graph, ids


def offered(graph, node_id) -> list:
    analysis = Analysis(graph)
    return [offered_fix(graph, analysis, p.fix) for p in analysis.problems() if p.node == node_id and p.fix]


def labels(graph, node_id) -> list[str]:
    return [f.label for f in offered(graph, node_id) if f is not None]


def test_each_lone_layer_of_the_walk_is_offered_the_one_before_it():
    graph, (x, fc1, relu, fc2, out) = lone_layers(WALK)
    assert labels(graph, fc1)[0] == "connect input1 to it"
    assert labels(graph, relu)[0] == "connect linear1 to it"
    assert labels(graph, fc2)[0] == "connect relu1 to it"
    assert labels(graph, out) == ["connect linear2 to it"]  # not "add an Input before it": there is one
    for node in (x, fc1, relu, fc2):  # and after each, the next one
        assert labels(graph, node)[-1].startswith("connect it to ")
    assert labels(graph, fc2)[-1] == "connect it to output1"


def test_a_layer_is_never_offered_a_wire_into_a_layer_before_it():
    graph, (x, fc1, relu, fc2) = lone_layers(WALK[:4])  # the walk before its Output is added
    assert "connect it to relu1" not in labels(graph, fc2)
    assert labels(graph, fc2)[-1] == "add an Output after it"
    graph, (relu, fc2) = lone_layers(("ReLU", "Linear"), step=(0.0, -120.0))  # in a column, the ReLU below
    assert labels(graph, relu) == ["connect linear1 to it", "add an Output after it"]
    assert labels(graph, fc2) == ["add an Input before it", "connect it to relu1"]


def test_a_column_flows_down():
    graph, (x, fc1, relu, fc2, out) = lone_layers(WALK, step=(0.0, 120.0))
    assert labels(graph, relu) == ["connect linear1 to it", "connect it to linear2"]
    assert labels(graph, out) == ["connect linear2 to it"]


def test_an_output_beside_an_input_alone_is_not_offered_a_second_input():
    graph, (x, out) = lone_layers(("Input", "Output"))
    assert labels(graph, out) == []  # an Input straight into the Output would be a network of nothing
    graph, (out,) = lone_layers(("Output",))
    assert labels(graph, out) == ["add an Input before it"]  # no Input anywhere: one is what it needs


def test_applying_the_offered_fixes_wires_the_walk_in_order():
    graph, ids = lone_layers(WALK)
    for _ in range(len(WALK)):
        analysis = Analysis(graph)
        fixes = [offered_fix(graph, analysis, p.fix) for p in analysis.problems() if p.fix]
        wire = next((f for f in fixes if f is not None and f.kind == "connect"), None)
        if wire is None:
            break
        graph.apply(fix_edit(graph, wire))
    assert [(e.src, e.dst) for e in graph.edges()] == list(zip(ids, ids[1:]))
    assert Analysis(graph).ok()


def test_the_first_layer_is_offered_the_input_even_when_its_tensor_needs_a_flatten_first():
    b = GraphBuilder()
    x = b.add("Input", shape=[1, 8, 8], pos=(0.0, 0.0))  # the digits as images: a Linear needs them flat
    fc1 = b.add("Linear", pos=(240.0, 0.0))
    assert labels(b.graph, fc1)[0] == "connect input1 to it"  # not a second Input
    b.graph.apply(fix_edit(b.graph, offered(b.graph, fc1)[0]))
    assert labels(b.graph, fc1) == ["insert Flatten", "add an Output after it"]  # the walk's next step
