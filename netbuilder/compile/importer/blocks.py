"""An imported model's own classes used more than once (a ResNet's BasicBlock, a Transformer's layer) become
blocks of the document: one definition per class and sizing, one block node per use, weights moved along.
Tried after the flat import has been checked; the flat document stays when the model does not split so."""
from __future__ import annotations

import re

from torch import fx, nn

from ...analysis import Analysis
from ...analysis.blocks import group_into_block
from ...graph.edits import Connect, Disconnect, Group, RemoveNode, SetParam
from ...graph.model import Edge, EditError, Graph, block_name_problem, name_problem
from ...layers import CATALOG

CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict)


def user_classes(node: fx.Node) -> list[tuple[str, type]]:
    """(path, class) of the model's own modules the call was made inside, outermost first."""
    stack = node.meta.get("nn_module_stack") or {}
    found = []
    for path, cls in stack.values():
        if path and isinstance(cls, type) and not issubclass(cls, CONTAINERS) \
                and not cls.__module__.startswith("torch."):
            found.append((path, cls))
    if node.op == "call_module" and found and found[-1][0] == node.target:
        found.pop()  # the layer itself
    return found


def exported_block(cls: type) -> str | None:
    """The block a class was exported from by netbuilder (its docstring says "Block ResBlock."), or None."""
    m = re.fullmatch(r"Block (\w+)\.", (cls.__doc__ or "").strip())
    return m.group(1) if m else None


def uses(graph: Graph, origin: dict[str, fx.Node]) -> dict[str, list[str]]:
    """For each use (module path) of a class used more than once, or exported from a block: the document's
    layers made inside it, in document order. Only the outermost such use holds a layer."""
    paths: dict[type, set[str]] = {}
    for node_id in graph.node_ids():
        if node_id in origin:
            for path, cls in user_classes(origin[node_id]):
                paths.setdefault(cls, set()).add(path)
    repeated = {cls for cls, found in paths.items() if len(found) > 1 or exported_block(cls)}
    groups: dict[str, list[str]] = {}
    for node_id in graph.node_ids():
        if node_id not in origin:
            continue
        outer = next(((p, c) for p, c in user_classes(origin[node_id]) if c in repeated), None)
        if outer is not None:
            groups.setdefault(f"{exported_block(outer[1]) or outer[1].__name__}\n{outer[0]}", []).append(node_id)
    return groups


def into_blocks(graph: Graph, origin: dict[str, fx.Node]) -> dict[str, str]:
    """Group each use into a block (in place): a use computing what an earlier block of its class computes
    becomes another instance of it. Returns where the layers' weights went: old layer name -> new path."""
    moved: dict[str, str] = {}
    made: dict[str, list[tuple[str, list[str]]]] = {}  # class -> (block name, its layers' names) made so far
    analysis = Analysis(graph)
    try:
        for key, ids in uses(graph, origin).items():
            cls_name, path = key.split("\n")
            olds = [graph.node(n).name for n in ids]
            prefix = path.replace(".", "_") + "_"
            stripped = [o[len(prefix):] if o.startswith(prefix) else o for o in olds]
            tries = [(name, dict(zip(olds, inner))) for name, inner in made.get(cls_name, [])
                     if len(inner) == len(olds)]  # the same layers in the same order: the same block?
            own = dict(zip(olds, stripped if len(set(stripped)) == len(stripped) else olds))
            tries.append((next(n for n in _names(cls_name) if n not in graph.blocks), own))  # else a new one
            for name, inner in tries:
                try:
                    edit, instance = group_into_block(graph, analysis, ids, name, inner.get)
                except EditError:
                    continue
                if name not in graph.blocks:
                    made.setdefault(cls_name, []).append((name, [inner[o] for o in olds]))
                graph.apply(edit)
                wanted = re.sub(r"\W", "_", path)
                if graph.by_name(wanted) is None and name_problem(wanted) is None:
                    graph._rename(instance, wanted)  # named after its place in the model (layer1_0)
                moved.update({o: f"{graph.node(instance).name}.{inner[o]}" for o in olds})
                break
        _stack(graph, moved)
    finally:
        analysis.close()
    return moved


def _stack(graph: Graph, moved: dict[str, str]) -> None:
    """Uses of one block that the model stacked in a container (an nn.Sequential's blocks_0, blocks_1, each
    feeding only the next) become one use stacked that many times, named after it (blocks, repeat 2)."""
    for first in graph.topological_order():
        stem = re.match(r"(.*)_0$", graph.node(first).name) if first in graph else None
        if stem is None or graph.node(first).type != "Block":
            continue
        chain = [first]
        while True:
            last = graph.node(chain[-1])
            outs = graph.out_edges(last.id)
            if len(outs) != 1 or len(graph.in_edges(last.id)) != 1:
                break
            nxt = graph.node(outs[0].dst)
            if nxt.type != "Block" or nxt.params != last.params or len(graph.in_edges(nxt.id)) != 1 \
                    or nxt.name != f"{stem.group(1)}_{len(chain)}":
                break
            chain.append(nxt.id)
        if len(chain) < 2:
            continue
        names = [graph.node(n).name for n in chain]
        tail = graph.out_edges(chain[-1])
        edits = [Disconnect(e) for n in chain[:-1] for e in graph.out_edges(n)] + [Disconnect(e) for e in tail]
        edits += [RemoveNode(graph, n) for n in chain[1:]]
        edits += [Connect(Edge(first, e.src_port, e.dst, e.dst_port)) for e in tail]
        edits.append(SetParam(graph, first, "repeat", len(chain)))
        graph.apply(Group(edits))
        if graph.by_name(stem.group(1)) is None and name_problem(stem.group(1)) is None:
            graph._rename(first, stem.group(1))
        where = {name: f"{graph.node(first).name}.{k}" for k, name in enumerate(names)}
        for old, path in moved.items():
            instance, _, inner = path.partition(".")
            if instance in where:
                moved[old] = f"{where[instance]}.{inner}"


def _names(cls_name: str):
    """Block names to try for a class: its own, then numbered (ResBlock, ResBlock2, ...)."""
    stem = cls_name[:1].upper() + cls_name[1:]
    if block_name_problem(stem) or stem in CATALOG:  # a reserved or a layer's name (Block, Linear): numbered
        stem += "1"
    if block_name_problem(stem):
        stem = "Part"
    yield stem
    k = 2
    while True:
        yield f"{stem}{k}"
        k += 1


def renamed_state(state: dict, moved: dict[str, str]) -> dict:
    """The weights under the grouped document's names."""
    out = {}
    for key, value in state.items():
        layer, _, rest = key.partition(".")
        out[f"{moved[layer]}.{rest}" if layer in moved else key] = value
    return out
