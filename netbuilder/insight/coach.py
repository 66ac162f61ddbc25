"""A coach that reads a run's curves after each epoch and says, in plain words, what they show: a network
that underfits (training loss high and flat), overfits (validation loss rising while training loss falls,
or a widening gap between training and validation accuracy), or learns at a rate too high (the loss
jumps or climbs) or too low (it barely moves). Each verdict comes with remedies the user can apply as
undoable edits: a Dropout after a layer, weight decay, augmentation, early stopping, a lower or higher
learning rate, gradient clipping, a wider layer."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..graph.model import EditError
from ..analysis.in_place import insert_on_wire
from ..graph.edits import Edit, Group, SetMeta, SetParam
from ..graph.model import Graph

MIN_EPOCHS = 3  # fewer epochs tell nothing yet


@dataclass
class Remedy:
    label: str  # "add a Dropout after 'hidden'"
    kind: str  # "setting", "data", "dropout", "wider"
    key: str = ""  # the setting, or the layer
    value: object = None

    def edit(self, graph: Graph) -> Edit:
        """The undoable edit that applies it to the document."""
        if self.kind == "setting":
            return SetMeta(graph, "training", {**(graph.meta.get("training") or {}), self.key: self.value})
        if self.kind == "data":
            data = dict(graph.meta.get("data") or {})
            return SetMeta(graph, "data", {**data, "augment": {**(data.get("augment") or {}), **self.value}})
        node = graph.by_name(self.key)
        if node is None or (self.kind == "dropout" and not graph.out_edges(node.id)):
            raise EditError(f"cannot {self.label}: the network has no layer '{self.key}' wired to another now")
        if self.kind == "wider":
            return SetParam(graph, node.id, "out_features", self.value)
        edge = graph.out_edges(node.id)[0]  # a Dropout on the layer's output wire, on a free place
        return insert_on_wire(graph, edge, "Dropout", p=self.value)


@dataclass
class Verdict:
    kind: str  # "overfitting", "underfitting", "lr_high", "lr_low"
    message: str
    remedies: list[Remedy] = field(default_factory=list)


def _column(epochs: list[dict], key: str) -> list[float]:
    return [e[key] for e in epochs if e.get(key) is not None and math.isfinite(e[key])]


def _hidden_linears(graph: Graph) -> list:
    """Linear layers that feed another layer than an Output (the hidden ones), widest first."""
    found = []
    for node in graph.nodes():
        if node.type == "Linear" and graph.out_edges(node.id):
            after = graph.node(graph.out_edges(node.id)[0].dst)
            if after.type != "Output" and not _only_to_output(graph, after):
                found.append(node)
    return sorted(found, key=lambda n: -int(n.params.get("out_features", 0)))


def _only_to_output(graph: Graph, node) -> bool:
    """Whether only pass-through layers lie between `node` and an Output."""
    while node.type in ("ReLU", "Tanh", "Sigmoid", "GELU", "Dropout", "LeakyReLU", "ELU", "SiLU"):
        edges = graph.out_edges(node.id)
        if not edges:
            return False
        node = graph.node(edges[0].dst)
    return node.type == "Output"


def read(epochs: list[dict], graph: Graph, settings: dict, image_data: bool = False) -> list[Verdict]:
    """What the curves of these epochs (each a mapping of metrics: loss, val_loss, accuracy, val_accuracy)
    show, with remedies fitting this network and these settings."""
    if len(epochs) < MIN_EPOCHS:
        return []
    loss, val = _column(epochs, "loss"), _column(epochs, "val_loss")
    acc, val_acc = _column(epochs, "accuracy"), _column(epochs, "val_accuracy")
    lr = float(settings.get("lr", 1e-3))

    def rate(factor: float) -> float:  # a learning rate as a person would type it: 1e-05, not 9.999e-06
        return float(f"{lr * factor:.3g}")
    found: list[Verdict] = []
    hidden = _hidden_linears(graph)
    if len(loss) >= MIN_EPOCHS and (loss[-1] > 1.5 * min(loss) or any(not math.isfinite(v) for v in loss)):
        found.append(Verdict("lr_high", f"the training loss climbed from {min(loss):.3g} back up to {loss[-1]:.3g}:"
                             " the learning rate is likely too high, so the steps overshoot",
                             [Remedy(f"lower the learning rate to {rate(0.1):g}", "setting", "lr", rate(0.1)),
                              Remedy("clip the gradients (clip_norm 1)", "setting", "clip_norm", 1.0)]))
        return found
    if len(loss) >= MIN_EPOCHS and loss[-1] > 0.98 * loss[0]:
        found.append(Verdict("lr_low", f"the training loss barely moved in {len(loss)} epochs ({loss[0]:.3g} to"
                             f" {loss[-1]:.3g}): the learning rate may be too low",
                             [Remedy(f"raise the learning rate to {rate(10):g}", "setting", "lr", rate(10))]))
        return found
    if len(val) >= MIN_EPOCHS and len(loss) >= MIN_EPOCHS:
        best = min(range(len(val)), key=val.__getitem__)
        rising = best < len(val) - 2 and val[-1] > 1.1 * val[best] and loss[-1] < loss[best]
        gap = acc and val_acc and acc[-1] - val_acc[-1] > 0.15
        if rising or gap:
            what = (f"the validation loss rose from {val[best]:.3g} (epoch {best + 1}) to {val[-1]:.3g} while the"
                    " training loss kept falling" if rising else
                    f"the training accuracy ({acc[-1]:.0%}) is far above the validation accuracy ({val_acc[-1]:.0%})")
            remedies = []
            if hidden:
                remedies.append(Remedy(f"add a Dropout (p 0.3) after '{hidden[0].name}'", "dropout",
                                       hidden[0].name, 0.3))
            if not float(settings.get("weight_decay", 0) or 0):
                remedies.append(Remedy("add weight decay (1e-3)", "setting", "weight_decay", 1e-3))
            if image_data:
                remedies.append(Remedy("augment the training images (small shifts and rotations)", "data", "",
                                       {"crop": 1, "rotate": 10.0}))
            if not settings.get("early_stopping"):
                remedies.append(Remedy("stop early (patience 5 epochs)", "setting", "early_stopping", 5))
            if hidden and int(hidden[0].params.get("out_features", 0)) >= 16:
                narrower = max(4, int(hidden[0].params["out_features"]) // 2)
                remedies.append(Remedy(f"make '{hidden[0].name}' narrower ({narrower})", "wider", hidden[0].name,
                                       narrower))
            found.append(Verdict("overfitting", f"overfitting: {what}. The network learns the training samples"
                                 " rather than what generalises", remedies))
            return found
    recent = loss[-MIN_EPOCHS:]
    flat = max(recent) - min(recent) < 0.01 * max(abs(recent[0]), 1e-12)
    weak = (acc and acc[-1] < 0.85) or (not acc and loss[-1] > 0.5 * loss[0])
    if flat and weak:
        remedies = [Remedy(f"raise the learning rate to {rate(3):g}", "setting", "lr", rate(3))]
        if hidden:
            wider = int(hidden[0].params.get("out_features", 16)) * 2
            remedies.insert(0, Remedy(f"make '{hidden[0].name}' wider ({wider})", "wider", hidden[0].name, wider))
        epochs_now = int(settings.get("epochs", 10))
        remedies.append(Remedy(f"train longer ({epochs_now * 2} epochs)", "setting", "epochs", epochs_now * 2))
        level = f"training accuracy {acc[-1]:.0%}" if acc else f"training loss {loss[-1]:.3g}"
        found.append(Verdict("underfitting", f"underfitting: the training loss is flat and still high ({level}):"
                             " the network cannot fit even the training samples", remedies))
    return found


def apply(graph: Graph, remedy: Remedy) -> Group:
    """The remedy as one undoable step (a Group, so the Edit menu names it)."""
    return Group([remedy.edit(graph)], remedy.label[:1].upper() + remedy.label[1:])


def epochs_of(history) -> list[dict]:
    """A run's per-epoch metrics (from its History) as the rows `read` takes."""
    rows: dict[float, dict] = {}
    for name, series in history.by_epoch.items():
        x, mean, _, _ = series.arrays()
        for epoch, value in zip(x.tolist(), mean.tolist()):
            rows.setdefault(epoch, {})[name] = value
    return [rows[k] for k in sorted(rows)]
