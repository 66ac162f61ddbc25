"""Reconstruction: the target is the input itself (an autoencoder); labels are not used."""
from __future__ import annotations

import math

import torch

from ...analysis import Analysis
from ...compile.plan import network_nodes
from ..config import RECONSTRUCTION_LOSSES
from ..evaluate import evaluate
from ..generative import reconstructions
from ..errors import TrainingError
from .supervised import Supervised


class Reconstruction(Supervised):
    name = "reconstruction"
    rank = 1

    def build(self, network):
        if self.config.loss not in RECONSTRUCTION_LOSSES:
            raise TrainingError(f"the {self.name} recipe compares the network's output with its input:"
                                f" choose the mse loss (or l1, or bce_with_logits), not {self.config.loss}")
        networks = super().build(network)
        analysis = Analysis(self.graph)
        try:
            _check_sizes(self.graph, network, analysis, self.name)
        finally:
            analysis.close()
        return networks

    @property
    def classifies(self) -> bool:
        return False

    def attach(self, loop, train, val, test, augment) -> None:
        keep = [part[:1] if part is not None else None for part in (train, val, test)]  # the input alone
        super().attach(loop, *keep, augment)

    def objective(self, out: torch.Tensor, x: torch.Tensor) -> dict:
        """The loss of giving `out` for the input x (without the L1 penalty), and its terms."""
        return {"loss": self.loss_fn(out, self.target(x, out))}

    def training_step(self, batch):
        x = batch[0]
        given = self.augment(x, self.loop.gen) if self.augment is not None else x  # the target stays as it was
        metrics = self.objective(self.model(given), x)
        return {**metrics, "loss": self.penalty(metrics["loss"])}

    def evaluate(self, data, limit: int = 0):
        x = data[0]
        return evaluate(self.model, x, x, lambda out, target: self.objective(out, target)["loss"],
                        None, None, limit=limit)

    def pictures(self, epoch: int):
        x = (self.val_tensors or self.train_tensors)[0]
        originals, made = reconstructions(self.model, x, n=16)
        caption = f"Epoch {epoch}: 16 validation samples (top two rows) and their reconstructions (below)"
        return caption, torch.cat([originals, made]).clamp(0, 1), None


def _check_sizes(graph, network, analysis: Analysis, recipe: str) -> None:
    """The output must hold as many values per sample as the input: it is compared with it."""
    members = network_nodes(graph, network)
    inputs = [n for n in members if graph.node(n).type == "Input"]
    outputs = [n for n in members if graph.node(n).type == "Output"]
    if len(inputs) != 1 or len(outputs) != 1:
        raise TrainingError(f"the {recipe} recipe needs a network with one Input and one Output"
                            f" (this one has {len(inputs)} and {len(outputs)})")
    given, taken = analysis.inputs(outputs[0])["in"], analysis.output(inputs[0])
    if math.prod(given.shape) != math.prod(taken.shape):
        size = math.prod(taken.shape)
        raise TrainingError(f"the {recipe} recipe compares the Output with the Input, but the Output"
                            f" '{graph.node(outputs[0]).name}' gives {given} ({math.prod(given.shape)} values)"
                            f" and the Input '{graph.node(inputs[0]).name}' takes {taken} ({size} values):"
                            f" make the last layer give {size} values (a Linear with {size} outputs, then a"
                            f" Reshape to {list(taken.shape)})")
