"""Deep SVDD (Ruff et al., "Deep One-Class Classification", ICML 2018): the network maps the training samples,
all normal, as close as it can to a centre c in its output space; a sample's anomaly score is its squared
distance from c. The centre is the mean output of the training samples after a first pass with the starting
weights, and stays fixed. No layer may add a learned bias (nor a norm layer's learned shift): with one the
network could map every sample onto c, a collapse that tells nothing apart."""
from __future__ import annotations

from dataclasses import replace

import torch

from ...compile import build_model
from ...compile.plan import network_nodes
from ...data.anomaly import normal_part, under_protocol
from ...graph.problems import Fix, Problem
from ..errors import TrainingError
from ..evaluate import evaluate
from ..inputs import input_problems, shaped_data
from .base import Recipe

BIASES = ("bias", "affine", "elementwise_affine")  # the parameters that give a layer a learned shift
EPS = 0.1  # a centre coordinate nearer 0 than this is pushed out to it (as in Ruff et al.): a 0 is too easy to reach


class DeepSVDD(Recipe):
    name = "deep_svdd"
    rank = 5
    summary = ("Deep SVDD, one-class: the network maps the (normal) training samples near a centre; the distance"
               " from it is each sample's anomaly score; layers without bias; the labels are not used")
    losses = ()  # its own: the mean squared distance from the centre
    shows = frozenset({"inside"})
    scores = ("distance to the centre",)

    @classmethod
    def data(cls, graph, config, spec, progress=None, download=False, prepared=None):
        """The samples alone; under an anomaly protocol the validation loss is on the normal samples."""
        data = shaped_data(cls, graph, config, spec, progress, download, prepared)
        return replace(data, val=normal_part(data.val)) if under_protocol(data.prepared) else data

    @classmethod
    def check_task(cls, config, prepared=None, spec=None) -> None:
        pass  # any data: the labels are not used

    @classmethod
    def data_problems(cls, graph, config, prepared, spec, analysis=None):
        return input_problems(graph, prepared, spec) + bias_problems(graph)

    @classmethod
    def fit_to_data(cls, graph, config, prepared, edits, left) -> None:
        pass  # the output is a point in the network's own space: any width fits

    def build(self, network):
        found = bias_problems(self.graph, network)
        if found:
            raise TrainingError(f"{found[0].message}: {found[0].fix.label}"
                                + (f" (and {len(found) - 1} more layers)" if len(found) > 1 else ""))
        self.center: torch.Tensor | None = None
        return {"model": build_model(self.graph, network)}

    def attach(self, loop, train, val, test, augment) -> None:
        keep = [part[:1] if part is not None else None for part in (train, val, test)]  # the input alone
        super().attach(loop, *keep, augment)
        if self.center is None:
            self.center = self.first_pass(self.train_tensors[0])

    def first_pass(self, x: torch.Tensor) -> torch.Tensor:
        """The mean output of the training samples with the starting weights, each coordinate at least EPS
        from 0."""
        modes = [(m, m.training) for m in self.model.modules()]
        self.model.eval()
        try:
            with torch.no_grad():
                total = sum(self.model(x[i:i + 512]).flatten(1).double().sum(0) for i in range(0, len(x), 512))
        finally:
            for module, training in modes:
                module.training = training
        center = (total / len(x)).float()
        small = center.abs() < EPS
        return torch.where(small & (center < 0), -EPS, torch.where(small, EPS, center))

    def distance(self, out: torch.Tensor) -> torch.Tensor:
        """Each sample's squared distance from the centre [N]."""
        return (out.flatten(1) - self.center.to(out.device, out.dtype)).pow(2).sum(dim=1)

    def training_step(self, batch):
        x = batch[0]
        x = self.augment(x, self.loop.gen) if self.augment is not None else x
        return {"loss": self.distance(self.model(x)).mean()}

    def evaluate(self, data, limit: int = 0):
        x = data[0]
        return evaluate(self.model, x, x, lambda out, _: self.distance(out).mean(), None, None, limit=limit)

    def validation(self) -> dict:
        return {"val_loss": self.evaluate(self.val_tensors).loss} if self.val_tensors is not None else {}

    def test(self):
        return self.evaluate(self.test_tensors) if self.test_tensors is not None else None

    def score_batch(self, inputs):
        if self.center is None:
            raise TrainingError("the Deep SVDD network has no centre yet: train it first")
        return {"distance to the centre": self.distance(self.model(inputs[0]))}

    def state_dict(self) -> dict:
        return {"center": self.center} if self.center is not None else {}

    def load_state_dict(self, state: dict) -> None:
        if isinstance(state.get("center"), torch.Tensor):
            self.center = state["center"].float()


def bias_problems(graph, network: str | None = None) -> list[Problem]:
    """A problem, with the fix that turns it off, on each layer that adds a learned bias or shift."""
    found = []
    for node_id in network_nodes(graph, network):
        node = graph.node(node_id)
        for param in BIASES:
            if node.params.get(param) is True:
                found.append(Problem(node.id, f"Deep SVDD needs layers without a learned bias, but '{node.name}'"
                                     f" has {param.replace('_', ' ')} on (with a bias the network can map every"
                                     " sample onto the centre, and the distance tells nothing apart)",
                                     fix=Fix(f"turn {param.replace('_', ' ')} off", "set_param", node.id,
                                             param=param, value=False)))
    return found
