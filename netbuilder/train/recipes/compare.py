"""Compare: every network of a document trains on the same batches, each with its own optimizer, so their
curves and gradients can be compared side by side (the vanishing-gradient lesson).

Step metrics: "loss" (the networks' mean) and "loss/<network>" for each, named after its Output.
Validation: "val_accuracy/<network>" for each and "val_accuracy", the best of them."""
from __future__ import annotations

import torch

from ...compile import build_model
from ..config import CLASSIFICATION
from ..errors import TrainingError
from ..optim import make_loss
from .base import Recipe


class Compare(Recipe):
    name = "compare"
    rank = 4
    monitor = None
    automatic = False
    summary = "every network of the document trained on the same batches, side by side"
    losses = ("cross_entropy", "nll")
    shows = frozenset()  # a boundary is drawn for one network
    keeps_inputs = False
    classifies = True  # it takes a classification loss only
    apart = True  # each network's loss and accuracy are read on their own

    def build(self, network):
        if self.config.loss not in CLASSIFICATION or self.config.loss == "bce_with_logits":
            raise TrainingError("comparing side by side needs a classification loss (cross_entropy or nll)")
        self.loss_fn = make_loss(self.config.loss)
        networks, self.shapes = {}, {}
        for part in self.graph.networks():
            nodes = [self.graph.node(n) for n in part]
            outputs = [n.name for n in nodes if n.type == "Output"]
            inputs = [n for n in nodes if n.type == "Input"]
            if len(outputs) != 1 or len(inputs) != 1:
                raise TrainingError("to compare networks side by side, each needs exactly one Input and one Output")
            networks[outputs[0]] = build_model(self.graph, outputs[0])
            self.shapes[outputs[0]] = tuple(inputs[0].params["shape"])
        return networks

    def feed(self, name: str, x: torch.Tensor) -> torch.Tensor:
        return self.networks[name](x.reshape(-1, *self.shapes[name]))

    def training_step(self, batch):
        x, y = batch[0], batch[-1]
        losses = {}
        for name in self.networks:
            with self.loop.autocast():
                loss = self.loss_fn(self.feed(name, x), y.long())
            self.loop.optimize(loss, name)
            losses[f"loss/{name}"] = loss.detach()
        return {"loss": torch.stack(list(losses.values())).mean(), **losses}

    def probe(self, batch) -> None:
        for name in self.networks:
            self.feed(name, batch[0])

    @torch.no_grad()
    def validation(self) -> dict:
        if self.val_tensors is None:
            return {}
        x, y = self.val_tensors[0], self.val_tensors[-1]
        found = {}
        for name, net in self.networks.items():
            net.eval()
            found[f"val_accuracy/{name}"] = (self.feed(name, x).argmax(dim=1) == y).sum().item() / len(x)
            net.train()
        return {**found, "val_accuracy": max(found.values())}
