"""The edits of transfer learning, each one undoable step: replace a network's final layer for a new number of
classes (a new layer of a new name, so a starting checkpoint leaves it fresh), and freeze (or unfreeze) every
layer with weights from the network's Input up to a layer."""
from __future__ import annotations

from ..graph.edits import Connect, Disconnect, Edit, Group, ReplaceNode, SetParam
from ..graph.model import Edge, EditError, Graph, Node
from ..layers import new_node
from .blocks import spec_of


def upstream(graph: Graph, node_id: str) -> list[str]:
    """The node and every node it reads from, directly or not, in document order."""
    found, stack = {node_id}, [node_id]
    while stack:
        for before in graph.predecessors(stack.pop()):
            if before not in found:
                found.add(before)
                stack.append(before)
    return [n for n in graph.node_ids() if n in found]


def freezable(graph: Graph, node: Node) -> bool:
    """A layer whose weights can be frozen (it has the trainable setting)."""
    spec = spec_of(graph, node)
    return spec is not None and spec.param("trainable") is not None


def is_frozen(node: Node) -> bool:
    return node.params.get("trainable", True) is False


def freeze_up_to(graph: Graph, node_id: str, frozen: bool = True) -> Group:
    """Every layer with weights from the Input up to `node_id` (itself included) frozen (or trainable again):
    one edit. EditError when there is nothing to change."""
    node = graph.node(node_id)
    layers = [graph.node(n) for n in upstream(graph, node_id) if freezable(graph, graph.node(n))]
    changed = [n for n in layers if is_frozen(n) != frozen]
    if not changed:
        what = "frozen" if frozen else "trainable"
        raise EditError(f"no layer with weights up to {node.name} is left to make {what}" if layers else
                        f"no layer up to {node.name} has weights to {'freeze' if frozen else 'unfreeze'}")
    verb = "Freeze" if frozen else "Unfreeze"
    return Group([SetParam(graph, n.id, "trainable", not frozen) for n in changed],
                 f"{verb} {len(changed)} layer{'s' * (len(changed) > 1)} up to {node.name}")


def final_layer(graph: Graph, node_id: str) -> Node:
    """The Linear nearest the Output of the network that holds `node_id`, reached by walking back from the
    Output through layers without weights (ReLU, Dropout, Softmax...). EditError saying why when there is none."""
    members = graph.network_of(node_id)
    outputs = [n for n in graph.node_ids() if n in members and graph.node(n).type == "Output"]
    if len(outputs) != 1:
        raise EditError(f"the network of {graph.node(node_id).name} has {len(outputs)} Outputs: the final layer"
                        " is the one before the Output of a network with exactly one")
    current = outputs[0]
    while True:
        before = graph.predecessors(current)
        if len(before) != 1:
            break
        current = before[0]
        node = graph.node(current)
        if node.type == "Linear":
            return node
        if freezable(graph, node) or node.type == "Input":
            break
    raise EditError(f"no Linear layer leads to the Output {graph.node(outputs[0]).name} (through layers without"
                    " weights): the final layer to replace is a Linear")


def replace_final_layer(graph: Graph, node_id: str, classes: int) -> Group:
    """The network's final Linear replaced by a new one of `classes` outputs, fresh weights, trainable, under a
    new name (a checkpoint the network starts from fills the layers of the same name: not this one)."""
    if not isinstance(classes, int) or isinstance(classes, bool) or classes < 1:
        raise EditError(f"the new final layer needs a whole number of classes of at least 1, not {classes!r}")
    old = final_layer(graph, node_id)
    name = f"{old.name}_new" if graph.by_name(f"{old.name}_new") is None else graph.unique_name(f"{old.name}_new")
    fresh = new_node(graph, "Linear", old.pos, name=name, out_features=classes, bias=old.params.get("bias", True))
    fresh.id = old.id
    ins, outs = graph.in_edges(old.id), graph.out_edges(old.id)
    edits: list[Edit] = [Disconnect(e) for e in ins + outs]
    edits.append(ReplaceNode(graph, old.id, fresh))
    edits += [Connect(Edge(e.src, e.src_port, old.id, e.dst_port)) for e in ins]
    edits += [Connect(Edge(old.id, e.src_port, e.dst, e.dst_port)) for e in outs]
    return Group(edits, f"Replace the final layer {old.name} for {classes} classes")
