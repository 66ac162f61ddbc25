"""A run's curves in memory, at a fixed size however long the run: per-step and per-epoch values are kept
in at most CAPACITY buckets (mean, lowest and highest of the steps in each); when the buckets are full,
neighbours merge in pairs. The full history stays on disk (runs.py)."""
from __future__ import annotations

import math

import numpy as np

CAPACITY = 1024  # buckets per curve (two points a pixel on a wide plot): drawing costs the same at any length
SMOOTHING = 0.9  # of the smoothed loss (an exponential moving average)


class Series:
    """One per-step curve in at most `capacity` buckets of `stride` steps each."""

    def __init__(self, capacity: int = CAPACITY):
        self.capacity = capacity  # even, so that full buckets merge in whole pairs
        self.stride = 1
        self.n = 0  # full buckets
        self.x = np.empty(capacity)
        self.mean = np.empty(capacity)
        self.low = np.empty(capacity)
        self.high = np.empty(capacity)
        self._open = None  # [first step, count, sum, low, high] of the bucket being filled

    def add(self, step: float, value: float) -> None:
        b = self._open
        if b is None:
            self._open = [step, 1, value, value, value]
        else:
            b[1] += 1
            b[2] += value
            b[3] = min(b[3], value)
            b[4] = max(b[4], value)
        if self._open[1] == self.stride:
            self._close()

    def _close(self) -> None:
        step, count, total, low, high = self._open
        self._open = None
        i = self.n
        self.x[i], self.mean[i], self.low[i], self.high[i] = step, total / count, low, high
        self.n += 1
        if self.n == self.capacity:  # full: pairs merge, and the next bucket is twice as long
            self._halve()

    def _halve(self) -> None:
        half = self.n // 2
        for name, merge in (("mean", np.add), ("low", np.minimum), ("high", np.maximum)):
            a = getattr(self, name)
            a[:half] = merge(a[0:2 * half:2], a[1:2 * half:2])
        self.mean[:half] /= 2
        self.x[:half] = self.x[0:2 * half:2]
        self.n = half
        self.stride *= 2

    def __len__(self) -> int:
        return self.n + (self._open is not None)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(step, mean, low, high) of every bucket, the one being filled included."""
        x, mean, low, high = (a[:self.n] for a in (self.x, self.mean, self.low, self.high))
        if self._open is not None:
            step, count, total, lo, hi = self._open
            x, mean, low, high = (np.append(a, v) for a, v in ((x, step), (mean, total / count), (low, lo), (high, hi)))
        return x, mean, low, high

    @property
    def last(self) -> float | None:
        if self._open is not None:
            return self._open[2] / self._open[1]
        return float(self.mean[self.n - 1]) if self.n else None

    @classmethod
    def from_arrays(cls, steps: np.ndarray, values: np.ndarray, capacity: int = CAPACITY) -> "Series":
        """A series of many steps at once (a run read from disk), as if added one by one."""
        series = cls(capacity)
        stride = 1
        while len(values) / stride >= capacity:
            stride *= 2
        series.stride = stride
        full = len(values) // stride
        if full:
            block = values[:full * stride].reshape(full, stride)
            series.x[:full] = steps[:full * stride:stride]
            series.mean[:full], series.low[:full], series.high[:full] = block.mean(1), block.min(1), block.max(1)
            series.n = full
        for step, value in zip(steps[full * stride:], values[full * stride:]):
            series.add(float(step), float(value))
        return series


class History:
    """The curves of a run: a Series per step metric, the smoothed loss, the learning rate, and a row
    per epoch. Filled from the steps and epochs the loop hands out, or read back from a run's folder."""

    def __init__(self):
        self.series: dict[str, Series] = {}  # per step
        self.epochs = 0  # epochs seen
        self.by_epoch: dict[str, Series] = {}  # per-epoch metrics over the epoch number
        self.by_step: dict[str, Series] = {}  # the same over the step at each epoch's end
        self.latest: dict[str, float] = {}  # each per-epoch metric's last value
        self.steps = 0  # steps seen
        self._ema: float | None = None

    def _curve(self, name: str) -> Series:
        curve = self.series.get(name)
        if curve is None:
            curve = self.series[name] = Series()
        return curve

    def add_step(self, global_step: int, lr: float, metrics: dict[str, float]) -> None:
        for name, value in metrics.items():
            self._curve(name).add(global_step, value)
        loss = metrics.get("loss")
        if loss is not None and math.isfinite(loss):
            self._ema = loss if self._ema is None else SMOOTHING * self._ema + (1 - SMOOTHING) * loss
            self._curve("smoothed").add(global_step, self._ema)
        self._curve("lr").add(global_step, lr)
        self.steps = global_step + 1

    def add_epoch(self, epoch: int, lr: float, metrics: dict, step: int | None = None) -> None:
        """An epoch's metrics (numbers only), each appended to its per-epoch curves."""
        for name, value in {"lr": lr, **metrics}.items():
            if isinstance(value, (int, float)) and value is not None and math.isfinite(value):
                self.by_epoch.setdefault(name, Series()).add(epoch + 1, float(value))
                self.by_step.setdefault(name, Series()).add(self.steps if step is None else step, float(value))
                self.latest[name] = float(value)
        self.epochs = max(self.epochs, epoch + 1)

    def column(self, name: str, by: str = "step") -> tuple[np.ndarray, np.ndarray]:
        """(steps at the epochs' ends, or epoch numbers with by="epoch"; values) of a per-epoch metric: each
        epoch while they are few, then means of neighbouring epochs (the curve stays a fixed size)."""
        series = (self.by_step if by == "step" else self.by_epoch).get(name)
        if series is None:
            return np.zeros(0), np.zeros(0)
        x, mean, _, _ = series.arrays()
        return x, mean

    def last(self, name: str) -> float | None:
        return self.latest.get(name)

    @classmethod
    def from_columns(cls, columns: list[str], rows: np.ndarray, epochs: list[dict]) -> "History":
        history = cls()
        for row in epochs:
            history.add_epoch(int(row.get("epoch") or 0) - 1, row.get("lr") or 0.0,
                              {k: v for k, v in row.items() if k not in ("epoch", "step", "lr", "seconds")},
                              step=int(row.get("step") or 0))
        if rows.size:
            steps = rows[:, columns.index("step")]
            for i, name in enumerate(columns):
                if name != "step":
                    history.series[name] = Series.from_arrays(steps, rows[:, i].astype(float))
            if "loss" in columns:
                loss = rows[:, columns.index("loss")].astype(float)
                smoothed = np.empty_like(loss)
                ema = None
                for i, v in enumerate(loss.tolist()):
                    if math.isfinite(v):
                        ema = v if ema is None else SMOOTHING * ema + (1 - SMOOTHING) * v
                    smoothed[i] = ema if ema is not None else np.nan
                history._ema = ema
                history.series["smoothed"] = Series.from_arrays(steps, smoothed)
            history.steps = int(steps[-1]) + 1
        return history
