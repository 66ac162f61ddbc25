"""What optimising starts from: a finished run's network as it trained (the run's own copy of the document),
its weights, and its data as the recipe gives it (calibration and fine-tuning batches from the training
part, the comparison on the test part)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import fx

from ..data.dataset import DataSpec
from ..errors import UserError
from ..graph.model import Graph
from ..runs.run import Run
from ..train.config import TrainConfig
from ..train.errors import TrainingError
from ..train.inputs import TrainingData


class OptimizeError(UserError):
    """The run cannot be optimised that way; the message says why."""


@dataclass
class Trained:
    run: Run
    graph: Graph  # the document as the run trained it
    config: TrainConfig
    weights: Path  # its best.pt, else last.pt
    model: fx.GraphModule  # in evaluation mode, on the CPU
    data: TrainingData
    recipe: object  # the run's recipe, to score outputs as its training did

    @property
    def test(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The test part, or the validation part for data without one."""
        return self.data.test if len(self.data.test[0]) else self.data.val

    @property
    def input_name(self) -> str:
        return next(str(n.target) for n in self.model.graph.nodes if n.op == "placeholder")

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.test[0].shape[1:])

    def calibration(self, batches: int = 8, size: int = 32) -> list[torch.Tensor]:
        """Training batches (the data as the network trained on it, without augmentation), seeded."""
        x = self.data.train[0]
        order = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))[:batches * size]
        return [x[order[i:i + size]] for i in range(0, len(order), size)]


def refusal(graph) -> str | None:
    """Why a run of this network cannot be optimised (its recipe's network gives no labels to compare, or it
    has several Inputs); None when it can."""
    from ..train.recipes import recipe_class

    try:
        cls = recipe_class(TrainConfig.from_dict(graph.meta.get("training")).recipe)
    except TrainingError as e:
        return str(e)
    if cls.target_is_input or not cls.keeps_inputs or "test" not in cls.shows:
        return (f"trained with the {cls.name} recipe: optimising compares a network's answers to its inputs with"
                " the test labels, which that recipe's networks do not give")
    inputs = [n for n in graph.nodes() if n.type == "Input"]
    if len(inputs) != 1:
        return f"optimising takes a network of one Input; this one has {len(inputs)}"
    return None


def load_trained(document: str | None, run: str) -> Trained:
    """The run `run` of the document at `document` (its name, id or folder), ready to optimise. Refused, with
    the reason, for a run that has no weights, a recipe whose network does not answer its inputs (a GAN, an
    autoencoder), a network of several Inputs, or data that cannot be read."""
    from ..deploy.predict import trained_model, weights_of
    from ..train.recipes import recipe_class

    path = weights_of(document or "", run, None, "optimizing it again (optimize the run it was made from)")
    found = Run.load(path.parent)
    if found is None:
        raise OptimizeError(f"{path.parent} holds no readable run")
    graph = found.graph()
    config = TrainConfig.from_dict(graph.meta.get("training"))
    why = refusal(graph)
    if why is not None:
        raise OptimizeError(f"the run '{found.name}' {why}" if why.startswith("trained") else why)
    cls = recipe_class(config.recipe)
    model = trained_model(graph, path)
    try:
        data = cls.data(graph, config, DataSpec.from_dict(graph.meta.get("data")))
        recipe = cls(graph, config)
    except TrainingError as e:
        raise OptimizeError(f"the run's data cannot be read again: {e}") from None
    if not len(data.test[0]) and not len(data.val[0]):
        raise OptimizeError("the run's data has neither a test nor a validation part to compare on")
    return Trained(found, graph, config, path, model, data, recipe)
