"""Optimize… on a finished run (the run list's menu): choose int8 and/or structured pruning, and the versions are
made and measured against the original on a thread of its own while a progress bar fills (Cancel stops it
between stages and during fine-tuning); then the table, the trade-off plot (accuracy against latency at
batch 64, one point per version, its size the file's), and the original beside a version: their confusion
matrices and the test samples on which they disagree. The files go into the run's folder (optimized/); each
version is kept as a run (optimize/keep.py): the int8 version joins the document's run list (an ONNX run: it can be
served and its test results read, not looked inside), the pruned ones are runs of the pruned document
(optimized/pruned.json) that the editor lists when that document is opened.

PyTorch's thread count is the process's, and a training run sets and uses it: the dialog never changes it (ONNX
Runtime's threads are its session's own); the PyTorch latencies are measured on the count it finds, and say so.

While the thread works, cyclic garbage is not collected (see training.worker.hold_garbage_collection)."""
from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QHeaderView, QLabel,
                               QProgressBar, QSpinBox, QTableWidget, QTableWidgetItem, QVBoxLayout)

from ..errors import describe
from ..optimize.report import Cancelled, Plan, optimize_run
from ..optimize.source import refusal
from .optimize_compare import CompareView
from .training.run_list import run_refusal
from .training.worker import hold_garbage_collection, release_garbage_collection

HEADERS = ["version", "runtime", "accuracy", "size (kB)", "parameters", "ms at batch 1", "ms per batch of 64",
           "agrees"]


class _Signals(QObject):
    """What the thread reports, queued to the window's thread; kept (in WORKING) until the thread ends."""
    progress = Signal(float, str)
    finished = Signal(object)
    failed = Signal(str)
    ended = Signal()

    def __init__(self):
        super().__init__()
        self.cancel = threading.Event()
        self.ended.connect(self._on_ended)

    @Slot()
    def _on_ended(self) -> None:
        WORKING.discard(self)
        release_garbage_collection()


WORKING: set[_Signals] = set()


class OptimizeDialog(QDialog):
    def __init__(self, run, parent=None, runs=None):
        super().__init__(parent)
        self.run = run
        self.runs = runs  # the document's runs (ui.training.runs_model.DocumentRuns): the versions join them
        self.setWindowTitle(f"Optimize {run.name}")
        self.setObjectName("optimize_dialog")
        self.setMinimumWidth(760)
        self.signals: _Signals | None = None
        self.report = None
        self.quantize = QComboBox(objectName="optimize_quantize")
        for label, key in (("int8, the kind that suits the network", "auto"),
                           ("int8 dynamic (Linear, recurrent)", "dynamic"),
                           ("int8 static, calibrated (convolutional)", "static"), ("No quantization", None)):
            self.quantize.addItem(label, key)
        self.prune = QDoubleSpinBox(objectName="optimize_prune", minimum=0.0, maximum=0.9, singleStep=0.05, value=0.5)
        self.prune.setSpecialValueText("No pruning")
        self.finetune = QSpinBox(objectName="optimize_finetune", minimum=0, maximum=1000, value=3)
        self.zeros = QDoubleSpinBox(objectName="optimize_zeros", minimum=0.0, maximum=0.95, singleStep=0.1, value=0.0)
        self.zeros.setSpecialValueText("No zeros")
        self.zeros.setToolTip("The lesson of unstructured pruning (torch.nn.utils.prune): the smallest weights set to"
                              " zero. The file is as large and the network as fast (dense kernels multiply zeros"
                              " too); only the non-zero parameters fall. Structured pruning above is what shrinks"
                              " it.")
        self.threads = QSpinBox(objectName="optimize_threads", minimum=1, maximum=64, value=1)
        form = QFormLayout()
        form.addRow("Quantize", self.quantize)
        form.addRow("Prune (share of channels)", self.prune)
        form.addRow("Fine-tune after pruning (epochs)", self.finetune)
        form.addRow("Lesson: set weights to zero (same size and speed)", self.zeros)
        self.threads.setToolTip("ONNX Runtime's threads while measuring (its session's own setting). PyTorch is"
                                " measured on the app's own thread count, which a training run shares, so it is not"
                                " changed here; the status says what it was.")
        form.addRow("ONNX Runtime threads while measuring", self.threads)
        self.bar = QProgressBar(objectName="optimize_progress", minimum=0, maximum=100)
        self.status = QLabel(objectName="optimize_status", wordWrap=True)
        self.table = QTableWidget(0, len(HEADERS), objectName="optimize_table")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.plot = _plot()
        self.compare = CompareView()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.start_button = self.buttons.addButton("Optimize", QDialogButtonBox.ButtonRole.ActionRole)
        self.start_button.setObjectName("optimize_start")
        self.cancel_button = self.buttons.addButton("Cancel", QDialogButtonBox.ButtonRole.ActionRole)
        self.cancel_button.setObjectName("optimize_cancel")
        self.cancel_button.setEnabled(False)
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        layout.addWidget(self.table, 2)
        layout.addWidget(self.plot, 2)
        layout.addWidget(self.compare, 2)
        layout.addWidget(self.buttons)

    def plan(self) -> Plan:
        prune = self.prune.value() or None
        return Plan(self.quantize.currentData(), prune, self.finetune.value() if prune else 0,
                    threads=self.threads.value(), sparsify=self.zeros.value() or None)

    def running(self) -> bool:
        return self.signals is not None

    def start(self) -> None:
        plan = self.plan()
        problems = plan.problems()
        if problems:
            self._on_failed("; ".join(problems))
            return
        signals = self.signals = _Signals()
        signals.progress.connect(self._on_progress)
        signals.finished.connect(self._on_finished)
        signals.failed.connect(self._on_failed)
        folder, run = self.run.folder / "optimized", str(self.run.folder)

        def work():
            try:
                signals.finished.emit(optimize_run(None, run, plan, folder, signals.progress.emit,
                                                   signals.cancel.is_set))
            except Cancelled as e:
                signals.failed.emit(str(e))
            except Exception as e:  # noqa: BLE001 - the dialog's boundary: describe() logs a bug's traceback
                signals.failed.emit(describe(e))
            finally:
                signals.ended.emit()

        WORKING.add(signals)
        hold_garbage_collection()
        self._set_busy(True)
        threading.Thread(target=work, name="netbuilder-optimize", daemon=True).start()

    def cancel(self) -> None:
        if self.signals is not None:
            self.signals.cancel.set()
            self.status.setText("Stopping after this stage…")

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.quantize, self.prune, self.finetune, self.zeros, self.threads, self.start_button,
                       self.buttons.button(QDialogButtonBox.StandardButton.Close)):
            widget.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.status.setStyleSheet("")
        if busy:
            self.bar.setValue(0)

    def _on_progress(self, share: float, text: str) -> None:
        self.bar.setValue(int(round(share * 100)))
        self.status.setText(text[:1].upper() + text[1:] + ("…" if share < 1 else ""))

    def _on_finished(self, report) -> None:
        self.signals, self.report = None, report
        self._set_busy(False)
        self.bar.setValue(100)
        self.table.setRowCount(len(report.rows))
        for i, r in enumerate(report.rows):
            score = f"{r.accuracy:.1%}" if r.accuracy is not None else f"loss {r.loss:.4g}"
            agrees = f"{r.agreement:.1%}" if r.agreement is not None else f"|diff| {r.difference:.3g}"
            for j, text in enumerate((r.variant.name, r.variant.runtime, score, f"{r.size / 1e3:.1f}",
                                      f"{r.variant.parameters:,}", f"{r.latency_1 * 1e3:.3f}",
                                      f"{r.latency_64 * 1e3:.3f}", agrees)):
                self.table.setItem(i, j, QTableWidgetItem(text))
        _draw(self.plot, report.rows)
        self.compare.set_rows(report.rows)
        if self.runs is not None:
            self.runs.take([run for run in report.runs if run.folder.parent == self.runs.folder])
        notes = "; ".join(report.notes)
        self.status.setText(f"Measured on {report.rows[0].evaluation.samples} test samples, ONNX Runtime on"
                            f" {report.threads} thread(s), PyTorch on {report.torch_threads} (the app's own count,"
                            f" shared with training: not changed); files in {report.folder}"
                            + (f". {notes}" if notes else "")
                            + (f". Kept as runs: {', '.join(run.name for run in report.runs)}" if report.runs else ""))

    def _on_failed(self, text: str) -> None:
        self.signals = None
        self._set_busy(False)
        self.status.setStyleSheet("color: #c0392b")
        self.status.setText(f"Not optimized: {text}")

    def reject(self) -> None:
        if self.running():
            self.cancel()  # it closes once the thread has stopped
            self.signals.ended.connect(self.reject)
            return
        super().reject()


def _plot():
    import pyqtgraph as pg

    from .training.curves import style

    plot = pg.PlotWidget(objectName="optimize_plot")
    plot.setLabel("bottom", "ms per batch of 64")
    plot.setLabel("left", "accuracy (%)")
    plot.getAxis("left").enableAutoSIPrefix(False)
    plot.setMinimumHeight(160)
    style(plot)  # the theme's colours, as the Training dock's plots have
    return plot


def _draw(plot, rows) -> None:
    """One point per version: latency at batch 64 across, the score up (accuracy, or minus the loss), its size the
    file's."""
    import pyqtgraph as pg

    plot.clear()
    largest = max(r.size for r in rows)
    scores = [r.accuracy * 100 if r.accuracy is not None else -r.loss for r in rows]
    for i, (r, score) in enumerate(zip(rows, scores)):
        color = pg.intColor(i, len(rows))
        plot.addItem(pg.ScatterPlotItem([r.latency_64 * 1e3], [score], size=8 + 24 * (r.size / largest) ** 0.5,
                                        brush=color, name=f"{r.variant.name} ({r.variant.runtime})"))
        label = pg.TextItem(f"{r.variant.name} · {r.variant.runtime}", color=color, anchor=(0, 1 - i % 2))
        label.setPos(r.latency_64 * 1e3, score)  # above and below in turn: neighbours' labels do not cover
        plot.addItem(label)
    slowest, low, high = max(r.latency_64 for r in rows) * 1e3, min(scores), max(scores)
    spread = max(high - low, 0.5)
    plot.setXRange(0, slowest * 1.45, padding=0)  # room for the slowest point's label
    plot.setYRange(low - 0.25 * spread, high + 0.25 * spread, padding=0)
    if rows[0].accuracy is None:
        plot.setLabel("left", "minus the test loss")


def open_dialog(bench, run, runs=None) -> OptimizeDialog:
    dialog = OptimizeDialog(run, bench.widget, runs)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog


def install(bench, run_list) -> None:
    """Optimize… in the run list's menu, for a run that ended with weights."""
    def entry(menu, state) -> None:
        run = state.run
        action = menu.addAction("Optimize…", lambda: open_dialog(bench, run, run_list.runs))
        action.setEnabled(run.weights() is not None and not state.running)
        if run.onnx_only:  # an int8 version: optimise the run it was made from
            action.setText("Optimize… (an ONNX run: optimize the run it was made from)")
        elif (why := run_refusal(run, refusal)) is not None:  # said before the user fills the dialog in
            action.setEnabled(False)
            action.setToolTip(f"Not for this run: {why}")
            menu.setToolTipsVisible(True)
    run_list.entries.append(entry)
