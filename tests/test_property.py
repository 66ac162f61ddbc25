"""Random networks of random layers: validation either names a node with a problem, or the
network compiles, runs, and every node's real output shape is the inferred one."""
from __future__ import annotations

import math
import operator

import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from torch.fx.passes.shape_prop import ShapeProp

import netbuilder
from netbuilder import Graph, GraphBuilder, GraphError
from netbuilder.analysis import Analysis, fix_edit
from netbuilder.layers import CATALOG, ShapeError

CANDIDATES = sorted(set(CATALOG) - {"Input", "Output"})

# Small ranges for params whose schema is open-ended or wide (sizes, windows, dims).
RANGES = {"num_layers": (1, 3), "scale_factor": (1, 3), "stride": (1, 3), "padding": (0, 2),
          "dilation": (1, 2), "output_padding": (0, 2), "start_dim": (1, 4), "end_dim": (-4, 3),
          "dim": (-4, 4), "num_embeddings": (1, 10), "kernel_size": (1, 4)}
FLOATS = {"eps": (1e-6, 0.1), "alpha": (0.0, 2.0)}


def int_range(param) -> tuple[int, int]:
    if param.name in RANGES:
        return RANGES[param.name]
    lo = int(param.min) if param.min is not None else -3
    return lo, min(int(param.max), lo + 5) if param.max is not None else lo + 5


@st.composite
def param_value(draw, param, source_type):
    """A value drawn from the Param's schema; sometimes one just out of range."""
    if param.kind == "bool":
        return draw(st.booleans())
    if param.kind == "choice":
        return draw(st.sampled_from(param.choices))
    if param.kind == "float":
        lo, hi = FLOATS.get(param.name, (param.min or 0.0, 2.0 if param.max is None else param.max))
        return draw(st.floats(lo, hi, allow_nan=False))
    lo, hi = int_range(param)
    if param.kind == "int":
        if param.min is not None and draw(st.integers(0, 30)) == 30:
            return int(param.min) - 1  # out of range: a param problem
        return draw(st.integers(lo, hi))
    if param.kind == "pair":
        one = st.integers(lo, hi)
        return draw(st.one_of(one, st.lists(one, min_size=2, max_size=2)))
    # "ints": Reshape's shape or Permute's dims, mostly fitting the incoming shape
    if param.name == "dims":
        if source_type is not None and draw(st.integers(0, 3)) < 3:
            return draw(st.permutations(list(range(1, source_type.rank + 1))))
        return draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    if source_type is not None and draw(st.integers(0, 3)) < 3:
        total, shape = math.prod(source_type.shape), []
        for _ in range(draw(st.integers(0, 2))):
            divisors = [d for d in range(1, total + 1) if total % d == 0]
            d = draw(st.sampled_from(divisors))
            shape.append(d)
            total //= d
        shape.insert(draw(st.integers(0, len(shape))), draw(st.sampled_from([total, -1])))
        return shape
    return draw(st.lists(st.integers(-1, 6), min_size=1, max_size=3))


def fits(spec, source_type) -> bool:
    """Whether the layer, with its default params, accepts this input type."""
    if source_type is None or (source_type.dtype == "int" and not spec.accepts_int):
        return False
    if spec.type in ("Reshape", "Permute"):  # their params are drawn to fit
        return True
    try:
        spec.shape(spec.defaults(), [source_type] * (2 if spec.variadic else 1))
    except ShapeError:
        return False
    return True


@st.composite
def recipes(draw):
    """[(layer type, indices of earlier steps feeding it, params)]; Outputs are added later."""
    builder = GraphBuilder()
    analysis = Analysis(builder.graph)
    steps, ids = [], []
    for _ in range(draw(st.integers(1, 2))):
        params = dict(shape=draw(st.lists(st.integers(1, 8), min_size=1, max_size=3)))
        if draw(st.integers(0, 3)) == 3:
            params.update(dtype="int", vocab_size=draw(st.integers(1, 8)))
        steps.append(("Input", [], params))
        ids.append(builder.add("Input", **params))
    for _ in range(draw(st.integers(1, 6))):
        guided = draw(st.integers(0, 9)) < 8  # mostly a layer wired where it can work
        types = [analysis.output(n) for n in ids]
        options = [c for c in CANDIDATES if any(fits(CATALOG[c], t) for t in types)]
        layer = draw(st.sampled_from(options if guided and options else CANDIDATES))
        spec = CATALOG[layer]
        count = draw(st.integers(2, 3)) if spec.variadic else 1
        last = len(ids) - 1
        fitting = [i for i, t in enumerate(types) if fits(spec, t)]
        if guided and fitting:
            first = draw(st.sampled_from(fitting[::-1]))
            same = [i for i, t in enumerate(types) if t == types[first]]
            sources = [first] + [draw(st.sampled_from(same)) for _ in range(count - 1)]
        else:  # anywhere at all
            sources = [last if draw(st.integers(0, 9)) < 6 else draw(st.integers(0, last))
                       for _ in range(count)]
        source_type = analysis.output(ids[sources[0]])
        params = {p.name: draw(param_value(p, source_type)) for p in spec.all_params}
        steps.append((layer, sources, params))
        ids.append(builder.add(layer, *(ids[s] for s in sources), **params))
    analysis.close()
    return steps


def build(recipe) -> tuple[Graph, Analysis, list[str]]:
    """The recipe's graph with an Output on each sink, and an Analysis that followed every edit."""
    builder = GraphBuilder()  # not GraphBuilder(Graph()): an empty Graph is falsy
    graph = builder.graph
    live = Analysis(graph)
    ids = []
    for layer, sources, params in recipe:
        ids.append(builder.add(layer, *(ids[s] for s in sources), **params))
    for node in ids:
        if not graph.out_edges(node):
            builder.add("Output", node)
    return graph, live, ids


def assert_same_results(live: Analysis, fresh: Analysis, graph: Graph) -> None:
    """An analysis updated edit by edit agrees with one computed from scratch."""
    for node in graph.node_ids():
        assert live.output(node) == fresh.output(node), node
        assert live.inputs(node) == fresh.inputs(node), node
    assert set(live.problems()) == set(fresh.problems())


def merged_ports(analysis: Analysis, node_id: str) -> list[str]:
    return sorted(analysis.inputs(node_id), key=lambda port: int(port[2:]))  # in0, in1, ...


def fx_nodes(model, graph: Graph, analysis: Analysis) -> dict[str, torch.fx.Node]:
    """The fx node computing each graph node's output (Outputs have none)."""
    named = {(n.op, n.target): n for n in model.graph.nodes if n.op in ("placeholder", "call_module")}
    calls = [n for n in model.graph.nodes if n.op == "call_function"]
    found = {}
    for node_id in graph.topological_order():
        node = graph.node(node_id)
        if node.type == "Input":
            found[node_id] = named["placeholder", node.name]
        elif node.type in ("Add", "Multiply"):
            args = [found[graph.edge_into(node_id, p).src] for p in merged_ports(analysis, node_id)]
            op = operator.add if node.type == "Add" else operator.mul
            acc = args[0]
            for arg in args[1:]:
                acc = next(n for n in calls if n.target is op and n.args == (acc, arg))
                calls.remove(acc)  # two merges of the same inputs are two fx nodes
            found[node_id] = acc
        elif node.type == "Concatenate":
            args = [found[graph.edge_into(node_id, p).src] for p in merged_ports(analysis, node_id)]
            found[node_id] = next(n for n in calls if n.target is torch.cat and list(n.args[0]) == args)
            calls.remove(found[node_id])
        elif node.type != "Output":
            found[node_id] = named["call_module", node.name]
    return found


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recipe=recipes())
def test_random_network_is_reported_or_runs_with_the_inferred_shapes(recipe):
    graph, live, _ = build(recipe)
    reported_or_runs(graph, live)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recipe=recipes(), data=st.data())
def test_random_networks_with_blocks_are_reported_or_run_with_the_inferred_shapes(recipe, data):
    """The same with blocks: random selections grouped into blocks (a later one may hold an earlier block), each
    stacked 1 to 3 times, the document's analysis following every edit."""
    from netbuilder.analysis.blocks import group_into_block
    from netbuilder.graph.edits import SetParam
    from netbuilder.graph.model import EditError

    graph, live, _ = build(recipe)
    made: list[str] = []
    for number in range(data.draw(st.integers(1, 2))):
        inner = [n for n in graph.node_ids() if graph.node(n).type not in ("Input", "Output")]
        chosen = data.draw(st.lists(st.sampled_from(inner), min_size=1, max_size=len(inner), unique=True))
        if made and made[-1] in graph and made[-1] not in chosen and data.draw(st.booleans()):
            chosen.append(made[-1])  # a block inside a block
        try:
            edit, instance = group_into_block(graph, live, chosen, f"Part{number}")
        except EditError:
            continue
        graph.apply(edit)
        ins, out = live.input_list(instance), live.output(instance)
        keeps_shape = len(ins) == 1 and ins[0] == out  # stacking copies works (otherwise it is a problem to name)
        repeat = data.draw(st.sampled_from([1, 2, 3] if keeps_shape else [1, 1, 1, 2]))
        if repeat > 1:
            graph.apply(SetParam(graph, instance, "repeat", repeat))
        made.append(instance)
    stacked = sum(graph.node(n).params["repeat"] > 1 for n in made if n in graph)
    nested = any(n.type == "Block" for part in graph.blocks.values() for n in part.nodes())
    event(f"blocks: {len(graph.blocks)}, stacked: {stacked}, nested: {nested}")
    assert_same_results(live, Analysis(graph), graph)
    if reported_or_runs(graph, live) and stacked:
        event("a stacked block compiled and ran")


def reported_or_runs(graph: Graph, live: Analysis) -> bool:
    """Validation names a node with a problem (and its fix removes that problem), or the network compiles, runs,
    and every node's real output shape is the inferred one (then True)."""
    analysis = Analysis(graph)
    assert_same_results(live, analysis, graph)
    problems = analysis.problems()
    for problem in problems:
        assert not problem.message.startswith("internal error"), problem.message
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        event("validation reported a problem")  # see --hypothesis-show-statistics
        assert all(p.node in graph for p in errors), errors
        with pytest.raises(GraphError):
            netbuilder.build_model(graph)
        first = next((p for p in errors if p.fix is not None), None)
        if first is not None:  # its fix applies, and that problem goes
            graph.apply(fix_edit(graph, first.fix))
            fresh = Analysis(graph)
            assert_same_results(live, fresh, graph)
            assert not any(p.node == first.node and p.message == first.message
                           for p in fresh.problems())
        return False

    event("compiled and ran")
    torch.manual_seed(0)
    model = netbuilder.build_model(graph)
    inputs = netbuilder.example_inputs(graph, batch_size=2)
    with torch.no_grad():
        result = ShapeProp(model).propagate(*inputs)
    outputs = [n for n in graph.nodes() if n.type == "Output"]
    assert len(result if isinstance(result, tuple) else (result,)) == len(outputs)
    found = fx_nodes(model, graph, analysis)
    for node_id, fx_node in found.items():
        inferred = analysis.output(node_id)
        meta = fx_node.meta["tensor_meta"]
        assert tuple(meta.shape) == (2, *inferred.shape), graph.node(node_id)
        assert meta.dtype.is_floating_point == (inferred.dtype == "float"), graph.node(node_id)
    for out in outputs:
        source = graph.in_edges(out.id)[0].src
        assert analysis.inputs(out.id)["in"] == analysis.output(source)
    return True


FUZZ_EXAMPLES = int(__import__("os").environ.get("NETBUILDER_FUZZ_EXAMPLES", "100"))


@st.composite
def hostile(draw):
    """A random network, then damage: a wire from or into a port its layer does not have, a size far out
    of range, a value of the wrong type."""
    recipe = draw(recipes())
    damage = draw(st.lists(st.sampled_from(["from_port", "into_port", "huge", "negative", "text"]),
                           min_size=1, max_size=3))
    return recipe, damage, draw(st.randoms(use_true_random=False))


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=hostile())
def test_damaged_networks_are_reported_never_crash(case):
    """Checking, compiling and exporting a damaged network either works or raises GraphError (a problem
    with a node to show): never any other exception."""
    from netbuilder.graph.model import Edge

    recipe, damage, rng = case
    graph, _, ids = build(recipe)
    for kind in damage:
        edges = graph.edges()
        if kind in ("from_port", "into_port") and edges:
            edge = rng.choice(edges)
            graph._g.remove_edge(edge.src, edge.dst, key=edge)
            moved = Edge(edge.src, "out9", edge.dst, edge.dst_port) if kind == "from_port" else \
                Edge(edge.src, edge.src_port, edge.dst, "in9")
            graph._g.add_edge(moved.src, moved.dst, key=moved)
        else:
            node = graph.node(rng.choice(ids))
            numeric = [p for p in CATALOG[node.type].all_params if p.kind in ("int", "pair", "ints", "float")]
            if numeric:
                param = rng.choice(numeric)
                node.params[param.name] = {"huge": 10**18, "negative": -(10**18), "text": "many"}[kind]
    analysis = Analysis(graph)
    errors = [p for p in analysis.problems() if p.severity == "error"]
    assert all(not p.message.startswith("internal error") for p in errors), errors
    if errors:
        with pytest.raises(GraphError):
            netbuilder.build_model(graph)
        with pytest.raises(GraphError):
            netbuilder.export_source(graph)
        return
    model = netbuilder.build_model(graph)
    with torch.no_grad():
        model(*netbuilder.example_inputs(graph, batch_size=2))
    netbuilder.export_source(graph)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recipe=recipes(), data=st.data())
def test_grouping_any_layers_into_a_block_computes_the_same(recipe, data):
    """Any selection either is refused with a reason, or becomes a block whose network computes what the layers
    did (their weights moved into it); undo gives the document back exactly, and ungrouping the same outputs."""
    from netbuilder.analysis.blocks import group_into_block, ungroup
    from netbuilder.graph import io
    from netbuilder.graph.model import EditError

    graph, live, ids = build(recipe)
    if any(p.severity == "error" for p in Analysis(graph).problems()):
        return
    inner = [n for n in ids if graph.node(n).type != "Input"]
    chosen = data.draw(st.lists(st.sampled_from(inner), min_size=1, max_size=len(inner), unique=True))
    before = io.dumps(graph)
    try:
        edit, instance = group_into_block(graph, live, chosen, "Part")
    except EditError as e:
        event(f"refused: {str(e).split(':')[0][:40]}")
        return
    event("grouped")
    torch.manual_seed(0)
    flat = netbuilder.build_model(graph).eval()
    graph.apply(edit)
    assert_same_results(live, Analysis(graph), graph)
    assert not [p for p in live.problems() if p.severity == "error"], live.problems()
    block = netbuilder.build_model(graph).eval()
    name = graph.node(instance).name
    moved = {n: graph.blocks["Part"].by_name(n) is not None for n in {k.split(".")[0] for k in flat.state_dict()}}
    block.load_state_dict({(f"{name}.{k}" if moved[k.split(".")[0]] else k): v for k, v in flat.state_dict().items()})
    inputs = netbuilder.example_inputs(graph, batch_size=3)
    with torch.no_grad():
        a, b = flat(*inputs), block(*inputs)
    for x, y in zip(a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,)):
        assert torch.allclose(x, y, atol=1e-5, equal_nan=True)
    undo, _ = ungroup(graph, instance)
    graph.apply(undo)
    assert not graph.blocks and not [p for p in live.problems() if p.severity == "error"]
    undo.revert(graph)
    edit.revert(graph)
    assert io.dumps(graph) == before
    assert_same_results(live, Analysis(graph), graph)
