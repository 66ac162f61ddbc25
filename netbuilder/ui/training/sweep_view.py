"""The Sweep tab: a document's sweeps (studies kept in sweeps.db beside its runs), the trials of the one shown
in a sortable table (values, status, metric, time), the metric against each varied value, and Apply Best.
It follows a sweep as it runs (the run controller's trialChanged) and reads finished ones back from disk."""
from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QPushButton, QSplitter, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from ...tune.sweep import TrialRecord, label, records
from .curves import style

REDRAW_MS = 300
COLORS = {"complete": (38, 139, 210), "pruned": (150, 150, 150), "running": (133, 153, 0), "failed": (220, 50, 47)}


class SweepView(QWidget):
    applyRequested = Signal(dict)  # the best trial's values

    def __init__(self):
        super().__init__()
        self.setObjectName("sweep_view")
        self.folder = None
        self.name: str | None = None  # the study shown
        self.spec: dict = {}
        self.trials: dict[int, TrialRecord] = {}
        self.studies = QComboBox()
        self.studies.setObjectName("sweep_studies")
        self.studies.currentTextChanged.connect(self._on_study)
        self.info = QLabel("Train > Sweep tries values of settings or layer parameters, a run each. Its trials"
                           " show here.")
        self.info.setWordWrap(True)
        self.apply_button = QPushButton("Apply Best")
        self.apply_button.setObjectName("sweep_apply")
        self.apply_button.clicked.connect(self._apply)
        top = QHBoxLayout()
        top.addWidget(self.studies, 1)
        top.addWidget(self.apply_button)
        self.table = QTableWidget()
        self.table.setObjectName("sweep_table")
        self.table.setSortingEnabled(True)
        self.table.verticalHeader().hide()
        self.charts = QWidget()
        self.chart_row = QHBoxLayout(self.charts)
        self.chart_row.setContentsMargins(0, 0, 0, 0)
        self.plots: list[pg.PlotWidget] = []
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.table)
        split.addWidget(self.charts)
        split.setSizes([520, 600])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.info)
        layout.addWidget(split, 1)
        self._timer = QTimer(self, singleShot=True, interval=REDRAW_MS)
        self._timer.timeout.connect(self.redraw)
        self.apply_button.setEnabled(False)

    # ---- what it shows ---------------------------------------------------------------------------
    @property
    def storage(self) -> str | None:
        return f"sqlite:///{self.folder / 'sweeps.db'}" if self.folder is not None else None

    def set_folder(self, folder) -> None:
        """The document's runs folder: its sweeps are listed."""
        self.folder = folder
        self.reload()

    def reload(self, select: str | None = None) -> None:
        names = []
        if self.folder is not None and (self.folder / "sweeps.db").is_file():
            import optuna

            try:
                names = optuna.get_all_study_names(self.storage)
            except Exception:  # noqa: BLE001 - a damaged database lists nothing; the runs are still there
                names = []
        self.studies.blockSignals(True)
        self.studies.clear()
        self.studies.addItems(names)
        self.studies.blockSignals(False)
        target = select if select in names else (names[-1] if names else None)
        if target is not None:
            self.studies.setCurrentText(target)
        self._on_study(target or "")

    def _on_study(self, name: str) -> None:
        self.name, self.trials, self.spec = name or None, {}, {}
        if self.name:
            import optuna

            try:
                study = optuna.load_study(study_name=self.name, storage=self.storage)
                self.spec = study.user_attrs.get("spec", {})
                self.trials = {r.number: r for r in records(study)}
            except Exception:  # noqa: BLE001 - shown as empty with the reason
                self.info.setText(f"The sweep {self.name} cannot be read from {self.folder / 'sweeps.db'}.")
        self.redraw()

    def follow(self, name: str, spec: dict) -> None:
        """A sweep starts: show it from the trials as they come (its database is the sweep's while it runs,
        and is read again when it ends)."""
        self.studies.blockSignals(True)
        if self.studies.findText(name) < 0:
            self.studies.addItem(name)
        self.studies.setCurrentText(name)
        self.studies.blockSignals(False)
        self.name, self.trials, self.spec = name, {}, dict(spec)
        self.redraw()

    def on_trial(self, record: TrialRecord) -> None:
        if self.name is None:
            return
        self.trials[record.number] = record
        if not self._timer.isActive():
            self._timer.start()

    def best(self) -> TrialRecord | None:
        complete = [r for r in self.trials.values() if r.status == "complete" and r.metric is not None]
        if not complete:
            return None
        pick = max if self.spec.get("metric") == "val_accuracy" else min
        return pick(complete, key=lambda r: r.metric)

    # ---- drawing ---------------------------------------------------------------------------------
    def redraw(self) -> None:
        trials = sorted(self.trials.values(), key=lambda r: r.number)
        names = list(dict.fromkeys(k for r in trials for k in r.values))
        metric = self.spec.get("metric", "val_loss")
        best = self.best()
        if self.name:
            varied = ", ".join(self.spec.get("varies", names))
            self.info.setText(f"{self.name}: {len(trials)} of {self.spec.get('trials', '?')} trials of {varied}"
                              f" ({self.spec.get('sampler', '')}{', pruning' if self.spec.get('prune') else ''})."
                              + (f" Best: trial {best.number + 1}, {label(best.values)}: {metric} {best.metric:.4g}."
                                 if best else ""))
        self.apply_button.setEnabled(best is not None)
        self._fill_table(trials, names, metric, best)
        self._draw_charts(trials, names, metric)

    def _fill_table(self, trials, names, metric, best) -> None:
        self.table.setSortingEnabled(False)
        columns = ["trial", *names, "status", metric, "seconds", "note"]
        self.table.setColumnCount(len(columns))
        self.table.setHorizontalHeaderLabels(columns)
        self.table.setRowCount(len(trials))
        for row, r in enumerate(trials):
            cells = [r.number + 1, *(r.values.get(n, "") for n in names), r.status,
                     r.metric if r.metric is not None else math.nan, round(r.seconds, 1), r.message]
            for col, value in enumerate(cells):
                item = QTableWidgetItem()
                if isinstance(value, float):  # numbers stay numbers, so a click on the header sorts them by size
                    value = "" if math.isnan(value) else float(f"{value:.4g}")
                item.setData(Qt.ItemDataRole.DisplayRole, value)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                if best is not None and r.number == best.number:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(row, col, item)
        self.table.setSortingEnabled(True)
        self.table.resizeColumnsToContents()

    def _draw_charts(self, trials, names, metric) -> None:
        while len(self.plots) > len(names):
            plot = self.plots.pop()
            self.chart_row.removeWidget(plot)
            plot.deleteLater()
        while len(self.plots) < len(names):
            plot = pg.PlotWidget()
            style(plot)
            self.plots.append(plot)
            self.chart_row.addWidget(plot, 1)
        logs = {text.split("=")[0] for text in self.spec.get("varies", []) if text.endswith(":log")}
        for plot, name in zip(self.plots, names):
            plot.clear()
            plot.setTitle(f"{metric} against {name}")
            choices = sorted({str(r.values[name]) for r in trials if name in r.values}) \
                if any(isinstance(r.values.get(name), str) for r in trials) else None
            plot.setLogMode(x=name in logs and choices is None)
            for status, color in COLORS.items():
                points = [(r.values[name], r.metric) for r in trials
                          if r.status == status and r.metric is not None and name in r.values]
                if not points:
                    continue
                xs = [choices.index(str(x)) if choices else x for x, _ in points]
                plot.plot(xs, [m for _, m in points], pen=None, symbol="o", symbolBrush=color, symbolPen=None,
                          symbolSize=9, name=status)
            if choices:
                plot.getAxis("bottom").setTicks([list(enumerate(choices))])

    def _apply(self) -> None:
        best = self.best()
        if best is not None:
            self.applyRequested.emit(dict(best.values))
