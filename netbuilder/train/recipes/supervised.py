"""Supervised: classification or regression from (inputs..., target)."""
from __future__ import annotations

import torch

from ...compile import build_model
from ..config import CLASSIFICATION
from ..evaluate import evaluate
from ..inputs import check_supervised_task, output_problems, shaped_data
from ..optim import make_loss
from .base import Recipe

CLASSIFY = {"cross_entropy": "multiclass", "nll": "multiclass", "bce_with_logits": "binary"}


class Supervised(Recipe):
    name = "supervised"
    rank = 0
    summary = "classification or regression: the network learns the dataset's targets from its samples"
    settings = ("l1",)
    shows = frozenset({"test", "boundary", "inside"})
    script = True

    @classmethod
    def data(cls, graph, config, spec, progress=None, download=False, prepared=None):
        return shaped_data(cls, graph, config, spec, progress, download, prepared)

    @classmethod
    def check_task(cls, config, prepared, spec) -> None:
        check_supervised_task(config, prepared, spec)

    @classmethod
    def data_problems(cls, graph, config, prepared, spec, analysis=None):
        return super().data_problems(graph, config, prepared, spec, analysis) + output_problems(
            graph, config, prepared, spec, analysis)

    def build(self, network):
        self.loss_fn = make_loss(self.config.loss)
        self._outputs: list[torch.Tensor] = []
        return {"model": build_model(self.graph, network)}

    @property
    def classifies(self) -> bool:
        return self.config.loss in CLASSIFICATION

    def target(self, y: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        """The loss's target from the labels: class indices, or values shaped like the output."""
        if self.config.loss in ("bce_with_logits", "mse", "l1"):
            return y.to(out.dtype).reshape(out.shape) if y.numel() == out.numel() else y.to(out.dtype)
        return y.long()

    def penalty(self, loss: torch.Tensor) -> torch.Tensor:
        if self.config.l1:  # an L1 penalty on the weights
            loss = loss + self.config.l1 * sum(p.abs().sum() for p in self.model.parameters()
                                               if p.requires_grad and p.dim() > 1)
        return loss

    def train(self) -> None:
        super().train()
        self._outputs = []

    def training_step(self, batch):
        *xs, y = batch
        if self.augment is not None:
            xs[0] = self.augment(xs[0], self.loop.gen)
        out = self.model(*xs)
        if self.classifies:  # compared with the labels once an epoch, not every step
            self._outputs.append(out.detach())
        return {"loss": self.penalty(self.loss_fn(out, self.target(y, out)))}

    def training_epoch_end(self) -> dict:
        if not self._outputs:
            return {}
        out, self._outputs = torch.cat(self._outputs), []
        predicted = out.argmax(dim=1) if self.config.loss != "bce_with_logits" else (out > 0).flatten()
        labels = self.train_tensors[-1][self.loop.order[:len(predicted)]]
        right = (predicted.to(labels.dtype) == labels.reshape(predicted.shape)).sum()
        return {"accuracy": int(right) / len(predicted)}

    def evaluate(self, data, limit: int = 0):
        *xs, y = data
        return evaluate(self.model, tuple(xs), y, self.loss_fn, self.target, CLASSIFY.get(self.config.loss),
                        limit=limit)

    def validation(self) -> dict:
        if self.val_tensors is None:
            return {}
        e = self.evaluate(self.val_tensors)
        return {"val_loss": e.loss, **({"val_accuracy": e.accuracy} if e.accuracy is not None else {})}

    def test(self):
        return self.evaluate(self.test_tensors, limit=64) if self.test_tensors is not None else None
