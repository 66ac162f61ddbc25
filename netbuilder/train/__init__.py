"""Training (no Qt): configuration, trainer, callbacks, gradient statistics."""
from .callbacks import Callback
from .config import TrainConfig
from .trainer import Epoch, Result, Step, Trainer, TrainingError

__all__ = ["Callback", "TrainConfig", "Trainer", "TrainingError", "Epoch", "Result", "Step"]
