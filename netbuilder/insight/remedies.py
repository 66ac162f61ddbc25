"""The coach's remedies: each one undoable edit of the document (a setting, the data's augmentation, a
Dropout after a layer, a wider or narrower layer, a network's squashing activations swapped for ReLU), and
the layers they name."""
from __future__ import annotations

from dataclasses import dataclass

from ..analysis.in_place import insert_on_wire, replace_node
from ..graph.edits import Edit, Group, SetMeta, SetParam
from ..graph.model import EditError, Graph

PASSING = ("ReLU", "Tanh", "Sigmoid", "GELU", "Dropout", "LeakyReLU", "ELU", "SiLU")
SQUASHING = ("Sigmoid", "Tanh")  # their gradient fades where their output nears its bounds


@dataclass
class Remedy:
    label: str  # "add a Dropout after 'hidden'"
    kind: str  # "setting", "data", "dropout", "wider", "latent", "replace"
    key: str = ""  # the setting, or the layer (for "replace": the network's Output)
    value: object = None

    def edit(self, graph: Graph) -> Edit:
        """The undoable edit that applies it to the document."""
        if self.kind == "setting":
            return SetMeta(graph, "training", {**(graph.meta.get("training") or {}), self.key: self.value})
        if self.kind == "data":
            data = dict(graph.meta.get("data") or {})
            return SetMeta(graph, "data", {**data, "augment": {**(data.get("augment") or {}), **self.value}})
        if self.kind == "replace":
            return _replace_all(graph, squashing(graph, self.key), str(self.value), self.label)
        node = graph.by_name(self.key)
        if node is None or (self.kind == "dropout" and not graph.out_edges(node.id)):
            raise EditError(f"cannot {self.label}: the network has no layer '{self.key}' wired to another now")
        if self.kind in ("wider", "latent"):
            return SetParam(graph, node.id, "out_features" if self.kind == "wider" else "latent", self.value)
        edge = graph.out_edges(node.id)[0]  # a Dropout on the layer's output wire, on a free place
        return insert_on_wire(graph, edge, "Dropout", p=self.value)


def apply(graph: Graph, remedy: Remedy) -> Group:
    """The remedy as one undoable step (a Group, so the Edit menu names it)."""
    return Group([remedy.edit(graph)], remedy.label[:1].upper() + remedy.label[1:])


def _replace_all(graph: Graph, node_ids: list[str], layer_type: str, label: str) -> Group:
    """Each node replaced in turn (a name each replacement takes is taken for the next), as one edit."""
    if not node_ids:
        raise EditError(f"cannot {label}: the network has no Sigmoid or Tanh now")
    done: list[Edit] = []
    try:
        for node_id in node_ids:
            edit = replace_node(graph, node_id, layer_type)
            graph.apply(edit)
            done.append(edit)
    finally:
        for edit in reversed(done):  # built on the graph as it will be; applied by the caller
            edit.revert(graph)
    return Group(done, label)


def network_of(graph: Graph, output: str) -> list[str]:
    """The ids of the network (a connected part of the document) holding the Output named `output`; all the
    document's nodes when there is no such Output."""
    node = graph.by_name(output) if output else None
    for part in graph.networks():
        if node is not None and node.id in part:
            return part
    return list(graph.node_ids())


def squashing(graph: Graph, output: str = "") -> list[str]:
    """The Sigmoid and Tanh layers of the network ending in `output` (of the whole document by default)."""
    return [n for n in network_of(graph, output) if graph.node(n).type in SQUASHING]


def hidden_linears(graph: Graph, output: str = "") -> list:
    """Linear layers that feed another layer than an Output (the hidden ones), widest first."""
    found = []
    for node_id in network_of(graph, output):
        node = graph.node(node_id)
        if node.type == "Linear" and graph.out_edges(node.id):
            after = graph.node(graph.out_edges(node.id)[0].dst)
            if after.type != "Output" and not _only_to_output(graph, after):
                found.append(node)
    return sorted(found, key=lambda n: -int(n.params.get("out_features", 0)))


def _only_to_output(graph: Graph, node) -> bool:
    """Whether only pass-through layers lie between `node` and an Output."""
    while node.type in PASSING:
        edges = graph.out_edges(node.id)
        if not edges:
            return False
        node = graph.node(edges[0].dst)
    return node.type == "Output"
