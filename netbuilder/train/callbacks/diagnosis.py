"""Gradient and activation diagnosis: warnings on the nodes, each with its remedy in plain words.

A callback: it watches per-layer gradient norms over a rolling window of steps (the steps that took norms:
every trainer.norms_every-th), and samples the outputs of ReLU, sigmoid and tanh layers every few steps."""
from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass, fields

import torch

from ...compile.build import layer_units
from ...graph.model import Graph
from ...graph.problems import Problem
from ...section import Section
from . import Callback

VANISHING_REMEDY = ("Use ReLU (or GELU) instead of sigmoid/tanh, add BatchNorm or residual connections,"
                    " and start the weights with He (kaiming) initialisation.")
VANISHING_REMEDY_NO_SQUASH = ("Add BatchNorm or residual (skip) connections, make the network shallower, and start"
                              " the weights with He (kaiming) initialisation.")  # no sigmoid or tanh to swap
SPIKE = 100.0  # a step's loss this many times the recent median is a spike
EXPLODING_REMEDY = "Lower the learning rate, clip gradients (clip_norm), or add BatchNorm."
DEAD_REMEDY = "Lower the learning rate, use LeakyReLU, or start the weights with He (kaiming) initialisation."
SATURATED_REMEDY = "Put BatchNorm before it, use ReLU instead, or start with smaller weights (Xavier)."


@dataclass
class Thresholds(Section):
    key, title = "diagnosis", "the diagnosis thresholds"
    vanishing: float = 1e-7  # a layer's gradient norm staying below this
    ratio: float = 1e-4  # input-side norms this far below the output side's
    exploding: float = 1e3
    dead: float = 0.95  # fraction of a ReLU's outputs that are zero
    saturated: float = 0.95  # fraction of sigmoid/tanh outputs within 1% of their bounds
    window: int = 50  # steps
    sample_every: int = 10  # steps between activation samples

    @classmethod
    def from_dict(cls, data: dict | None) -> "Thresholds":
        """From the document's meta["diagnosis"]: known keys with usable values; the rest defaulted."""
        values = {}
        for f in fields(cls):
            value = data.get(f.name) if isinstance(data, dict) else None
            if cls._usable(f, value):
                values[f.name] = (int if f.type in ("int", int) else float)(value)
        return cls(**values)

    @staticmethod
    def _usable(f, value) -> bool:
        whole = f.type in ("int", int)
        return isinstance(value, int if whole else (int, float)) and not isinstance(value, bool) and value > 0 \
            and math.isfinite(value) and (whole or f.name not in ("dead", "saturated") or value <= 1)

    @classmethod
    def check(cls, data: dict) -> list[str]:
        """The problems of thresholds as a document holds them (from_dict would quietly use the defaults)."""
        found = []
        for f in fields(cls):
            if f.name in data and not cls._usable(f, data[f.name]):
                what = "a whole number above 0" if f.type in ("int", int) else \
                    "a share from 0 to 1" if f.name in ("dead", "saturated") else "a number above 0"
                found.append(f"{f.name} must be {what}, not {data[f.name]!r}")
        return found


def layer_type(graph, layer: str) -> str | None:
    """The type of a compiled layer, one inside a block (blocks.0.conv_a) too."""
    parts = layer.split(".")
    node = graph.by_name(parts.pop(0))
    while node is not None and node.type == "Block" and parts:
        graph = graph.blocks.get(node.params.get("block"))
        if graph is None:
            return None
        if parts[0].isdigit():  # which copy of a stacked block
            parts.pop(0)
        node = graph.by_name(parts.pop(0)) if parts else None
    return node.type if node is not None and not parts else None


def node_of(graph, layer: str) -> str | None:
    """The id of the node a compiled layer belongs to: its own, or for a block's layer (blocks.0.conv_a) the
    block's node."""
    node = graph.by_name(layer) or graph.by_name(layer.split(".")[0])
    return node.id if node is not None else None


class Diagnosis(Callback):
    """Judges the run every `window` steps and at its end; `latest` holds the last verdict
    (a list replaced whole, so another thread may read it)."""

    def __init__(self, graph: Graph, thresholds: Thresholds | None = None):
        self.graph = graph
        self.t = thresholds or Thresholds.from_dict(graph.meta.get("diagnosis"))
        self.latest: list[Problem] = []
        self.layers: list[str] = []
        squashing = any(n.type in ("Sigmoid", "Tanh") for n in graph.nodes())
        self.vanishing_remedy = VANISHING_REMEDY if squashing else VANISHING_REMEDY_NO_SQUASH
        self.losses: deque[float] = deque(maxlen=self.t.window)
        self.spike: tuple[int, float, float] | None = None  # (step, loss, recent median) of the latest spike
        self.norms: deque[list[float]] = deque(maxlen=self.t.window)  # of the window's steps that took norms
        self.norm_steps: deque[int] = deque(maxlen=self.t.window)  # their global steps
        self.activity: dict[str, deque[float]] = {}
        self._hooks = []
        self._sample = True

    # ---- collecting --------------------------------------------------------------------------
    def on_train_start(self, trainer) -> None:
        self.layers = list(trainer.monitor.layers)
        taken = max(1, math.ceil(self.t.window / getattr(trainer, "norms_every", 1)))  # the window's steps' norms
        self.norms, self.norm_steps = deque(self.norms, maxlen=taken), deque(self.norm_steps, maxlen=taken)
        for name, module in layer_units(trainer.model):
            kind = layer_type(self.graph, name)
            if kind in ("ReLU", "Sigmoid", "Tanh"):
                self.activity[name] = deque(maxlen=max(3, self.t.window // self.t.sample_every))
                self._hooks.append(module.register_forward_hook(self._hook(name, kind)))

    def _hook(self, name: str, kind: str):
        def record(module, inputs, out):
            if not self._sample or not module.training or not isinstance(out, torch.Tensor):
                return
            with torch.no_grad():
                if kind == "ReLU":
                    share = (out == 0).float().mean().item()
                elif kind == "Sigmoid":
                    share = ((out < 0.01) | (out > 0.99)).float().mean().item()
                else:
                    share = (out.abs() > 0.99).float().mean().item()
            self.activity[name].append(share)
        return record

    def on_step_end(self, trainer, step) -> None:
        if step.grad_norms:
            self.norms.append(step.grad_norms)
            self.norm_steps.append(step.global_step)
        if len(self.losses) >= 10:
            median = statistics.median(self.losses)
            if median > 0 and math.isfinite(step.loss) and step.loss > SPIKE * median:
                self.spike = (step.global_step, step.loss, median)
                self.latest = self.problems()
        self.losses.append(step.loss)
        self._sample = (step.global_step + 1) % self.t.sample_every == 0
        if (step.global_step + 1) % self.t.window == 0:
            self.latest = self.problems()

    def on_train_end(self, trainer, result) -> None:
        for hook in self._hooks:
            hook.remove()
        self._hooks = []
        self.latest = self.problems()

    # ---- judging -----------------------------------------------------------------------------
    def problems(self) -> list[Problem]:
        found: list[Problem] = []
        ids = {n.name: n.id for n in self.graph.nodes()}
        if self.norms and self.layers:
            columns = list(zip(*self.norms))
            medians = [statistics.median(c) for c in columns]
            full = len(self.norms) == self.norms.maxlen
            steps = self.norm_steps[-1] - self.norm_steps[0] + 1  # the steps the window spans
            last = self._last_of_network()  # each network's output side: a GAN's, or a lesson's two
            out_sides = {name: medians[self.layers.index(last[name])] for name in self.layers}
            for name, column, median in zip(self.layers, columns, medians):
                out_side = out_sides[name]
                latest = column[-1]
                if not math.isfinite(latest) or latest > self.t.exploding:
                    found.append(self._warn(ids, name, f"exploding gradients: the gradient norm is"
                                            f" {latest:.3g}, above {self.t.exploding:g}", EXPLODING_REMEDY))
                elif full and max(column) < self.t.vanishing:
                    found.append(self._warn(ids, name, f"vanishing gradients: the gradient norm stayed"
                                            f" below {self.t.vanishing:g} for {steps} steps",
                                            self.vanishing_remedy))
                elif full and name != last[name] and out_side > 0 and median / out_side < self.t.ratio:
                    found.append(self._warn(ids, name, f"vanishing gradients: the gradient here is"
                                            f" {median / out_side:.1e} times the output side's",
                                            self.vanishing_remedy))
        if self.spike is not None and self.layers and self.norms:
            step, loss, median = self.spike
            latest = self.norms[-1]
            biggest = max(range(len(latest)), key=lambda i: latest[i] if math.isfinite(latest[i]) else math.inf)
            found.append(self._warn(ids, self.layers[biggest], f"exploding gradients: the loss jumped to {loss:.3g}"
                                    f" at step {step + 1}, {loss / median:.0f} times its recent median ({median:.3g});"
                                    " this layer's gradient is the largest", EXPLODING_REMEDY))
        for name, shares in self.activity.items():
            if len(shares) < 3:
                continue
            share = statistics.fmean(shares)
            kind = layer_type(self.graph, name)
            if kind == "ReLU" and share > self.t.dead:
                found.append(self._warn(ids, name, f"dead ReLU: {share:.0%} of its outputs are zero",
                                        DEAD_REMEDY))
            elif kind in ("Sigmoid", "Tanh") and share > self.t.saturated:
                found.append(self._warn(ids, name, f"saturated {kind.lower()}: {share:.0%} of its outputs"
                                        " sit at its limits, where the gradient is almost zero",
                                        SATURATED_REMEDY))
        return found

    def _last_of_network(self) -> dict[str, str]:
        """For each watched layer, the last watched layer (nearest the output) of its network."""
        ids = {name: node_of(self.graph, name) for name in self.layers}
        part_of = {}
        for index, part in enumerate(self.graph.networks()):
            part_of.update({node_id: index for node_id in part})
        last: dict[int, str] = {}
        for name in self.layers:  # in network order, so the later one wins
            last[part_of.get(ids.get(name), -1)] = name
        return {name: last[part_of.get(ids.get(name), -1)] for name in self.layers}

    def _warn(self, ids: dict[str, str], layer: str, what: str, remedy: str) -> Problem:
        """A warning on the layer's node; a layer inside a block (blocks.0.conv_a) warns on the block, naming it."""
        if layer in ids:
            return Problem(ids[layer], f"{what}. {remedy}", severity="warning")
        return Problem(node_of(self.graph, layer), f"inside, {layer}: {what}. {remedy}", severity="warning")
