"""Loss, accuracy and learning-rate curves of a document's runs: the ticked runs overlaid, each in its own
colour and named in the legend, the current one drawn strongest. They subscribe to the document's runs
and redraw at most REDRAW_MS apart, only while shown, and only the curves that changed; a curve holds at most a few thousand points
whatever the run's length (runs/history.py), so a redraw costs the same at step 100 and 100,000."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer

from ...train.recipes import recipes
from .. import theme
from .runs_model import PALETTE, DocumentRuns, RunState

REDRAW_MS = 200  # curves redraw at most five times a second
SYMBOLS = 100  # per-epoch points are drawn with a symbol each up to this many epochs, then as lines


def style(plot: pg.PlotWidget) -> None:
    """Follow the light or dark palette."""
    plot.setBackground(theme.canvas_background())
    for axis in ("left", "bottom"):
        plot.getAxis(axis).setTextPen(theme.text_color())
        plot.getAxis(axis).setPen(theme.wire_color())
    plot.setTitle(plot.plotItem.titleLabel.text, color=theme.text_color())
    if plot.plotItem.legend is not None:
        plot.plotItem.legend.setLabelTextColor(theme.text_color())


def scrolled(view, content) -> None:
    """Give `view` its content in a frameless scroll area: a low Training dock scrolls a tab's pictures
    rather than squeezing them, and the dock stays as small as the user makes it."""
    from PySide6.QtWidgets import QScrollArea, QVBoxLayout

    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    scroll.setWidget(content)
    outer = QVBoxLayout(view)
    outer.setContentsMargins(0, 0, 0, 0)
    outer.addWidget(scroll)


def envelope(x: np.ndarray, low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each bucket's lowest and highest value in turn, so a line through them shows the spread."""
    if np.array_equal(low, high):
        return x, low
    return np.repeat(x, 2), np.column_stack([low, high]).ravel()


class RunPlot(pg.PlotWidget):
    """A plot of a document's runs; subclasses say what to draw in draw()."""

    stagger_ms = 0  # the plots redraw this far apart: each in an event-loop turn of its own, with input between

    def __init__(self, title: str, legend_offset=(-10, 10)):
        super().__init__(title=title)
        background = theme.canvas_background()
        self.addLegend(offset=legend_offset, labelTextSize="8pt", verSpacing=-6,
                       brush=pg.mkBrush(background.red(), background.green(), background.blue(), 200))
        style(self)
        self.getAxis("left").setWidth(48)  # tick labels of another length must not lay the plot out again
        # The ranges are set from the data drawn (redraw), not by pyqtgraph's auto-range, which recomputes
        # the bounds of every curve after every change; the curves are summaries already (no downsampling).
        self.plotItem.vb.disableAutoRange()
        self.fixed_y: tuple[float, float] | None = None  # a y range that never changes (accuracy)
        self.runs: DocumentRuns | None = None
        self.curves: dict[tuple, pg.PlotDataItem] = {}
        self._used: set[tuple] = set()
        self._timer = QTimer(self, singleShot=True, interval=REDRAW_MS + self.stagger_ms)
        self._timer.timeout.connect(self.redraw)
        self._stale = True
        self._drawn = None  # the signature of what is drawn
        self._extent = None
        self._y = None  # the y range set
        self._bounds: list[float] = []  # the lowest and highest value drawn in this redraw

    def set_runs(self, runs: DocumentRuns | None) -> None:
        if self.runs is not None:
            for signal in (self.runs.listChanged, self.runs.shownChanged, self.runs.currentChanged,
                           self.runs.runUpdated):
                signal.disconnect(self._changed)
        self.runs = runs
        if runs is not None:
            for signal in (runs.listChanged, runs.shownChanged, runs.currentChanged, runs.runUpdated):
                signal.connect(self._changed)
        for item in self.curves.values():  # another document: nothing of the last one's runs stays
            self.removeItem(item)
        self.curves.clear()
        self._drawn = self._extent = self._y = None
        self.redraw()

    def _changed(self, *_) -> None:
        self._stale = True
        if not self._timer.isActive():
            self._timer.start()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self.redraw()

    def redraw(self) -> None:
        if not self.isVisible() and self.curves:
            self._stale = True  # drawn when shown: a hidden plot costs the window nothing
            return
        self._stale = False
        signature = self.signature(self.runs) if self.runs is not None else None
        if signature is not None and signature == self._drawn:
            return  # nothing it shows has changed: no repaint
        self._drawn = signature
        self._used, self._bounds = set(), []
        if self.runs is not None:
            self.draw(self.runs)
            extent = self.extent(self.runs)
            if extent and extent != self._extent:  # the axis is set once a run, not moved by every update
                self._extent = extent
                self.setXRange(*extent, padding=0.02)
            self._fit_y()
        for key in [k for k in self.curves if k not in self._used]:
            self.removeItem(self.curves.pop(key))

    def _fit_y(self) -> None:
        """Fit y to the values drawn; moved only when they leave the range or fill under half of it."""
        if self.fixed_y is not None:
            if self._y != self.fixed_y:
                self._y = self.fixed_y
                self.setYRange(*self.fixed_y, padding=0)
            return
        values = [v for v in self._bounds if np.isfinite(v)]
        log = self.plotItem.ctrl.logYCheck.isChecked()
        if log:
            values = [float(np.log10(v)) for v in values if v > 0]
        if not values:
            return
        low, high = min(values), max(values)
        if self.y_from_zero and not log:
            low = min(0.0, low)
        if self._y is not None and (log, ) == self._y[2:]:
            old_low, old_high = self._y[:2]
            inside = old_low <= low and high <= old_high
            if inside and (high - low) >= 0.5 * (old_high - old_low):
                return
        span = (high - low) or abs(high) or 1.0
        low, high = (low if self.y_from_zero and not log else low - 0.05 * span), high + 0.05 * span
        self._y = (low, high, log)
        self.setYRange(low, high, padding=0)

    y_from_zero = False

    def set_log_y(self, on: bool) -> None:
        self.plotItem.setLogMode(y=on)
        self._drawn = self._y = None
        self.redraw()

    def signature(self, runs: DocumentRuns):
        """What the plot shows depends on, compared between redraws (None: always redraw)."""
        return None

    def extent(self, runs: DocumentRuns) -> tuple[float, float] | None:
        """The x range of the runs shown, to the planned end of a running one."""
        return None

    def curve(self, key: tuple, x, y, name: str | None = None, **options) -> pg.PlotDataItem:
        """The curve `key`, made once and then given new data (made anew when its legend name changes)."""
        key = (*key, name)
        self._used.add(key)
        item = self.curves.get(key)
        if item is None:
            item = self.plot(name=name, **options)
            self.curves[key] = item
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        if len(y):
            self._bounds += [float(np.nanmin(y)), float(np.nanmax(y))]
        old = item.getData()
        if old[0] is None or len(old[0]) != len(x) or not (np.array_equal(old[0], x) and np.array_equal(old[1], y)):
            item.setData(x, y)  # only what changed: setting the same points again repaints for nothing
        return item

    def draw(self, runs: DocumentRuns) -> None:
        raise NotImplementedError

    def shown(self, runs: DocumentRuns) -> list[tuple[RunState, bool]]:
        """(state, is the current run) for each ticked run, the current one last (drawn on top)."""
        states = [s for s in runs.shown_states() if s is not runs.current]
        if runs.current is not None and runs.current.id in runs.shown:
            states.append(runs.current)
        return [(s, s is runs.current) for s in states]


def network_colors(history) -> dict[str, tuple[int, int, int]]:
    """The colour of each network of a run that trains several (a comparison's, a GAN's players): by its
    name's place among them, so a network has the same colour on the loss and the accuracy chart."""
    names = sorted({k.split("/", 1)[1] for k in (*history.series, *history.by_epoch)
                    if k.startswith(("loss/", "val_accuracy/"))})
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}


def planned_steps(state: RunState) -> int:
    """A running run's steps to its last epoch; a finished one's steps."""
    return max(state.progress[1], state.history.steps) if state.running else state.history.steps


def planned_epochs(state: RunState) -> int:
    epochs = state.history.epochs
    return max(epochs, int(state.run.settings.get("epochs", 0) or 0)) if state.running else epochs


class LossView(RunPlot):
    def __init__(self):
        super().__init__("loss")
        self.setLabel("bottom", "step")

    def signature(self, runs):
        return (runs.current and runs.current.id, frozenset(runs.shown),
                tuple((s.id, s.run.name, s.history.steps, s.history.epochs) for s in runs.shown_states()))

    def extent(self, runs):
        steps = [planned_steps(s) for s in runs.shown_states()]
        return (0, max(steps)) if steps and max(steps) > 0 else None

    def draw(self, runs: DocumentRuns) -> None:
        several = len(runs.shown) > 1
        for state, current in self.shown(runs):
            history, color, name = state.history, runs.color(state), state.run.name
            parts = {k.split("/", 1)[1]: s for k, s in history.series.items() if k.startswith("loss/")}
            if parts and current:  # a GAN's or a comparison's networks, each its own curve
                tones = network_colors(history)
                for part, series in parts.items():
                    x, mean, _, _ = series.arrays()
                    tone = tones[part]
                    self.curve((state.id, part), x, mean, f"{name}: {part}" if several else part,
                               pen=pg.mkPen(tone, width=2))
                continue
            if current and "loss" in history.series:
                x, _, low, high = history.series["loss"].arrays()
                self.curve((state.id, "raw"), *envelope(x, low, high), "train (per step)",
                           pen=pg.mkPen((150, 150, 150)))
            if "smoothed" in history.series:
                x, mean, _, _ = history.series["smoothed"].arrays()
                alpha = 255 if current else 110
                label = f"{name} (smoothed)" if several or not current else "train (smoothed)"
                self.curve((state.id, "smoothed"), x, mean, label, pen=pg.mkPen((*color, alpha), width=2))
            xs, ys = history.column("val_loss") if not parts else ([], [])
            if len(xs):
                label = f"{name} validation" if several else "validation"
                if len(xs) <= SYMBOLS:
                    self.curve((state.id, "val"), xs, ys, label, pen=None, symbol="o", symbolSize=6 if current else 4,
                               symbolBrush=(*color, 255 if current else 110), symbolPen=None)
                else:  # many epochs: a line (a symbol each would cost more to draw with every epoch)
                    pen = pg.mkPen((*color, 255 if current else 110), width=1, style=pg.QtCore.Qt.PenStyle.DotLine)
                    self.curve((state.id, "val"), xs, ys, label, pen=pen)


class AccuracyView(RunPlot):
    stagger_ms = 25

    def __init__(self):
        super().__init__("accuracy", legend_offset=(-10, -30))  # bottom right: accuracy climbs to the top
        self.setLabel("bottom", "epoch")
        self.fixed_y = (0.0, 1.0)
        # said where the curves would be when the runs shown measure none (a VAE's, a diffusion model's)
        self.none = pg.TextItem("", color=theme.text_color(), anchor=(0.5, 0.5))
        self.none.setZValue(10)
        self.addItem(self.none, ignoreBounds=True)

    def redraw(self) -> None:
        super().redraw()
        states = [s for s in self.runs.shown_states() if s.history.epochs] if self.runs is not None else []
        measured = any(k in ("accuracy", "val_accuracy") or k.startswith("val_accuracy/")
                       for s in states for k in s.history.by_epoch)
        names = sorted({s.run.recipe for s in states})
        samples = any("samples" in getattr(recipes().get(name), "shows", ()) for name in names)
        text = "" if measured or not states else \
            f"no accuracy:\na {' or '.join(names)} run\nmeasures its loss" + ("\n(see Samples)" if samples else "")
        if text != self.none.toPlainText():  # in lines: the chart is narrow
            self.none.setText(text)
        if text:
            low, high = self._extent or (0.0, 1.0)
            self.none.setPos((low + high) / 2, 0.5)

    def signature(self, runs):
        return (runs.current and runs.current.id, frozenset(runs.shown),
                tuple((s.id, s.run.name, s.history.epochs) for s in runs.shown_states()))

    def extent(self, runs):
        epochs = [planned_epochs(s) for s in runs.shown_states()]
        return (0.5, max(epochs) + 0.5) if epochs and max(epochs) > 0 else None

    def draw(self, runs: DocumentRuns) -> None:
        several = len(runs.shown) > 1
        for state, current in self.shown(runs):
            history, color, name = state.history, runs.color(state), state.run.name
            parts = sorted(k.split("/", 1)[1] for k in history.by_epoch if k.startswith("val_accuracy/"))
            if parts and current:
                tones = network_colors(history)
                for part in parts:
                    xs, ys = history.column(f"val_accuracy/{part}", by="epoch")
                    tone = tones[part]
                    self.curve((state.id, part), xs, ys, part, pen=pg.mkPen(tone, width=2),
                               **({"symbol": "o", "symbolBrush": tone} if len(xs) <= SYMBOLS else {}))
                continue
            alpha = 255 if current else 110
            for key, label, dash in (("accuracy", "train", True), ("val_accuracy", "validation", False)):
                xs, ys = history.column(key, by="epoch")
                if not len(xs):
                    continue
                pen = pg.mkPen((*color, alpha), width=2)
                if dash:
                    pen.setStyle(pg.QtCore.Qt.PenStyle.DashLine)
                symbols = {"symbol": "o", "symbolSize": 5, "symbolBrush": (*color, alpha), "symbolPen": None} \
                    if len(xs) <= SYMBOLS else {}
                self.curve((state.id, key), xs, ys, f"{name} {label}" if several else label, pen=pen, **symbols)


class LearningRateView(RunPlot):
    """The current run's rate: it changes once an epoch, so it is redrawn once an epoch."""

    y_from_zero = True  # so a constant rate reads right
    stagger_ms = 50

    def __init__(self):
        super().__init__("learning rate")
        self.setLabel("bottom", "step")

    def signature(self, runs):
        state = runs.current
        return state and (state.id, state.history.epochs, state.history.steps > 0)

    def extent(self, runs):
        return (0, planned_steps(runs.current)) if runs.current and planned_steps(runs.current) else None

    def draw(self, runs: DocumentRuns) -> None:
        state = runs.current
        if state is None or "lr" not in state.history.series:
            return
        x, mean, low, high = state.history.series["lr"].arrays()
        self.curve((state.id, "lr"), *envelope(x, low, high), pen=pg.mkPen(runs.color(state), width=2))
