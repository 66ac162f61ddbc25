"""One way in for the window and the terminal: the document's recipe picks the trainer and the data."""
from __future__ import annotations

from ..data.dataset import DataSpec
from ..graph.model import Graph
from .config import TrainConfig
from .inputs import TrainingData, training_data
from .trainer import Trainer


def make_trainer(graph: Graph, config: TrainConfig, callbacks=(), checkpoint_dir=None, spec: DataSpec | None = None,
                 progress=None, download: bool = False) -> tuple[Trainer, TrainingData]:
    """(trainer, data) for the document; raises TrainingError (or GraphError) saying what is wrong."""
    if config.recipe == "adversarial":
        from .adversarial import GanTrainer, adversarial_data

        data = adversarial_data(graph, spec, progress, download)
        return GanTrainer(graph, config, data.train, data.val, callbacks=list(callbacks),
                          checkpoint_dir=checkpoint_dir), data
    if config.recipe == "compare":
        from .compare import CompareTrainer, compare_data

        data = compare_data(graph, spec, progress, download)
        return CompareTrainer(graph, config, data.train, data.val, callbacks=list(callbacks)), data
    data = training_data(graph, config, spec, progress, download)
    return Trainer(graph, config, data.train, data.val, callbacks=list(callbacks), checkpoint_dir=checkpoint_dir,
                   test=data.test, augment=data.augment), data
