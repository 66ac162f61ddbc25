"""Every catalog layer: the inferred shape equals what torch really computes, parameter counts
match the built modules, and bad inputs give Problems (with working fixes), never exceptions."""
from __future__ import annotations

import pytest
import torch

import netbuilder
from netbuilder import GraphBuilder, GraphError
from netbuilder.analysis import Analysis, fix_edit
from netbuilder.compile import param_count
from netbuilder.graph import Connect, Edge
from netbuilder.layers import CATALOG


def I(*shape, dtype="float", vocab_size=None):  # noqa: E743 - an Input's params
    params = dict(shape=list(shape), dtype=dtype)
    if vocab_size is not None:
        params["vocab_size"] = vocab_size
    return params


def INT(*shape, vocab=10):
    return I(*shape, dtype="int", vocab_size=vocab)


# layer type -> [(Input params of each input, layer params), ...]: valid networks only.
CASES: dict[str, list[tuple[list[dict], dict]]] = {
    "Linear": [([I(20)], dict(out_features=5)),
               ([I(4, 6)], dict(out_features=3, bias=False, init="xavier")),
               ([I(1)], dict(out_features=1, trainable=False))],
    "Dropout": [([I(10)], dict(p=0.3)), ([I(2, 3, 4)], dict(p=0.0)), ([I(3, 5, 5, 2)], {})],
    "Dropout2d": [([I(4, 6, 6)], dict(p=0.2)), ([I(1, 3, 7)], {})],
    "Embedding": [([INT(5, vocab=10)], dict(num_embeddings=10, embedding_dim=4)),
                  ([INT(2, 3, vocab=7)], dict(num_embeddings=20, embedding_dim=3, init="normal")),
                  ([INT(1, vocab=1)], dict(num_embeddings=1, embedding_dim=1, trainable=False))],
    "Flatten": [([I(3, 4, 5)], {}),
                ([I(3, 4, 5)], dict(start_dim=2)),
                ([I(2, 3, 4, 5)], dict(start_dim=2, end_dim=3)),
                ([I(2, 3, 4, 5)], dict(start_dim=1, end_dim=-2)),
                ([I(3, 4, 5)], dict(start_dim=3, end_dim=3)),
                ([I(7)], {}),
                ([INT(2, 3)], {})],
    "Reshape": [([I(12)], dict(shape=[3, 4])),
                ([I(2, 6)], dict(shape=[-1, 3])),
                ([I(3, 4, 5)], dict(shape=[-1])),
                ([I(8)], dict(shape=[2, -1, 2])),
                ([I(1, 28, 28)], {}),
                ([INT(6)], dict(shape=[2, 3]))],
    "Permute": [([I(3, 5)], dict(dims=[2, 1])),
                ([I(2, 3, 4)], dict(dims=[3, 1, 2])),
                ([I(4)], dict(dims=[1])),
                ([INT(2, 3)], dict(dims=[2, 1]))],
    "Conv1d": [([I(3, 20)], {}),
               ([I(2, 15)], dict(out_channels=4, kernel_size=5, stride=2, padding=1, dilation=2,
                                 bias=False)),
               ([I(1, 4)], dict(out_channels=2, kernel_size=4, init="kaiming"))],
    "Conv2d": [([I(3, 8, 8)], {}),
               ([I(1, 9, 7)], dict(out_channels=4, kernel_size=[3, 2], stride=[2, 1],
                                   padding=[1, 0], dilation=[1, 2])),
               ([I(2, 5, 5)], dict(out_channels=3, kernel_size=5, padding=2, stride=3, init="zeros")),
               ([I(2, 6, 6)], dict(out_channels=2, dilation=2, trainable=False)),
               ([I(1, 1, 1)], dict(out_channels=1, kernel_size=1))],
    "ConvTranspose2d": [([I(4, 5, 5)], {}),
                        ([I(2, 3, 4)], dict(out_channels=3, kernel_size=[3, 2], stride=[2, 3],
                                            padding=[1, 0], output_padding=[1, 2])),
                        ([I(1, 2, 2)], dict(out_channels=2, kernel_size=1, stride=1, padding=0,
                                            bias=False))],
    "MaxPool1d": [([I(3, 10)], {}), ([I(2, 9)], dict(kernel_size=3, stride=2, padding=1)),
                  ([I(1, 5)], dict(kernel_size=5, stride=1))],
    "AvgPool1d": [([I(3, 10)], {}), ([I(2, 9)], dict(kernel_size=3, stride=2, padding=1)),
                  ([I(1, 5)], dict(kernel_size=5, stride=1))],
    "MaxPool2d": [([I(3, 8, 8)], {}),
                  ([I(2, 7, 9)], dict(kernel_size=[3, 2], stride=[2, 3], padding=[1, 1])),
                  ([I(1, 5, 5)], dict(kernel_size=5, stride=1, padding=2))],
    "AvgPool2d": [([I(3, 8, 8)], {}),
                  ([I(2, 7, 9)], dict(kernel_size=[3, 2], stride=[2, 3], padding=[1, 1])),
                  ([I(1, 5, 5)], dict(kernel_size=5, stride=1, padding=2))],
    "AdaptiveAvgPool2d": [([I(3, 7, 9)], {}), ([I(2, 8, 8)], dict(output_size=[2, 3])),
                          ([I(1, 3, 3)], dict(output_size=5))],
    "GlobalAvgPool": [([I(3, 7, 9)], {}), ([I(4, 10)], {})],
    "Upsample": [([I(2, 5)], dict(scale_factor=3)),
                 ([I(3, 4, 6)], dict(mode="bilinear", align_corners=True)),
                 ([I(2, 5)], dict(mode="linear")),
                 ([I(3, 4, 6)], dict(mode="bilinear")),
                 ([I(3, 4, 6)], dict(scale_factor=1))],
    "BatchNorm1d": [([I(10)], {}), ([I(4, 7)], dict(momentum=0.5, affine=False)),
                    ([I(3)], dict(trainable=False))],
    "BatchNorm2d": [([I(3, 4, 4)], dict(eps=1e-3)), ([I(2, 1, 5)], dict(affine=False))],
    "LayerNorm": [([I(10)], {}), ([I(4, 6)], dict(elementwise_affine=False)), ([I(2, 3, 4)], {})],
    "ReLU": [([I(5)], {}), ([I(2, 3, 4)], {})],
    "LeakyReLU": [([I(5)], dict(negative_slope=0.2)), ([I(2, 3, 4)], {})],
    "ELU": [([I(5)], dict(alpha=0.5)), ([I(2, 3)], {})],
    "GELU": [([I(5)], {}), ([I(2, 3, 4)], {})],
    "SiLU": [([I(5)], {}), ([I(2, 3, 4)], {})],
    "Sigmoid": [([I(5)], {}), ([I(2, 3, 4)], {})],
    "Tanh": [([I(5)], {}), ([I(2, 3, 4)], {})],
    "Softmax": [([I(5)], {}), ([I(3, 4)], dict(dim=1)), ([I(2, 3, 4)], dict(dim=-2)),
                ([I(2, 3, 4)], dict(dim=3))],
    "LogSoftmax": [([I(5)], {}), ([I(3, 4)], dict(dim=2)), ([I(2, 3, 4)], dict(dim=-3))],
    "RNN": [([I(7, 5)], dict(hidden_size=4)),
            ([I(7, 5)], dict(hidden_size=3, bidirectional=True, returns="last", num_layers=2,
                             dropout=0.1, nonlinearity="relu")),
            ([I(1, 3)], dict(hidden_size=2, returns="last"))],
    "LSTM": [([I(6, 4)], dict(hidden_size=3)),
             ([I(6, 4)], dict(hidden_size=3, bidirectional=True, num_layers=3, returns="last")),
             ([I(5, 2)], dict(hidden_size=2, bidirectional=True, init="xavier")),
             ([I(5, 2)], dict(hidden_size=2, num_layers=2, returns="last", trainable=False))],
    "GRU": [([I(6, 4)], dict(hidden_size=3)),
            ([I(6, 4)], dict(hidden_size=3, bidirectional=True, num_layers=2, returns="last")),
            ([I(5, 2)], dict(hidden_size=2, bidirectional=True))],
    "Recurrent": [([I(6, 4)], dict(hidden_size=3)),
                  ([I(7, 5)], dict(cell="RNN", hidden_size=3, bidirectional=True, returns="last", num_layers=2,
                                   dropout=0.1, nonlinearity="relu")),
                  ([I(6, 4)], dict(cell="GRU", hidden_size=3, bidirectional=True, num_layers=2, returns="last")),
                  ([I(5, 2)], dict(cell="LSTM", hidden_size=2, num_layers=2, returns="last", trainable=False)),
                  ([I(5, 2)], dict(cell="GRU", hidden_size=2, nonlinearity="relu", init="xavier"))],
    "MultiheadSelfAttention": [([I(6, 8)], dict(num_heads=2)),
                               ([I(5, 6)], dict(num_heads=3, causal=True, bias=False)),
                               ([I(1, 4)], dict(num_heads=1, causal=True, dropout=0.1))],
    "TransformerEncoderLayer": [([I(6, 8)], dict(nhead=2, dim_feedforward=16)),
                                ([I(4, 6)], dict(nhead=3, dim_feedforward=5, activation="gelu",
                                                 norm_first=True, dropout=0.0))],
    "PositionalEncoding": [([I(6, 8)], {}), ([I(5, 7)], dict(kind="learned")),
                           ([I(5, 7)], dict(kind="sinusoidal")), ([I(1, 1)], {})],
    "Add": [([I(4), I(4)], {}), ([I(2, 3, 4), I(2, 3, 4), I(2, 3, 4)], {}),
            ([I(6, 4, 4), I(6, 1, 1)], {}), ([I(6, 1, 1), I(6, 4, 4), I(1, 4, 1)], {})],
    "Multiply": [([I(5), I(5)], {}), ([I(3, 6, 6), I(3, 6, 6), I(3, 6, 6)], {})],
    "Concatenate": [([I(3, 4, 4), I(5, 4, 4)], {}),
                    ([I(6), I(2), I(1)], {}),
                    ([I(2, 3), I(2, 5)], dict(dim=2)),
                    ([I(2, 3), I(2, 5)], dict(dim=-1)),
                    ([I(3, 4, 4), I(3, 4, 2)], dict(dim=3)),
                    ([I(2, 3, 4), I(4, 3, 4)], dict(dim=-3)),
                    ([I(2, 3, 4), I(2, 1, 4), I(2, 2, 4)], dict(dim=2))],
    "TimestepEmbedding": [([INT(1, vocab=1000)], dict(dim=16)), ([I(1)], dict(dim=6, max_period=100.0))],
    "Reparameterize": [([I(10)], dict(latent=2)), ([I(5)], dict(latent=7, init="xavier")),
                       ([I(1)], dict(latent=1, trainable=False))],
    "AdaptiveMaxPool2d": [([I(3, 7, 9)], {}), ([I(2, 8, 8)], dict(output_size=[2, 3]))],
    "PixelShuffle": [([I(8, 3, 4)], {}), ([I(18, 2, 2)], dict(upscale_factor=3))],
    "PixelUnshuffle": [([I(2, 4, 6)], {}), ([I(1, 6, 9)], dict(downscale_factor=3))],
    "ZeroPad1d": [([I(3, 5)], {}), ([I(2, 4)], dict(padding=[2, 0]))],
    "ZeroPad2d": [([I(3, 5, 4)], {}), ([I(2, 4, 4)], dict(padding=[1, 2, 0, 3]))],
    "ReflectionPad1d": [([I(3, 5)], {}), ([I(2, 4)], dict(padding=[3, 1]))],
    "ReflectionPad2d": [([I(3, 5, 4)], dict(padding=[2])), ([I(2, 4, 4)], dict(padding=[1, 2, 0, 3]))],
    "ReplicationPad1d": [([I(3, 5)], dict(padding=[7])), ([I(2, 4)], dict(padding=[2, 0]))],
    "ReplicationPad2d": [([I(3, 5, 4)], {}), ([I(2, 2, 2)], dict(padding=[4, 1, 3, 0]))],
    "InstanceNorm1d": [([I(3, 10)], {}), ([I(2, 7)], dict(affine=True, track_running_stats=True))],
    "InstanceNorm2d": [([I(3, 4, 4)], dict(eps=1e-3)), ([I(2, 3, 5)], dict(affine=True))],
    "GroupNorm": [([I(8, 4, 4)], dict(num_groups=4)), ([I(6, 5)], dict(num_groups=3, affine=False)),
                  ([I(4)], dict(num_groups=1))],
    "PReLU": [([I(5)], {}), ([I(3, 4, 4)], dict(per_channel=True, slope=0.1))],
    "Scale": [([I(5)], dict(scale=0.5)), ([I(2, 3)], dict(scale=-1.0, shift=1.0))],
    "Exp": [([I(5)], {})],
    "Log": [([I(2, 3)], {})],
    "Sqrt": [([I(5)], {})],
    "Abs": [([I(2, 3, 4)], {})],
    "Clamp": [([I(5)], {}), ([I(2, 3)], dict(limits="min", min=-0.5)), ([I(4)], dict(limits="max", max=2.0))],
    "Code": [([I(6)], {}), ([I(2, 5)], dict(args={"beta": 0.5}))],  # the catalog's own code (a Swish)
}


def test_cases_cover_the_whole_catalog():
    assert set(CASES) == set(CATALOG) - {"Input", "Output"}


def test_no_layer_names_a_parameter_as_the_weight_settings_do():
    """A layer's own parameter named init, trainable or lr_scale would be read as how its weights start or learn
    (a PReLU slope named init once reached the exporter as an initialisation scheme)."""
    from netbuilder.layers.spec import INIT, LR_SCALE, TRAINABLE
    taken = {INIT.name, TRAINABLE.name, LR_SCALE.name}
    assert not {(spec.type, p.name) for spec in CATALOG.values() for p in spec.params if p.name in taken}


def one_layer(layer: str, inputs: list[dict], params: dict):
    """Input(s) -> layer -> Output; returns (graph, layer id, Output id)."""
    b = GraphBuilder()
    sources = [b.add("Input", **p) for p in inputs]
    node = b.add(layer, *sources, **params)
    out = b.add("Output", node)
    return b.graph, node, out


def real_params(module: torch.nn.Module) -> tuple[int, int]:
    params = list(module.parameters())
    return (sum(p.numel() for p in params), sum(p.numel() for p in params if p.requires_grad))


@pytest.mark.parametrize("layer, inputs, params", [
    pytest.param(layer, inputs, params, id=f"{layer}-{i}")
    for layer, cases in CASES.items() for i, (inputs, params) in enumerate(cases)])
def test_inferred_shape_matches_torch(layer, inputs, params):
    torch.manual_seed(0)
    graph, node, out = one_layer(layer, inputs, params)
    analysis = Analysis(graph)
    assert analysis.problems() == []
    inferred = analysis.inputs(out)["in"]
    assert inferred == analysis.output(node)

    model = netbuilder.build_model(graph)
    xs = netbuilder.example_inputs(graph, batch_size=3)
    for mode in (model.train, model.eval):
        mode()
        with torch.no_grad():
            y = model(*xs)
        assert tuple(y.shape) == (3, *inferred.shape)
        assert y.dtype.is_floating_point == (inferred.dtype == "float")

    name = graph.node(node).name
    ins = analysis.inputs(node)
    values = [ins[p] for p in sorted(ins, key=lambda p: (len(p), p))]
    counted = param_count(layer, graph.node(node).params, values)
    real = real_params(getattr(model, name)) if hasattr(model, name) else (0, 0)
    assert counted == real
    if CATALOG[layer].weights != "none" and not params.get("trainable", True):
        assert real[1] == 0


# ---- problems the shape rules give ----------------------------------------------------------

def errors(analysis: Analysis):
    return [p for p in analysis.problems() if p.severity == "error"]


def apply_fix(graph, analysis: Analysis, problem):
    """Apply the problem's fix; the problem must be gone (incrementally and from scratch)."""
    assert problem.fix is not None
    graph.apply(fix_edit(graph, problem.fix))
    fresh = Analysis(graph)
    for a in (analysis, fresh):
        assert problem not in a.problems()
        assert not any(p.node == problem.node and p.message == problem.message for p in a.problems())
    assert set(analysis.problems()) == set(fresh.problems())
    return fresh


def assert_compiles(graph, analysis: Analysis):
    assert errors(analysis) == []
    model = netbuilder.build_model(graph)
    with torch.no_grad():
        y = model(*netbuilder.example_inputs(graph, batch_size=3))
    out = next(n.id for n in graph.nodes() if n.type == "Output")
    assert tuple(y.shape) == (3, *analysis.inputs(out)["in"].shape)


def only_problem(analysis: Analysis, node: str):
    found = errors(analysis)
    assert len(found) == 1, found
    assert found[0].node == node
    return found[0]


def test_linear_fed_an_image_offers_flatten():
    graph, linear, _ = one_layer("Linear", [I(64, 7, 7)], dict(out_features=10))
    analysis = Analysis(graph)
    problem = only_problem(analysis, linear)
    assert "Linear expects [N, features]" in problem.message
    assert "[N, 64, 7, 7]" in problem.message
    assert (problem.fix.kind, problem.fix.layer, problem.fix.node) == ("insert", "Flatten", linear)
    with pytest.raises(GraphError):
        netbuilder.build_model(graph)
    fresh = apply_fix(graph, analysis, problem)
    assert_compiles(graph, fresh)
    assert analysis.output(linear).shape == (10,)


@pytest.mark.parametrize("inputs, params, fixed", [
    ([I(3, 4, 4)], dict(kernel_size=5), 4),
    ([I(3, 4, 10)], dict(kernel_size=[5, 2]), [4, 2]),
    ([I(1, 5, 5)], dict(kernel_size=3, dilation=3), 2),
    ([I(1, 2, 2)], dict(kernel_size=5, padding=1), 4),
])
def test_conv_kernel_larger_than_input_sets_a_smaller_kernel(inputs, params, fixed):
    graph, conv, _ = one_layer("Conv2d", inputs, params)
    analysis = Analysis(graph)
    problem = only_problem(analysis, conv)
    assert "kernel" in problem.message and "larger than its input" in problem.message
    assert (problem.fix.kind, problem.fix.param, problem.fix.value) == ("set_param", "kernel_size", fixed)
    fresh = apply_fix(graph, analysis, problem)
    assert_compiles(graph, fresh)


def test_conv1d_kernel_larger_than_input():
    graph, conv, _ = one_layer("Conv1d", [I(2, 3)], dict(kernel_size=7))
    analysis = Analysis(graph)
    problem = only_problem(analysis, conv)
    assert problem.fix.value == 3
    assert_compiles(graph, apply_fix(graph, analysis, problem))


@pytest.mark.parametrize("layer, heads, params", [
    ("MultiheadSelfAttention", "num_heads", dict(num_heads=5)),
    ("TransformerEncoderLayer", "nhead", dict(nhead=5, dim_feedforward=8)),
])
def test_heads_not_dividing_the_embedding(layer, heads, params):
    graph, node, _ = one_layer(layer, [I(3, 12)], params)
    analysis = Analysis(graph)
    problem = only_problem(analysis, node)
    assert "(5) must divide the embedding size (12)" in problem.message
    assert (problem.fix.kind, problem.fix.param, problem.fix.value) == ("set_param", heads, 4)
    assert_compiles(graph, apply_fix(graph, analysis, problem))


def test_add_of_different_channels_inserts_a_1x1_conv():
    graph, add, _ = one_layer("Add", [I(32, 8, 8), I(16, 8, 8)], {})
    analysis = Analysis(graph)
    problem = only_problem(analysis, add)
    assert "[N, 32, 8, 8]" in problem.message and "[N, 16, 8, 8]" in problem.message
    assert problem.port == "in1"
    fix = problem.fix
    assert (fix.kind, fix.layer, fix.port, fix.params) == (
        "insert", "Conv2d", "in1", dict(out_channels=32, kernel_size=1))
    fresh = apply_fix(graph, analysis, problem)
    assert_compiles(graph, fresh)


def test_add_of_different_features_inserts_a_linear():
    graph, add, _ = one_layer("Add", [I(10), I(6), I(10)], {})
    analysis = Analysis(graph)
    problem = only_problem(analysis, add)
    assert (problem.fix.kind, problem.fix.layer, problem.fix.params) == (
        "insert", "Linear", dict(out_features=10))
    assert_compiles(graph, apply_fix(graph, analysis, problem))


@pytest.mark.parametrize("layer, inputs, target", [
    ("Conv2d", [I(64)], [1, 8, 8]),
    ("MaxPool2d", [I(16)], [1, 4, 4]),
    ("Conv1d", [I(10)], [1, 10]),
])
def test_flat_features_into_a_conv_offer_a_reshape(layer, inputs, target):
    graph, node, _ = one_layer(layer, inputs, dict(kernel_size=2) if layer != "MaxPool2d" else {})
    analysis = Analysis(graph)
    problem = only_problem(analysis, node)
    assert (problem.fix.kind, problem.fix.layer, problem.fix.params) == ("insert", "Reshape",
                                                                        dict(shape=target))
    assert_compiles(graph, apply_fix(graph, analysis, problem))


def test_embedding_fed_floats():
    graph, emb, _ = one_layer("Embedding", [I(5)], {})
    problem = only_problem(Analysis(graph), emb)
    assert "Embedding expects integer indices" in problem.message
    assert "dtype" in problem.message
    with pytest.raises(GraphError):
        netbuilder.build_model(graph)


def test_embedding_smaller_than_the_vocabulary():
    graph, emb, _ = one_layer("Embedding", [INT(4, vocab=50)], dict(num_embeddings=20))
    analysis = Analysis(graph)
    problem = only_problem(analysis, emb)
    assert "reach 49" in problem.message
    assert (problem.fix.param, problem.fix.value) == ("num_embeddings", 50)
    assert_compiles(graph, apply_fix(graph, analysis, problem))


@pytest.mark.parametrize("layer", ["Linear", "ReLU", "Conv1d", "LSTM", "Softmax", "LayerNorm"])
def test_float_layer_fed_integer_indices(layer):
    graph, node, _ = one_layer(layer, [INT(4, 6)], {})
    problem = only_problem(Analysis(graph), node)
    assert f"{layer} expects float values but receives integer indices [N, 4, 6]" in problem.message
    assert "Embedding" in problem.message


def test_merge_fed_integer_indices():
    graph, node, _ = one_layer("Concatenate", [INT(4), I(4)], {})
    problem = only_problem(Analysis(graph), node)
    assert "integer indices" in problem.message


def test_out_of_range_param_sets_the_bound():
    graph, linear, _ = one_layer("Linear", [I(8)], dict(out_features=0))
    analysis = Analysis(graph)
    problem = only_problem(analysis, linear)
    assert problem.message == "out_features must be at least 1 (it is 0)"
    assert (problem.fix.kind, problem.fix.param, problem.fix.value) == ("set_param", "out_features", 1)
    assert_compiles(graph, apply_fix(graph, analysis, problem))


def test_float_param_above_its_maximum():
    graph, drop, _ = one_layer("Dropout", [I(8)], dict(p=1.5))
    analysis = Analysis(graph)
    problem = only_problem(analysis, drop)
    assert problem.fix.value == 0.99
    assert_compiles(graph, apply_fix(graph, analysis, problem))


@pytest.mark.parametrize("layer, params, fixed", [
    ("Dropout", dict(p=float("nan")), 0.99),
    ("ELU", dict(alpha=float("inf")), 1.0),
    ("BatchNorm1d", dict(eps=float("-inf")), 1e-12),
    ("LeakyReLU", dict(negative_slope=float("nan")), 1.0),
])
def test_non_finite_float_param_is_a_problem(layer, params, fixed):
    """JSON files may hold NaN or Infinity; torch would fail or compute garbage with them."""
    graph, node, _ = one_layer(layer, [I(8)], params)
    analysis = Analysis(graph)
    problem = only_problem(analysis, node)
    assert "must be a finite number" in problem.message
    assert (problem.fix.kind, problem.fix.value) == ("set_param", fixed)
    assert_compiles(graph, apply_fix(graph, analysis, problem))


def test_huge_whole_numbers_do_not_break_validation():
    graph, conv, _ = one_layer("Conv2d", [I(1, 8, 8)], dict(kernel_size=10**400))
    analysis = Analysis(graph)
    problem = only_problem(analysis, conv)
    assert "kernel_size must be at most 2147483647" in problem.message
    assert_compiles(graph, apply_fix(graph, analysis, problem))


def test_missing_unknown_and_mistyped_params():
    from netbuilder.graph import AddNode, Connect, Edge, Node
    b = GraphBuilder()
    x = b.add("Input", shape=[8])
    graph = b.graph
    graph.apply(AddNode(Node("lin", "Linear", "lin", {"out_features": 4, "colour": "red"})))
    graph.apply(Connect(Edge(x, "out", "lin", "in")))
    b.add("Output", "lin")
    analysis = Analysis(graph)
    found = {p.message: p for p in errors(analysis)}
    assert {p.node for p in found.values()} == {"lin"}
    assert "Linear has no parameter 'colour'" in found
    missing = found["parameter 'bias' is missing"]
    assert (missing.fix.kind, missing.fix.param, missing.fix.value) == ("set_param", "bias", True)
    apply_fix(graph, analysis, missing)


def test_unknown_layer_type_is_a_problem():
    from netbuilder.graph import AddNode, Connect, Edge, Node
    b = GraphBuilder()
    x = b.add("Input", shape=[8])
    graph = b.graph
    graph.apply(AddNode(Node("odd", "Quantum", "odd", {})))
    graph.apply(Connect(Edge(x, "out", "odd", "in")))
    problem = only_problem(Analysis(graph), "odd")
    assert problem.message == "unknown layer type 'Quantum'"
    with pytest.raises(GraphError):
        netbuilder.build_model(graph)


def test_wire_into_a_port_the_layer_lacks():
    b = GraphBuilder()
    x = b.add("Input", shape=[8])
    relu = b.add("ReLU", x)
    extra = b.add("Input", shape=[8])
    b.graph.apply(Connect(Edge(extra, "out", relu, "extra")))  # as a file may hold (GraphBuilder refuses it)
    b.add("Output", relu)
    graph = b.graph
    analysis = Analysis(graph)
    problem = only_problem(analysis, relu)
    assert problem.message == "ReLU has no input 'extra'"
    assert (problem.fix.kind, problem.fix.port) == ("disconnect", "extra")
    fresh = apply_fix(graph, analysis, problem)
    assert [(p.node, p.fix.kind) for p in errors(fresh)] == [(extra, "add_after")]  # now alone


def test_wrong_param_type_is_a_problem():
    graph, conv, _ = one_layer("Conv2d", [I(1, 8, 8)], dict(kernel_size="3"))
    problem = only_problem(Analysis(graph), conv)
    assert "kernel_size" in problem.message


def test_cycle_is_a_problem_on_each_member():
    b = GraphBuilder()
    add = b.add("Add", b.add("Input", shape=[4]), b.add("Input", shape=[4]))
    relu = b.add("ReLU", b.add("Linear", add, out_features=4))
    b.graph.apply(Connect(Edge(relu, "out", add, "in2")))  # as a file may hold (GraphBuilder refuses it)
    b.add("Output", add)
    graph = b.graph
    analysis = Analysis(graph)
    cyclic = [p for p in analysis.problems() if "cycle" in p.message]
    members = {n.id for n in graph.nodes() if n.type in ("Add", "Linear", "ReLU")}
    assert {p.node for p in cyclic} == members
    assert all(p.severity == "error" for p in cyclic)
    assert {p.node for p in errors(analysis)} == members
    with pytest.raises(GraphError):
        netbuilder.build_model(graph)
    (with_fix,) = [p for p in cyclic if p.fix is not None]
    assert (with_fix.fix.kind, with_fix.fix.node, with_fix.fix.port) == ("disconnect", add, "in2")
    graph.apply(fix_edit(graph, with_fix.fix))
    fresh = Analysis(graph)
    for a in (analysis, fresh):
        assert not any("cycle" in p.message for p in a.problems())
        assert a.output(relu).shape == (4,)
    assert set(analysis.problems()) == set(fresh.problems())
    assert [p.severity for p in fresh.problems()] == ["warning"]  # relu's output is now unused
    netbuilder.build_model(graph)


def test_cycle_made_after_the_analysis_started():
    b = GraphBuilder()
    x = b.add("Input", shape=[4])
    add = b.add("Add", x, b.add("Input", shape=[4]))
    relu = b.add("ReLU", add)
    b.add("Output", relu)
    graph = b.graph
    analysis = Analysis(graph)
    assert errors(analysis) == []
    relu2 = b.add("ReLU", relu)
    b.graph.apply(Connect(Edge(relu2, "out", add, "in2")))  # as a file may hold (GraphBuilder refuses it)
    assert {p.node for p in errors(analysis) if "cycle" in p.message} == {add, relu, relu2}
    assert set(analysis.problems()) == set(Analysis(graph).problems())


def test_unconnected_input_without_an_input_node_offers_one():
    b = GraphBuilder()
    relu = b.add("ReLU")
    b.add("Output", relu)
    graph = b.graph
    analysis = Analysis(graph)
    problem = only_problem(analysis, relu)
    assert problem.message == "input 'in' is not connected"
    assert (problem.fix.kind, problem.fix.layer, problem.fix.port) == ("add_before", "Input", "in")
    assert_compiles(graph, apply_fix(graph, analysis, problem))


def test_unconnected_linear_gets_an_input_that_removes_the_problem():
    b = GraphBuilder()
    linear = b.add("Linear")
    b.add("Output", linear)
    graph = b.graph
    analysis = Analysis(graph)
    problem = only_problem(analysis, linear)
    apply_fix(graph, analysis, problem)  # the new Input's default shape needs a Flatten next


def test_unconnected_input_beside_an_input_offers_no_new_input():
    b = GraphBuilder()
    linear = b.add("Linear", out_features=4)
    add = b.add("Add", b.add("Input", shape=[4]), linear)
    b.add("Output", add)
    problem = only_problem(Analysis(b.graph), linear)
    assert problem.message == "input 'in' is not connected"
    assert problem.fix is None


def test_network_without_output_offers_one():
    b = GraphBuilder()
    linear = b.add("Linear", b.add("Input", shape=[6]), out_features=3)
    graph = b.graph
    analysis = Analysis(graph)
    problem = only_problem(analysis, linear)
    assert "no Output" in problem.message
    assert (problem.fix.kind, problem.fix.layer) == ("add_after", "Output")
    fresh = apply_fix(graph, analysis, problem)
    assert_compiles(graph, fresh)


def test_unused_output_is_a_warning_only():
    b = GraphBuilder()
    x = b.add("Input", shape=[6])
    b.add("Output", b.add("ReLU", x))
    side = b.add("Linear", x, out_features=2)
    problems = Analysis(b.graph).problems()
    assert [(p.node, p.severity) for p in problems] == [(side, "warning")]
    netbuilder.build_model(b.graph)


# Bad inputs to each rule: (layer, inputs, params, part of the message, has a fix).
BAD = [
    ("Dropout2d", [I(5)], {}, "Dropout2d expects [N, channels, height, width] but receives [N, 5]", False),
    ("Flatten", [I(4, 5)], dict(start_dim=3), "Flatten cannot flatten dims 3..-1", False),
    ("Flatten", [I(4, 5)], dict(start_dim=2, end_dim=1), "Flatten cannot flatten", False),
    ("Flatten", [I(4, 5)], dict(end_dim=-4), "Flatten cannot flatten", False),
    ("Reshape", [I(12)], dict(shape=[5]), "Reshape cannot turn [N, 12] (12 values per sample)", False),
    ("Reshape", [I(12)], dict(shape=[-1, 5]), "Reshape cannot turn [N, 12]", False),
    ("Reshape", [I(12)], dict(shape=[-1, -1]), "at most one", False),
    ("Reshape", [I(12)], dict(shape=[0, 3]), "must be positive", False),
    ("Permute", [I(3, 4)], dict(dims=[1, 1]), "Permute dims must order 1..2", False),
    ("Permute", [I(3, 4)], dict(dims=[1, 2, 3]), "Permute dims must order 1..2", False),
    ("Conv1d", [I(3, 4, 4)], {}, "Conv1d expects [N, channels, length] but receives [N, 3, 4, 4]", False),
    ("Conv2d", [I(3, 8)], {}, "Conv2d expects [N, channels, height, width]", False),
    ("ConvTranspose2d", [I(1, 3, 3)], dict(output_padding=2), "output_padding must be smaller", False),
    ("ConvTranspose2d", [I(1, 1, 1)], dict(kernel_size=1, stride=1, padding=1), "padding is too large",
     False),
    ("MaxPool2d", [I(1, 4, 4)], dict(padding=2), "padding (2) must be at most half its kernel (2)", False),
    ("AvgPool1d", [I(1, 4)], dict(kernel_size=3, padding=2), "at most half", False),
    ("MaxPool1d", [I(1, 2)], dict(kernel_size=3), "larger than its input", True),
    ("AvgPool2d", [I(1, 2, 2)], dict(kernel_size=3), "larger than its input", True),
    ("AdaptiveAvgPool2d", [I(5)], {}, "AdaptiveAvgPool2d expects", False),
    ("AdaptiveAvgPool2d", [I(9)], {}, "AdaptiveAvgPool2d expects", True),
    ("GlobalAvgPool", [I(5)], {}, "GlobalAvgPool expects", False),
    ("Upsample", [I(2, 5)], dict(mode="bilinear"), "use 'linear'", False),
    ("Upsample", [I(2, 4, 4)], dict(mode="linear"), "use 'bilinear'", False),
    ("Upsample", [I(5)], {}, "Upsample expects", False),
    ("BatchNorm1d", [I(3, 4, 4)], {}, "use BatchNorm2d", False),
    ("BatchNorm2d", [I(5)], {}, "use BatchNorm1d", False),
    ("LayerNorm", [I(2, 3, 4, 5)], {}, "LayerNorm expects", True),
    ("Softmax", [I(4, 5)], dict(dim=3), "Softmax dim must be one of the dims after the batch (1..2", False),
    ("LogSoftmax", [I(4, 5)], dict(dim=0), "LogSoftmax dim must be", False),
    ("LogSoftmax", [I(4, 5)], dict(dim=-3), "LogSoftmax dim must be", False),
    ("RNN", [I(5)], {}, "RNN expects [N, length, features] but receives [N, 5]", False),
    ("GRU", [I(1, 2, 3, 4)], {}, "GRU expects [N, length, features]", False),
    ("LSTM", [I(1, 4, 6)], {}, "LSTM expects [N, length, features]", True),
    ("Recurrent", [I(5)], dict(cell="GRU"), "Recurrent expects [N, length, features]", False),
    ("Recurrent", [I(1, 8, 8)], dict(cell="RNN"), "Recurrent expects [N, length, features]", True),
    ("MultiheadSelfAttention", [I(2, 4, 6)], dict(num_heads=2), "MultiheadSelfAttention expects", True),
    ("PositionalEncoding", [I(6)], {}, "PositionalEncoding expects", False),
    ("Add", [I(4), I(3, 4)], {}, "Add needs inputs of equal shape", False),
    ("Multiply", [I(2, 3), I(2, 3), I(2, 4)], {}, "in2 is [N, 2, 4]", False),
    ("Concatenate", [I(2, 3), I(3, 3)], dict(dim=2), "needs the other dims equal", False),
    ("Concatenate", [I(2, 3), I(2, 3, 1)], {}, "needs the other dims equal", False),
    ("Concatenate", [I(2, 3), I(2, 3)], dict(dim=3), "Concatenate dim must be one of 1..2", False),
    ("Concatenate", [I(2, 3), I(2, 3)], dict(dim=0), "Concatenate dim must be", False),
    ("Add", [I(4)], {}, "Add needs at least two inputs (it has 1)", False),
    ("Reparameterize", [I(1, 8, 8)], {}, "Reparameterize expects [N, features] but receives [N, 1, 8, 8]", True),
    ("Reparameterize", [INT(6)], {}, "Reparameterize expects float values", False),
    ("Add", [I(6, 4, 4), I(6, 2, 1)], {}, "or of size 1 where they differ", False),
    ("Add", [I(6, 4, 4), I(6)], {}, "in1 is [N, 6]", False),
    ("TimestepEmbedding", [I(2)], {}, "TimestepEmbedding expects one step per sample, [N, 1]", False),
    ("TimestepEmbedding", [INT(1)], dict(dim=7), "must be even", True),
    ("InstanceNorm1d", [I(3, 1)], {}, "[N, 3, 1] has one position per channel: nothing to normalize over", False),
    ("InstanceNorm2d", [I(2, 1, 1)], {}, "has one position per channel", False),
]


@pytest.mark.parametrize("layer, inputs, params, text, has_fix", BAD,
                         ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_bad_input_is_a_problem_on_the_node(layer, inputs, params, text, has_fix):
    graph, node, _ = one_layer(layer, inputs, params)
    analysis = Analysis(graph)
    problem = only_problem(analysis, node)
    assert text in problem.message
    assert not problem.message.startswith("internal error")
    with pytest.raises(GraphError):
        netbuilder.build_model(graph)
    assert (problem.fix is not None) == has_fix
    if has_fix:
        assert problem.fix.node == node
        assert_compiles(graph, apply_fix(graph, analysis, problem))


def test_bad_upstream_does_not_blame_downstream():
    b = GraphBuilder()
    x = b.add("Input", shape=[3, 8])
    bad = b.add("Conv2d", x)
    relu = b.add("ReLU", bad)
    b.add("Output", b.add("Linear", relu))
    analysis = Analysis(b.graph)
    assert [p.node for p in errors(analysis)] == [bad]
    assert analysis.output(relu) is None


def test_editing_a_param_updates_downstream_shapes():
    b = GraphBuilder()
    x = b.add("Input", shape=[3, 16, 16])
    conv = b.add("Conv2d", x, out_channels=4, padding=1)
    pool = b.add("MaxPool2d", conv)
    flat = b.add("Flatten", pool)
    out = b.add("Output", b.add("Linear", flat, out_features=2))
    graph = b.graph
    analysis = Analysis(graph)
    assert analysis.output(flat).shape == (4 * 8 * 8,)
    from netbuilder.graph import SetParam
    graph.apply(SetParam(graph, conv, "stride", 2))
    assert analysis.output(flat).shape == (4 * 4 * 4,)
    assert analysis.inputs(out)["in"].shape == (2,)
    graph.apply(SetParam(graph, conv, "kernel_size", 40))
    assert analysis.output(flat) is None
    assert [p.node for p in errors(analysis)] == [conv]
    assert set(analysis.problems()) == set(Analysis(graph).problems())


@pytest.mark.parametrize("cell", ["RNN", "LSTM", "GRU"])
def test_recurrent_cell_param_builds_what_the_fixed_type_builds(cell):
    """Recurrent with cell=X is layer type X: the same module, parameter count and output."""
    from netbuilder.graph import SetParam

    fixed, node, _ = one_layer(cell, [I(6, 4)], dict(hidden_size=5, returns="last"))
    graph, rec, _ = one_layer("Recurrent", [I(6, 4)], dict(hidden_size=5, returns="last"))
    graph.apply(SetParam(graph, rec, "cell", cell))
    assert Analysis(graph).problems() == []
    torch.manual_seed(0)
    a = netbuilder.build_model(fixed)
    torch.manual_seed(0)
    b = netbuilder.build_model(graph)
    module_a, module_b = getattr(a, fixed.node(node).name).rnn, getattr(b, graph.node(rec).name).rnn
    assert type(module_a) is type(module_b) is getattr(torch.nn, cell)
    assert real_params(module_a) == real_params(module_b) == param_count(
        "Recurrent", graph.node(rec).params, [Analysis(graph).inputs(rec)["in"]])
    x = netbuilder.example_inputs(graph, batch_size=2)
    with torch.no_grad():
        assert torch.equal(a(*x), b(*x))
