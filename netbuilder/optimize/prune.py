"""Structured pruning that removes channels and units for real: Torch-Pruning's dependency graph (DepGraph)
finds the layers that must shrink together (a Conv's filters, the BatchNorm after it, the next layer's inputs),
ranks the channels by the size of their weights (L2), and removes a share of them, per layer or over the whole
network. The result is written back as a new document whose layers are narrower, so its canvas shows the
shapes; fine-tuning then trains that document through the normal training loop, as a run of its own."""
from __future__ import annotations

import copy
import io
import warnings
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import fx, nn

from ..analysis import Analysis
from ..atomic import write_atomic
from ..compile import build_model
from ..graph.edits import SetMeta, SetParam
from ..graph.model import Graph
from .source import OptimizeError

# the layers whose width is a parameter of their node, and that parameter
WIDTHS = {nn.Conv1d: ("out_channels", "out_channels"), nn.Conv2d: ("out_channels", "out_channels"),
          nn.ConvTranspose2d: ("out_channels", "out_channels"), nn.Linear: ("out_features", "out_features")}
# the layers whose size follows their input's, so they may shrink with the layer before them
FOLLOWERS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.LayerNorm)


@dataclass
class Pruned:
    model: fx.GraphModule  # the pruned network (the pruned document's module, with the kept weights)
    graph: Graph  # the new document, its layers narrower
    widths: dict[str, tuple[int, int]]  # layer: (width before, after)


def prune(graph: Graph, model: fx.GraphModule, example: torch.Tensor, ratio: float,
          global_pruning: bool = False) -> Pruned:
    """Remove `ratio` (0 < ratio < 1) of the channels and units of the network's hidden layers: of each layer
    (per layer) or the weakest over the whole network (global). The layers that give an Output keep their width
    (the network's answer keeps its shape); layers inside blocks and of other kinds (recurrent, attention, Code)
    are left as they are, and so are the layers tied to them."""
    import torch_pruning as tp

    if not 0 < ratio < 1:
        raise OptimizeError(f"the pruning ratio is the share of channels removed, above 0 and below 1, not {ratio}")
    pruned = copy.deepcopy(model).eval()
    tops = dict(pruned.named_children())
    fixed = _answering(graph, tops)
    ignored = [m for name, m in tops.items() if name in fixed or type(m) not in WIDTHS]
    pruner = tp.pruner.MagnitudePruner(pruned, example, importance=tp.importance.MagnitudeImportance(p=2),
                                       pruning_ratio=ratio, global_pruning=global_pruning, ignored_layers=ignored)
    free = {id(m) for name, m in tops.items() if name not in fixed and isinstance(m, (*WIDTHS, *FOLLOWERS))}
    weighted = {id(m) for m in pruned.modules() if any(True for _ in m.parameters(recurse=False))}
    takes = {id(m) for m in tops.values() if type(m) in WIDTHS}  # their inputs follow the layer before

    def allowed(dep) -> bool:
        module = dep.target.module
        if id(module) not in weighted or id(module) in free:  # Torch-Pruning's stand-ins for operations
            return True
        return id(module) in takes and pruner.DG.is_in_channel_pruning_fn(dep.handler)

    with warnings.catch_warnings(), redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        for group in pruner.step(interactive=True):
            if all(allowed(dep) for dep, _ in group):
                group.prune()
    before = dict(model.named_children())
    widths = {name: (_width(before[name]), _width(m)) for name, m in tops.items()
              if type(m) in WIDTHS and _width(m) != _width(before[name])}
    if not widths:
        raise OptimizeError("no layer could be pruned: only the hidden Conv and Linear layers outside blocks are"
                            " (the layers that give an Output keep their width)")
    narrower = _document(graph, widths, ratio)
    return Pruned(_rebuilt(narrower, pruned), narrower, widths)


def _answering(graph: Graph, tops: dict[str, nn.Module]) -> set[str]:
    """The layers with weights nearest each Output (through layers without weights): they make the answer."""
    found, seen = set(), set()
    todo = [n.id for n in graph.nodes() if n.type == "Output"]
    while todo:
        node_id = todo.pop()
        for before in graph.predecessors(node_id):
            if before in seen:
                continue
            seen.add(before)
            name = graph.node(before).name
            module = tops.get(name)
            if module is not None and any(True for _ in module.parameters()):
                found.add(name)
            else:
                todo.append(before)
    return found


def _width(module: nn.Module) -> int:
    return getattr(module, WIDTHS[type(module)][1])


def _document(graph: Graph, widths: dict[str, tuple[int, int]], ratio: float) -> Graph:
    """A copy of the document with the pruned layers' widths, checked: its shapes must hold."""
    narrower = graph.copy()
    for name, (_, after) in widths.items():
        node = narrower.by_name(name)
        narrower.apply(SetParam(narrower, node.id, WIDTHS[_type(node.type)][0], after))
    title = graph.meta.get("name") or "network"
    narrower.apply(SetMeta(narrower, "name", f"{title} (pruned {ratio:.0%})"))
    errors = [p for p in Analysis(narrower).problems() if p.severity == "error"]
    if errors:
        names = {n.id: n.name for n in narrower.nodes()}
        raise OptimizeError("the pruned network does not check clean: " + "; ".join(p.describe(names) for p in errors))
    return narrower


def _type(layer_type: str) -> type:
    return {"Conv1d": nn.Conv1d, "Conv2d": nn.Conv2d, "ConvTranspose2d": nn.ConvTranspose2d,
            "Linear": nn.Linear}[layer_type]


def _rebuilt(graph: Graph, pruned: nn.Module) -> fx.GraphModule:
    """The pruned document compiled, with the pruned network's weights: the document is the network."""
    model = build_model(graph).eval()
    state = pruned.state_dict()
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    wrong = [k for k, v in state.items() if shapes.get(k) != tuple(v.shape)]
    if wrong or set(shapes) != set(state):
        raise OptimizeError(f"the pruned document's layers do not take the pruned weights ({', '.join(wrong[:3])})")
    model.load_state_dict(state)
    return model


def save_pruned(pruned: Pruned, folder: Path, stem: str = "pruned") -> tuple[Path, Path]:
    """The pruned document (.json) and its weights (.pt) in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    document, weights = folder / f"{stem}.json", folder / f"{stem}.pt"
    pruned.graph.save(document)
    write_atomic(weights, lambda f: torch.save(pruned.model.state_dict(), f))
    return document, weights
