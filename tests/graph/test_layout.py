"""Auto-layout: deep networks flow top to bottom with short wires, skips keep a lane of their own,
nothing overlaps; new layers get room without covering any other."""
import math

import pytest

from netbuilder import GraphBuilder
from netbuilder.analysis.in_place import (add_after, insert_after, insert_before, insert_on_wire,
                                          replace_node)
from netbuilder.graph import io
from netbuilder.graph.edits import move_nodes
from netbuilder.graph.layout import (ACROSS_MAX, DOWN_ROW, _overlap, box_of, layered_positions,
                                     make_room)
from netbuilder.graph.model import EditError
from netbuilder.layers import check_node


def laid_out(graph):
    graph.apply(move_nodes(graph, layered_positions(graph)))
    return graph


def overlaps(graph):
    ids = graph.node_ids()
    boxes = {n: box_of(graph, n) for n in ids}
    return [(a, b) for i, a in enumerate(ids) for b in ids[i + 1:] if _overlap(boxes[a], boxes[b], 0)]


def wire_lengths(graph):
    return [math.dist(graph.node(e.src).pos, graph.node(e.dst).pos) for e in graph.edges()]


def chain(n):
    b = GraphBuilder()
    h = b.add("Input", shape=[16])
    for i in range(n - 2):
        h = b.add("Linear" if i % 2 == 0 else "ReLU", h, **({"out_features": 16} if i % 2 == 0 else {}))
    b.add("Output", h)
    return b.graph


def template(name):
    return io.load(f"templates/{name}.json", check_node)


def test_a_30_layer_chain_flows_down_with_short_wires():
    g = laid_out(chain(30))
    assert overlaps(g) == []
    assert max(wire_lengths(g)) <= 1.01 * DOWN_ROW  # each wire joins neighbouring rows
    ys = [g.node(n).pos[1] for n in g.topological_order()]
    assert ys == sorted(ys) and len(set(ys)) == 30
    assert len({g.node(n).pos[0] for n in g.node_ids()}) == 1  # one column


def test_a_short_chain_stays_left_to_right():
    g = laid_out(chain(ACROSS_MAX))
    xs = [g.node(n).pos[0] for n in g.topological_order()]
    assert xs == sorted(xs) and len(set(xs)) == ACROSS_MAX
    assert len({g.node(n).pos[1] for n in g.node_ids()}) == 1


def flat(graph):
    """The document with its blocks' layers put back in their place (each block used once)."""
    from netbuilder.analysis import Analysis
    from netbuilder.analysis.blocks import ungroup
    from netbuilder.graph.edits import SetParam

    analysis = Analysis(graph)
    for node in [n for n in graph.nodes() if n.type == "Block"]:
        graph.apply(SetParam(graph, node.id, "repeat", 1))
        graph.apply(ungroup(graph, node.id)[0])
    analysis.close()
    return graph


@pytest.mark.parametrize("name, least", [("resnet_digits", 1), ("vanishing_lesson", 2)])
def test_skips_keep_a_lane_of_their_own_and_nothing_overlaps(name, least):
    g = laid_out(flat(template(name)))
    assert overlaps(g) == []
    pos = {n: g.node(n).pos for n in g.node_ids()}
    skips = 0
    for e in g.edges():
        (sx, sy), (dx, dy) = pos[e.src], pos[e.dst]
        assert dy > sy  # every wire flows down
        if dy - sy > 1.5 * DOWN_ROW:  # a skip: straight down its lane, no layer in between
            skips += 1
            assert sx == dx
            assert not [n for n, (x, y) in pos.items() if x == sx and sy < y < dy]
        else:
            assert dy - sy == pytest.approx(DOWN_ROW)
    assert skips >= least


def test_separate_networks_get_separate_columns():
    g = laid_out(template("vanishing_lesson"))
    nets = g.networks()
    assert len(nets) == 2
    right_of_first = max(box_of(g, n)[2] for n in nets[0])
    assert min(g.node(n).pos[0] for n in nets[1]) > right_of_first


def test_make_room_takes_a_free_spot_as_it_is():
    g = chain(4)
    pos, moves = make_room(g, (1000, 1000))
    assert pos == (1000, 1000) and moves == {}


def test_make_room_moves_what_follows_or_finds_the_nearest_free_spot():
    g = laid_out(chain(6))  # one row, left to right
    ids = g.topological_order()
    x2, y = g.node(ids[2]).pos
    pos, moves = make_room(g, (x2, y), after=ids[1], push=ids[2:])
    assert pos == (x2, y) and set(moves) == set(ids[2:])
    assert all(moves[n][0] > g.node(n).pos[0] and moves[n][1] == y for n in moves)
    pos, moves = make_room(g, (x2, y))  # nothing may move: the nearest free spot
    assert moves == {} and not _overlap((pos[0], pos[1], pos[0] + 170, pos[1] + 64), box_of(g, ids[2]))


def test_in_place_edits_place_new_layers_without_overlap_and_revert_exactly():
    g = laid_out(template("vanishing_lesson"))
    before = io.dumps(g)
    sig = g.by_name("s_sig3").id
    edits = [insert_on_wire(g, g.in_edges(sig)[0], "Dropout"),
             insert_before(g, sig, "in", "LayerNorm"),
             insert_after(g, sig, "Tanh"),
             add_after(g, sig, "Output"),
             replace_node(g, sig, "ReLU")]
    for edit in edits:
        g.apply(edit)
        assert overlaps(g) == [], edit.text
        edit.revert(g)
        assert io.dumps(g) == before, edit.text


def test_replace_keeps_wires_params_and_place():
    g = template("cnn_digits")
    conv = g.by_name("conv2")
    params, pos = dict(conv.params), conv.pos
    ins, outs = g.in_edges(conv.id), g.out_edges(conv.id)
    g.apply(replace_node(g, conv.id, "ConvTranspose2d"))
    node = g.node(conv.id)
    assert (node.type, node.name, node.pos) == ("ConvTranspose2d", "conv2", pos)
    assert all(node.params[k] == params[k] for k in ("out_channels", "kernel_size", "stride", "padding"))
    assert (g.in_edges(conv.id), g.out_edges(conv.id)) == (ins, outs)
    assert g.node_ids().index(conv.id) == 4  # same place in document order


def test_replace_renames_a_layer_named_after_its_type():
    b = GraphBuilder()
    x = b.add("Input", shape=[4])
    r = b.add("ReLU", x)
    b.add("Output", r)
    g = b.graph
    assert g.node(r).name == "relu1"
    g.apply(replace_node(g, r, "Tanh"))
    assert g.node(r).name == "tanh1"
    lesson = template("vanishing_lesson")
    for old, new, name in (("s_sig3", "ReLU", "s_relu3"), ("r_relu2", "GELU", "r_gelu2"),
                           ("s_fc2", "Dropout", "s_fc2"), ("r_bn1", "LayerNorm", "r_bn1")):
        node = lesson.by_name(old)
        lesson.apply(replace_node(lesson, node.id, new))
        assert lesson.node(node.id).name == name


@pytest.mark.parametrize("build, message", [
    (lambda g: replace_node(g, g.by_name("conv1").id, "Input"),
     "Input has no input, but conv1 has a wire in: disconnect it first"),
    (lambda g: replace_node(g, g.by_name("fc2").id, "Output"),
     "Output has no output, but fc2's result goes on to other layers: disconnect it first"),
    (lambda g: replace_node(g, g.by_name("conv1").id, "Conv2d"), "conv1 already is a Conv2d"),
    (lambda g: replace_node(g, g.by_name("conv1").id, "Nope"), "unknown layer type 'Nope'"),
    (lambda g: insert_on_wire(g, g.edges()[0], "Input"), "Input has no input: it cannot go on a wire"),
    (lambda g: insert_after(g, g.by_name("logits").id, "ReLU"), "Output has no output: nothing can come after logits"),
])
def test_edits_that_cannot_be_made_say_why(build, message):
    g = template("cnn_digits")
    with pytest.raises(EditError) as e:
        build(g)
    assert str(e.value) == message
