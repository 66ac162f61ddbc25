"""A trained network on held-out data: loss, accuracy, confusion matrix, per-class precision and recall,
and which samples it got wrong. Qt-free; the results are plain Python and numpy on the host."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

CLASSIFY = ("multiclass", "binary", None)


@dataclass
class Evaluation:
    loss: float
    accuracy: float | None
    confusion: np.ndarray | None  # int [classes, classes]: rows = true class, columns = predicted
    precision: list[float] = field(default_factory=list)  # per class; 0.0 for a class never predicted
    recall: list[float] = field(default_factory=list)  # per class; 0.0 for a class absent from the data
    misclassified: list[int] = field(default_factory=list)  # indices into the evaluated data, in order
    predictions: list[int] = field(default_factory=list)  # what the network said for each of those
    labels: list[int] = field(default_factory=list)  # and the true class
    samples: int = 0


def evaluate(model: torch.nn.Module, x: torch.Tensor | tuple, y: torch.Tensor, loss_fn, target_fn=None,
             classify: str | None = "multiclass", batch_size: int = 1024, limit: int = 64) -> Evaluation:
    """Run `model` over (x, y) in eval mode and without gradients, batch by batch. x is a tensor, or a
    tuple of tensors for a network with several Inputs.

    classify: "multiclass" (predicted class = argmax over dim 1, for cross-entropy or NLL),
    "binary" (predicted 1 where the logit > 0; output [N] or [N, 1]) or None (regression: loss only).
    target_fn(yb, out) turns labels into the loss's target (default: the labels as they are).
    The loss is the mean over samples, assuming loss_fn averages over its batch.
    Each module's training flag is restored afterwards, whatever it was."""
    if classify not in CLASSIFY:
        raise ValueError(f"classify must be one of {CLASSIFY}, not {classify!r}")
    xs = x if isinstance(x, tuple) else (x,)
    n = len(xs[0])
    if n == 0:
        raise ValueError("cannot evaluate on an empty data set: x has no samples")
    if n != len(y):
        raise ValueError(f"x has {n} samples but y has {len(y)} labels")
    target_fn = target_fn or (lambda yb, out: yb)
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    total, preds, outputs_width = 0.0, [], 1
    try:
        with torch.no_grad():
            for start in range(0, n, batch_size):
                out = model(*(t[start:start + batch_size] for t in xs))
                yb = y[start:start + batch_size].to(out.device)
                total += float(loss_fn(out, target_fn(yb, out))) * len(yb)
                if classify == "multiclass":
                    outputs_width = out.shape[1]
                    preds.append(out.argmax(dim=1).cpu())
                elif classify == "binary":
                    preds.append((out.reshape(-1) > 0).long().cpu())
    finally:
        for module, training in modes:
            module.training = training
    loss = total / n
    if classify is None:
        return Evaluation(loss, None, None, samples=n)
    predicted = torch.cat(preds).numpy().astype(np.int64)
    truth = y.detach().reshape(-1).cpu()
    truth = (truth > 0.5 if classify == "binary" else truth).numpy().astype(np.int64)
    if len(truth) != len(predicted):
        raise ValueError(f"{len(predicted)} predictions but {len(truth)} labels: one label per sample is needed")
    if truth.min() < 0:
        raise ValueError(f"labels must be class indices from 0, found {int(truth.min())}")
    classes = 2 if classify == "binary" else max(outputs_width, int(truth.max()) + 1)
    confusion = np.bincount(truth * classes + predicted, minlength=classes * classes).reshape(classes, classes)
    hits = np.diag(confusion)
    said, support = confusion.sum(axis=0), confusion.sum(axis=1)
    precision = np.divide(hits, said, out=np.zeros(classes), where=said > 0)
    recall = np.divide(hits, support, out=np.zeros(classes), where=support > 0)
    wrong = np.flatnonzero(truth != predicted)[:limit]
    return Evaluation(loss, float(hits.sum() / len(truth)), confusion, precision.tolist(), recall.tolist(),
                      wrong.tolist(), predicted[wrong].tolist(), truth[wrong].tolist(), n)


def per_class_table(e: Evaluation) -> list[dict]:
    """One row per class, {class, precision, recall, support}, ready for csv.DictWriter; [] for regression."""
    if e.confusion is None:
        return []
    support = e.confusion.sum(axis=1)
    return [{"class": i, "precision": p, "recall": r, "support": int(s)}
            for i, (p, r, s) in enumerate(zip(e.precision, e.recall, support))]
