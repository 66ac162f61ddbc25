"""Reconstruction: the target is the input itself (an autoencoder); labels are not used."""
from __future__ import annotations

import math
from dataclasses import replace

import torch

from ...analysis import Analysis
from ...compile.plan import network_nodes
from ...data.anomaly import normal_part, under_protocol
from ...graph.edits import SetMeta, SetParam
from ..evaluate import evaluate
from ..generative import reconstructions
from ..errors import TrainingError
from ..inputs import PASS_THROUGH, input_problems, last_linear
from .supervised import Supervised

RECONSTRUCTION_LOSSES = ("mse", "l1", "bce_with_logits")  # they compare the output with the input


class Reconstruction(Supervised):
    name = "reconstruction"
    rank = 1
    summary = "an autoencoder: the network gives back its input; the labels are not used"
    target_is_input = True
    losses = RECONSTRUCTION_LOSSES
    shows = frozenset({"samples", "inside"})
    script = False
    scores = ("reconstruction error",)

    @classmethod
    def check_task(cls, config, prepared=None, spec=None) -> None:
        if config.loss not in RECONSTRUCTION_LOSSES:
            raise TrainingError(f"the {cls.name} recipe compares the network's output with its input:"
                                f" choose the mse loss (or l1, or bce_with_logits), not {config.loss}")

    @classmethod
    def data(cls, graph, config, spec, progress=None, download=False, prepared=None):
        """As the dataset gives it; under an anomaly protocol the validation loss is measured on the normal
        samples (what the network learns to rebuild): the labelled anomalies are for choosing a threshold."""
        data = super().data(graph, config, spec, progress, download, prepared)
        return replace(data, val=normal_part(data.val)) if under_protocol(data.prepared) else data

    @classmethod
    def data_problems(cls, graph, config, prepared, spec, analysis=None):
        return input_problems(graph, prepared, spec)  # the samples are their own targets

    @classmethod
    def fit_to_data(cls, graph, config, prepared, edits, left) -> None:
        """An autoencoder gives back a sample: the last Linear gets the sample's size, a Reshape after it
        the sample's shape, and the loss stays one that compares values (mse unless l1 or bce is set)."""
        outputs = [n for n in graph.nodes() if n.type == "Output"]
        sample = list(prepared.sample_shape)
        size = math.prod(sample)
        last = last_linear(graph, outputs[0].id, PASS_THROUGH + ("Reshape", "Flatten")) if len(outputs) == 1 else None
        if last is None:
            left.append(f"no Linear layer feeds the Output: make the last layer give {size} values"
                        f" (the sample's size), reshaped to {sample}")
        else:
            if last.params.get("out_features") != size:
                edits.append(SetParam(graph, last.id, "out_features", size))
            node_id = outputs[0].id
            while node_id != last.id:  # Reshapes between it and the Output give the sample's shape
                node = graph.node(node_id)
                if node.type == "Reshape" and list(node.params.get("shape", [])) != sample:
                    edits.append(SetParam(graph, node.id, "shape", sample))
                node_id = graph.predecessors(node_id)[0]
        if config.loss not in RECONSTRUCTION_LOSSES:
            edits.append(SetMeta(graph, "training", {**(graph.meta.get("training") or {}), "loss": "mse"}))

    def build(self, network):
        self.check_task(self.config)
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

    def score_batch(self, inputs):
        """The reconstruction error of each sample: its loss (mse, l1 or bce) averaged over its values."""
        x = inputs[0]
        return {"reconstruction error": self.sample_error(self.model(x), x)}

    def sample_error(self, out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        name = {"mse": "mse_loss", "l1": "l1_loss", "bce_with_logits": "binary_cross_entropy_with_logits"}
        each = getattr(torch.nn.functional, name[self.config.loss])(out, self.target(x, out), reduction="none")
        return each.reshape(len(x), -1).mean(dim=1)

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
