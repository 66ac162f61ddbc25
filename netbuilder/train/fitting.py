"""The document's data for its recipe: the data a run trains on, the problems shown before training (on their
nodes, with fixes) and the one edit that makes the network fit a dataset. Each asks the document's recipe."""
from __future__ import annotations

from ..analysis import Analysis
from ..data.dataset import DataSpec, Prepared
from ..graph.edits import Group, SetMeta
from ..graph.model import Graph
from ..graph.problems import Problem
from .config import TrainConfig
from .inputs import TrainingData, fit_input
from .recipes import recipe_class, recipes


def training_data(graph: Graph, config: TrainConfig, spec: DataSpec | None = None, progress=None,
                  download: bool = False, prepared: Prepared | None = None) -> TrainingData:
    """The data the document's recipe trains on. Raises TrainingError saying what does not fit."""
    spec = spec or DataSpec.from_dict(graph.meta.get("data"))
    return recipe_class(config.recipe).data(graph, config, spec, progress, download, prepared)


def data_problems(graph: Graph, config: TrainConfig, prepared: Prepared, spec: DataSpec,
                  analysis: Analysis | None = None) -> list[Problem]:
    """What does not fit the dataset, as the recipe sees it (none for an unknown recipe: the settings say so)."""
    recipe = recipes().get(config.recipe) if isinstance(config.recipe, str) else None
    return recipe.data_problems(graph, config, prepared, spec, analysis) if recipe is not None else []


def use_dataset(graph: Graph, spec: DataSpec, prepared: Prepared) -> tuple[Group, list[str]]:
    """One undoable edit that makes the network fit the dataset: the document's dataset, the Input's shape,
    and what the recipe fits at the network's end (the last Linear's outputs and a loss that suits the task,
    or for an autoencoder the sample's size and shape). Returns the edit and what it could not do, in words."""
    edits: list = [SetMeta(graph, "data", spec.to_dict())]
    left: list[str] = []
    fit_input(graph, prepared, edits, left)
    config = TrainConfig.from_dict(graph.meta.get("training"))
    recipe = recipes().get(config.recipe) if isinstance(config.recipe, str) else None
    (recipe or recipe_class(TrainConfig().recipe)).fit_to_data(graph, config, prepared, edits, left)
    return Group(edits, f"Use dataset {spec.label}"), left
