"""Drift: a rolling window of the service's recent inputs and answers, compared with the training data.

Per input feature (for images: per channel, the mean and the spread of each picture's values), a two-sample test
and a distance, as Evidently does by default: Kolmogorov-Smirnov while the reference has fewer than 1,000 rows
(a feature drifts at p < 0.05), the Wasserstein distance divided by the reference's spread above (it drifts at
>= 0.1); the population stability index (PSI, 10 bins on the reference's deciles) is reported beside them. The
data drifts when at least half its features do. A small window cannot tell a normed distance of 0.1 from chance
(100 random training rows are that far from all of them), so a feature's Wasserstein threshold is raised to the
distance that random draws of the window's size from the training data reach 95 times in 100. The predicted
classes are compared with the training labels' frequencies (chi-square, p < 0.05). Computed with scipy; the
thresholds are settings."""
from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

import numpy as np

KS_ROWS = 1000  # below this many reference rows, Kolmogorov-Smirnov; from it, Wasserstein
REFERENCE_ROWS = 5000  # the training rows kept to compare with
MAX_FEATURES = 64  # a table's first 64 columns (a wide input is summarised, not tested column by column)


@dataclass
class Thresholds:
    p_value: float = 0.05  # a feature drifts when its test's p-value is below this (Kolmogorov-Smirnov)
    distance: float = 0.1  # or its normed Wasserstein distance reaches this
    share: float = 0.5  # the data drifts when this share of its features drift
    window: int = 500  # recent inputs kept
    minimum: int = 30  # recent inputs needed before anything is said


def features(x: np.ndarray, image: bool) -> tuple[np.ndarray, list[str]]:
    """One row per sample [N, F] and the features' names: for an image [N, C, H, W], per channel the mean and
    the standard deviation of its values; for anything else its values, flattened (the first MAX_FEATURES)."""
    x = np.asarray(x, dtype=np.float64)
    if image and x.ndim == 4:
        flat = x.reshape(len(x), x.shape[1], -1)
        rows = np.concatenate([flat.mean(2), flat.std(2)], axis=1)
        channels = range(x.shape[1])
        return rows, [f"channel {c} mean" for c in channels] + [f"channel {c} spread" for c in channels]
    rows = x.reshape(len(x), -1)[:, :MAX_FEATURES]
    return rows, [f"feature {i}" for i in range(rows.shape[1])]


class DriftMonitor:
    """The reference (training inputs and labels) and the window of recent inputs and predicted classes. Safe
    to feed from several threads."""

    def __init__(self, reference: np.ndarray, image: bool, labels: np.ndarray | None = None,
                 classes: list[str] | None = None, thresholds: Thresholds | None = None):
        self.image, self.classes = image, classes
        self.thresholds = thresholds or Thresholds()
        generator = np.random.default_rng(0)
        if len(reference) > REFERENCE_ROWS:
            reference = reference[generator.choice(len(reference), REFERENCE_ROWS, replace=False)]
        self.reference, self.names = features(reference, image)
        self.labels = None if labels is None else np.asarray(labels).reshape(-1).astype(np.int64)
        self.recent: deque = deque(maxlen=self.thresholds.window)
        self.predicted: deque = deque(maxlen=self.thresholds.window)
        self.lock = threading.Lock()
        self._floors: dict[int, np.ndarray] = {}

    def record(self, x: np.ndarray, predicted: list[int] | None = None) -> None:
        rows, _ = features(x, self.image)
        with self.lock:
            self.recent.extend(rows)
            if predicted:
                self.predicted.extend(int(p) for p in predicted)

    def report(self) -> dict:
        from scipy import stats

        with self.lock:
            recent = np.array(self.recent)
            predicted = np.array(self.predicted, dtype=np.int64)
        t = self.thresholds
        method = "Kolmogorov-Smirnov" if len(self.reference) < KS_ROWS else "Wasserstein (normed)"
        found = {"window": len(recent), "reference_rows": len(self.reference), "method": method,
                 "thresholds": {"p_value": t.p_value, "distance": t.distance, "share": t.share, "window": t.window}}
        if len(recent) < t.minimum:
            return {**found, "drift": None, "features": [], "classes": None,
                    "message": f"{len(recent)} recent input(s): {t.minimum} are needed to compare with the training"
                               " data"}
        rows = []
        for i, name in enumerate(self.names):
            ref, now = self.reference[:, i], recent[:, i]
            row = {"feature": name, "psi": _psi(ref, now)}
            if method == "Kolmogorov-Smirnov":
                result = stats.ks_2samp(ref, now)
                row.update(statistic=float(result.statistic), p_value=float(result.pvalue))
                row["drift"] = bool(result.pvalue < t.p_value)
            else:
                spread = float(np.std(ref))
                distance = float(stats.wasserstein_distance(ref, now))
                normed = distance / spread if spread > 1e-12 else (0.0 if distance < 1e-12 else float("inf"))
                threshold = max(t.distance, float(self._floor(len(recent))[i]))
                row.update(distance=normed, threshold=threshold)
                row["drift"] = bool(normed >= threshold)
            rows.append(row)
        share = sum(r["drift"] for r in rows) / len(rows)
        drift = share >= t.share
        found.update(drift=drift, share_drifted=share, features=rows, classes=self._classes(predicted))
        found["message"] = (f"{share:.0%} of the input features drifted from the training data: retrain with recent"
                            " data" if drift else f"no drift: {share:.0%} of the features drifted (the data drifts"
                            f" from {t.share:.0%})")
        return found

    def _floor(self, size: int, draws: int = 40) -> np.ndarray:
        """Per feature, the normed Wasserstein distance that random draws of `size` training rows reach 95 times
        in 100 (seeded: the same window size gives the same floor)."""
        from scipy import stats

        if size not in self._floors:
            generator = np.random.default_rng(size)
            spread = np.where(self.reference.std(0) > 1e-12, self.reference.std(0), 1.0)
            found = np.array([[stats.wasserstein_distance(self.reference[:, i], draw[:, i]) / spread[i]
                               for i in range(self.reference.shape[1])]
                              for draw in (self.reference[generator.choice(len(self.reference), size)]
                                           for _ in range(draws))])
            self._floors = {size: np.quantile(found, 0.95, axis=0)}  # one window size at a time
        return self._floors[size]

    def _classes(self, predicted: np.ndarray) -> dict | None:
        """The predicted classes' frequencies against the training labels' (chi-square)."""
        from scipy import stats

        if self.labels is None or not len(predicted):
            return None
        count = int(max(self.labels.max(), predicted.max())) + 1
        expected = np.bincount(self.labels, minlength=count) / len(self.labels)
        observed = np.bincount(predicted, minlength=count)
        smoothed = (expected + 1e-6) / (expected + 1e-6).sum() * observed.sum()  # no class expected zero times
        result = stats.chisquare(observed, smoothed)
        names = self.classes or [str(i) for i in range(count)]
        return {"training": {names[i] if i < len(names) else str(i): float(expected[i]) for i in range(count)},
                "recent": {names[i] if i < len(names) else str(i): float(observed[i] / observed.sum())
                           for i in range(count)},
                "p_value": float(result.pvalue), "drift": bool(result.pvalue < self.thresholds.p_value)}


def _psi(reference: np.ndarray, current: np.ndarray, bins: int = 10) -> float:
    """The population stability index over the reference's deciles (a small floor for empty bins)."""
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)))
    if len(edges) < 2:
        same = float(np.mean(np.isclose(current, edges[0]))) if len(edges) else 1.0
        return float((1 - same) * np.log((1 - same + 1e-4) / 1e-4))
    edges[0], edges[-1] = -np.inf, np.inf
    ref = np.histogram(reference, edges)[0] / len(reference) + 1e-4
    now = np.histogram(current, edges)[0] / len(current) + 1e-4
    return float(np.sum((now - ref) * np.log(now / ref)))
