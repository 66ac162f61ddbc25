"""Training (no Qt): configuration, the one loop, recipes, callbacks, runs."""
from .callbacks import Callback
from .config import TrainConfig
from .loop import Epoch, Result, Step, Trainer, make_trainer
from .errors import TrainingError

__all__ = ["Callback", "TrainConfig", "Trainer", "TrainingError", "Epoch", "Result", "Step", "make_trainer"]
