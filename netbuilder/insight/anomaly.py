"""Anomaly detection with a trained run: each sample's anomaly score (an autoencoder's reconstruction error, a
VAE's negative ELBO, a Deep SVDD's distance from its centre: whatever the run's recipe gives, see
Recipe.scores), a threshold chosen on validation data, and how well the scores separate normal from anomalous
test samples (ROC AUC, precision and recall at the threshold). No Qt: the CLI and the window's Anomaly view
read the same `AnomalyEvaluation`.

The threshold: where the validation part has labelled anomalies (a dataset under an anomaly protocol,
data/anomaly.py), the score that gives the best F1 there; otherwise a percentile of the validation scores
(the 95th: about one normal sample in twenty is flagged)."""
from __future__ import annotations

import csv
import io
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..atomic import write_atomic
from ..data.anomaly import ProtocolData, under_protocol
from ..data.dataset import DataSpec, Prepared, prepare
from ..data.raw import DataError
from ..errors import UserError
from ..train.config import TrainConfig
from ..train.errors import TrainingError
from ..train.recipes import recipe_class, recipes

PERCENTILE = 95.0
WORST = 16  # the worst-scored test samples the view shows


class AnomalyError(UserError):
    """A run that cannot be scored (a recipe without anomaly scores, no checkpoint), said in words."""


@dataclass
class Threshold:
    value: float
    rule: str  # how it was chosen, in words


@dataclass
class AnomalyReport:
    """One score's results on the test part. A sample is flagged when its score is at least the threshold."""
    score: str
    threshold: Threshold
    test_scores: np.ndarray  # float64 [N]
    test_labels: np.ndarray | None  # int [N]: 1 anomaly, 0 normal; None: the data has no labels
    val_scores: np.ndarray
    val_labels: np.ndarray | None
    auc: float | None = None  # None without labels of both kinds
    fpr: np.ndarray = field(default_factory=lambda: np.zeros(0))
    tpr: np.ndarray = field(default_factory=lambda: np.zeros(0))
    precision: float | None = None
    recall: float | None = None
    f1: float | None = None

    @property
    def flagged(self) -> np.ndarray:
        return self.test_scores >= self.threshold.value

    def worst(self, n: int = WORST) -> list[int]:
        """The test samples with the highest scores, highest first."""
        return np.argsort(-self.test_scores, kind="stable")[:n].tolist()

    def lines(self) -> list[str]:
        """The figures in words, as `netbuilder evaluate --anomaly` prints them."""
        found = [f"{self.score}: threshold {self.threshold.value:.5g} ({self.threshold.rule})"]
        if self.auc is not None:
            found.append(f"  ROC AUC {self.auc:.4f} on {len(self.test_scores)} test samples"
                         f" ({int(self.test_labels.sum())} anomalies)")
        if self.precision is not None:
            found.append(f"  at the threshold: precision {self.precision:.3f}, recall {self.recall:.3f},"
                         f" F1 {self.f1:.3f}; {int(self.flagged.sum())} test samples flagged")
        else:
            found.append(f"  {int(self.flagged.sum())} of {len(self.test_scores)} test samples flagged (the data"
                         " has no anomaly labels to measure them by)")
        return found


def best_f1_threshold(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(threshold, F1): the score at or above which flagging gives the best F1 on labelled samples (the
    highest such score where several tie)."""
    order = np.argsort(-scores, kind="stable")
    ranked, hits = scores[order], labels[order].astype(np.int64)
    last = np.r_[np.flatnonzero(ranked[1:] != ranked[:-1]), len(ranked) - 1]  # each distinct score's last
    tp, flagged = np.cumsum(hits)[last], last + 1
    f1 = 2 * tp / (flagged + hits.sum())  # 2TP / (2TP + FP + FN)
    best = int(np.argmax(f1))
    return float(ranked[last[best]]), float(f1[best])


def choose_threshold(scores: np.ndarray, labels: np.ndarray | None, percentile: float = PERCENTILE) -> Threshold:
    """The best F1 on validation where it has labelled normal samples and anomalies, else a percentile of
    the scores of its normal samples (all of them when there are no labels)."""
    if len(scores) == 0:
        raise AnomalyError("the validation part has no samples to choose a threshold on: give it a share of the"
                           " data (val_fraction)")
    if labels is not None and 0 < labels.sum() < len(labels):
        value, f1 = best_f1_threshold(scores, labels)
        return Threshold(value, f"the best F1 on validation, {f1:.3f}, with {int((labels == 0).sum())} normal"
                                f" samples and {int(labels.sum())} anomalies")
    normal = scores if labels is None else scores[labels == 0]
    normal = normal if len(normal) else scores
    return Threshold(float(np.percentile(normal, percentile)),
                     f"the {percentile:g}th percentile of the scores of {len(normal)} validation samples:"
                     f" about {100 - percentile:g}% of normal data is flagged")


def report(score: str, val: tuple[np.ndarray, np.ndarray | None], test: tuple[np.ndarray, np.ndarray | None],
           percentile: float = PERCENTILE) -> AnomalyReport:
    """One score's threshold (from validation) and its results on the test part (ROC AUC, precision, recall)."""
    from sklearn.metrics import roc_auc_score, roc_curve

    found = AnomalyReport(score, choose_threshold(val[0], val[1], percentile), test[0], test[1], val[0], val[1])
    labels = test[1]
    if labels is None or not 0 < labels.sum() < len(labels):
        return found
    found.auc = float(roc_auc_score(labels, test[0]))
    found.fpr, found.tpr, _ = roc_curve(labels, test[0])
    flagged = found.flagged
    tp = int((flagged & (labels == 1)).sum())
    found.precision = tp / flagged.sum() if flagged.any() else 0.0
    found.recall = tp / labels.sum()
    found.f1 = 2 * tp / (flagged.sum() + labels.sum())
    return found


@dataclass
class AnomalyEvaluation:
    """A run's anomaly scores: a report per score (the recipe's main one first), the recipe with the run's
    weights, and the test inputs as its network takes them (for pictures)."""
    reports: dict[str, AnomalyReport]
    recipe: object
    prepared: Prepared
    test_inputs: tuple
    weights: Path | None  # the checkpoint scored (None: a trainer's networks as they are)

    @property
    def main(self) -> AnomalyReport:
        return next(iter(self.reports.values()))

    def test_classes(self) -> tuple[np.ndarray, list[str]] | None:
        """Each test sample's class before the protocol relabelled it, and the class names (None: no protocol)."""
        raw = self.prepared.raw
        if not isinstance(raw, ProtocolData):
            return None
        test = self.prepared.indices[2] if self.prepared.indices else None
        classes = raw.original_test if test is None else raw.original[test]
        return classes.numpy(), list(raw.original_names)

    def reconstructions(self, indices: list[int]) -> torch.Tensor | None:
        """What the network gives for those test samples, shaped like them, where it gives back its input
        (an autoencoder); None for a scorer that does not reconstruct (Deep SVDD)."""
        if not self.recipe.target_is_input or not indices:
            return None
        x = tuple(t[indices] for t in self.test_inputs)
        with torch.no_grad(), evaluating(self.recipe.model):
            made = self.recipe.model(*x)
        return made.reshape(x[0].shape) if made.numel() == x[0].numel() else None


@contextmanager
def evaluating(model: torch.nn.Module):
    """The model in eval mode for a while; each module's training flag restored afterwards."""
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield model
    finally:
        for module, training in modes:
            module.training = training


def scorers() -> list[str]:
    """The recipes that give anomaly scores."""
    return [name for name, cls in recipes().items() if cls.scores]


def scored_recipe(graph, weights: Path):
    """The run's recipe (its networks built from the run's graph) with the weights and state in `weights`."""
    config = TrainConfig.from_dict(graph.meta.get("training"))
    cls = recipe_class(config.recipe)
    if not cls.scores:
        raise AnomalyError(f"the {cls.name} recipe gives no anomaly score: anomaly evaluation is for runs of the"
                           f" {', '.join(scorers())} recipes")
    recipe = cls(graph, config)
    try:
        state = torch.load(weights, map_location="cpu", weights_only=True)
        recipe.model.load_state_dict(state["model"])
        recipe.load_state_dict(state.get("recipe_state") or {})
    except Exception as e:  # noqa: BLE001 - a damaged or foreign checkpoint: any error means the same
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise AnomalyError(f"the checkpoint {weights} could not be loaded into the run's network: {reason}") from None
    for net in recipe.networks.values():
        net.eval()
    return recipe


def score(recipe, inputs: tuple, batch_size: int = 512) -> dict[str, np.ndarray]:
    """Each sample's scores, by name (float64 [N] each), in eval mode and without gradients."""
    parts: dict[str, list] = {name: [] for name in recipe.scores}
    with torch.no_grad():
        for start in range(0, len(inputs[0]), batch_size):
            found = recipe.score_batch(tuple(t[start:start + batch_size] for t in inputs))
            for name in recipe.scores:
                parts[name].append(found[name].double().cpu())
    return {name: torch.cat(p).numpy() if p else np.zeros(0) for name, p in parts.items()}


def run_weights(run) -> Path:
    found, why = run.weights_or_why("anomaly scoring")
    if found is None:
        raise AnomalyError(why)
    return found


def evaluate_run(run, percentile: float = PERCENTILE, prepared: Prepared | None = None) -> AnomalyEvaluation:
    """Score the run's validation and test samples with its best weights, and judge each score."""
    graph = run.graph()
    weights = run_weights(run)
    return evaluate_recipe(scored_recipe(graph, weights), percentile, prepared, weights)


def evaluate_recipe(recipe, percentile: float = PERCENTILE, prepared: Prepared | None = None,
                    weights: Path | None = None) -> AnomalyEvaluation:
    """Score the validation and test samples of the recipe's document with its networks as they are (a
    trainer's recipe after training, or scored_recipe's), and judge each score."""
    from ..train.fitting import training_data

    graph = recipe.graph
    spec = DataSpec.from_dict(graph.meta.get("data"))
    try:
        prepared = prepared or prepare(spec)
        data = training_data(graph, recipe.config, spec, prepared=prepared)
    except (DataError, TrainingError) as e:
        raise AnomalyError(f"the run's data could not be read: {e}") from None
    shape = data.test[0].shape[1:]
    val_inputs = (prepared.val[0].reshape(-1, *shape),)  # every validation sample, anomalies included
    test_inputs = data.test[:-1]
    labelled = under_protocol(prepared)
    val_labels = prepared.val[1].numpy() if labelled else None
    test_labels = prepared.test[1].numpy() if labelled else None
    with evaluating(recipe.model):
        val_scores, test_scores = score(recipe, val_inputs), score(recipe, test_inputs)
    reports = {name: report(name, (val_scores[name], val_labels), (test_scores[name], test_labels), percentile)
               for name in recipe.scores}
    return AnomalyEvaluation(reports, recipe, prepared, test_inputs, weights)


def write_scores(path: Path, found: AnomalyReport) -> None:
    """The test samples' scores, one row each: index, score, flagged, label (where known)."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["index", found.score.replace(" ", "_"), "flagged", "anomaly"])
    for i, value in enumerate(found.test_scores):
        label = "" if found.test_labels is None else int(found.test_labels[i])
        writer.writerow([i, f"{value:.6g}", int(value >= found.threshold.value), label])
    write_atomic(Path(path), text.getvalue())


def write_flagged(path: Path, scores: np.ndarray, threshold: float, rows: np.ndarray, names: list[str],
                  score_name: str) -> int:
    """The rows whose score is at least the threshold, highest score first, with their row number (from 1),
    score and values; returns how many."""
    flagged = np.flatnonzero(scores >= threshold)
    flagged = flagged[np.argsort(-scores[flagged], kind="stable")]
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["row", score_name.replace(" ", "_"), *names])
    for i in flagged:
        writer.writerow([int(i) + 1, f"{scores[i]:.6g}", *(f"{v:.6g}" for v in np.asarray(rows[i]).reshape(-1))])
    write_atomic(Path(path), text.getvalue())
    return len(flagged)
