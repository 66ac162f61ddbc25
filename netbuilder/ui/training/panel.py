"""The training panel: Train / Pause / Stop, progress, and live loss and accuracy curves."""
from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QThread, Qt
from PySide6.QtWidgets import (QApplication, QCheckBox, QHBoxLayout, QLabel, QProgressBar, QPushButton,
                               QScrollArea, QTabWidget, QVBoxLayout, QWidget)

from ...graph.io import dumps, loads
from ...layers import check_node
from ...train import TrainConfig
from ...train.diagnosis import Diagnosis
from ...train.pictures import Pictures
from ...train.recipes import make_trainer
from .. import theme
from ..settings import config_dir
from .evaluation_view import EvaluationView
from .gradient_view import GradientView, network_names, tint
from .samples_view import SamplesView
from .settings_form import SettingsForm
from .worker import TrainWorker, hold_garbage_collection, release_garbage_collection, warm_up

SMOOTHING = 0.9
TINT_SECONDS = 0.2  # node tints follow the gradients five times a second


class TrainingPanel(QWidget):
    def __init__(self, window):
        super().__init__()
        self.setObjectName("training")
        self.window = window
        self.thread: QThread | None = None
        self.worker: TrainWorker | None = None
        self.diagnosis: Diagnosis | None = None
        self.result = None
        self._test_images = self._class_names = None
        self._run_note = ""
        self._switch_interval = sys.getswitchinterval()
        self.train_button = QPushButton("Train")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.progress = QProgressBar()
        self.status = QLabel("Press Train to train this network on its dataset (Train > Choose Data to change it).")
        self.status.setWordWrap(True)
        buttons = QHBoxLayout()
        for b in (self.train_button, self.pause_button, self.stop_button):
            buttons.addWidget(b)
        buttons.addWidget(self.progress, 1)
        self.loss_plot = pg.PlotWidget(title="loss")
        self.loss_plot.addLegend(offset=(-10, 10))
        self.loss_plot.setLabel("bottom", "step")
        self.raw = self.loss_plot.plot(pen=pg.mkPen((150, 150, 150)), name="train (per step)")
        self.smooth = self.loss_plot.plot(pen=pg.mkPen((38, 139, 210), width=2), name="train (smoothed)")
        self.val_loss = self.loss_plot.plot(pen=None, symbol="o", symbolBrush=(220, 50, 47), name="validation")
        self.acc_plot = pg.PlotWidget(title="accuracy")
        self.acc_plot.addLegend(offset=(-10, -30))  # bottom right: accuracy climbs to the top
        self.acc_plot.setLabel("bottom", "epoch")
        self.acc_plot.setYRange(0, 1)
        self.train_acc = self.acc_plot.plot(pen=pg.mkPen((38, 139, 210), width=2), symbol="o",
                                            symbolBrush=(38, 139, 210), name="train")
        self.val_acc = self.acc_plot.plot(pen=pg.mkPen((220, 50, 47), width=2), symbol="o",
                                          symbolBrush=(220, 50, 47), name="validation")
        self.lr_plot = pg.PlotWidget(title="learning rate")
        self.lr_plot.setLabel("bottom", "step")
        self.lr_curve = self.lr_plot.plot(pen=pg.mkPen((133, 153, 0), width=2))
        for plot in (self.loss_plot, self.acc_plot, self.lr_plot):  # follow the light or dark palette
            plot.setBackground(theme.canvas_background())
            for axis in ("left", "bottom"):
                plot.getAxis(axis).setTextPen(theme.text_color())
                plot.getAxis(axis).setPen(theme.wire_color())
            plot.setTitle(plot.plotItem.titleLabel.text, color=theme.text_color())
            if plot.plotItem.legend is not None:
                plot.plotItem.legend.setLabelTextColor(theme.text_color())
        self.log_scale = QCheckBox("log scale")
        self.log_scale.toggled.connect(lambda on: self.loss_plot.setLogMode(y=on))
        self.previous: list = []  # earlier runs of this document, drawn faded
        curves = QWidget()
        plots = QHBoxLayout(curves)
        plots.setContentsMargins(0, 0, 0, 0)
        left = QVBoxLayout()
        left.addWidget(self.loss_plot, 1)
        left.addWidget(self.log_scale)
        plots.addLayout(left, 3)
        plots.addWidget(self.acc_plot, 2)
        plots.addWidget(self.lr_plot, 2)
        self.gradients = GradientView()
        self.evaluation = EvaluationView()
        self.samples_view = SamplesView()
        self.settings = SettingsForm(window)
        self.tabs = QTabWidget()
        self.tabs.addTab(curves, "Loss and accuracy")
        self.tabs.addTab(self.gradients, "Gradients")
        self.tabs.addTab(self.evaluation, "Test set")
        self.tabs.addTab(self.samples_view, "Samples")
        settings = QScrollArea()
        settings.setWidget(self.settings)
        settings.setWidgetResizable(True)
        self.tabs.addTab(settings, "Settings")
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(self.tabs, 1)
        self._pending_test = None  # a test-set result drawn when its tab is first shown
        self.tabs.currentChanged.connect(self._on_tab)
        self.train_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button.clicked.connect(self.stop)
        self._set_running(False)

    # ---- control -----------------------------------------------------------------------------
    def runs_dir(self) -> Path:
        """Where this document's checkpoints go: the app's folder, by document name."""
        path = self.window.document.path
        if not path:
            return config_dir() / "runs" / "untitled"
        where = hashlib.sha1(str(Path(path).resolve()).encode()).hexdigest()[:8]  # two net.json files apart
        return config_dir() / "runs" / f"{Path(path).stem}-{where}"

    def start(self, resume: bool = False) -> bool:
        """Train the document (from its last checkpoint when `resume`); False with the reason shown.

        The run trains a copy of the document: edits made meanwhile do not reach it."""
        if self.thread is not None:
            return False
        graph = loads(dumps(self.window.document.graph), check_node)
        runs = self.runs_dir()
        config = TrainConfig.from_dict(graph.meta.get("training"))
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)  # the first run imports for a second
        try:
            warm_up()  # imports stay on this thread
            diagnosis, self.pictures = Diagnosis(graph), Pictures()
            trainer, data = make_trainer(graph, config, [diagnosis, self.pictures], runs)
            if resume:
                trainer.load_checkpoint(runs / "last.pt")
        except Exception as e:  # noqa: BLE001 - TrainingError, GraphError (its problems), a bad checkpoint
            self.status.setText(f"Cannot {'resume' if resume else 'train'}: {e}")
            return False
        finally:
            QApplication.restoreOverrideCursor()
        self.diagnosis, self.result = diagnosis, None
        self._reset_curves()
        self.evaluation.clear()
        self._pending_test = None
        prepared = data.prepared
        self._test_images = prepared.shown(prepared.test[0]) if prepared.raw.kind == "image" else None
        self._class_names = prepared.raw.class_names
        self.gradients.reset(trainer.monitor.layers, network_names(graph))
        self.window.scene.set_training_warnings({})
        self.window.show_training_warnings([])
        self._shown_warnings, self._warned_at, self._tinted_at = [], 0.0, 0.0
        self.started = time.perf_counter()
        self.samples = 0
        self.worker = TrainWorker(trainer)
        self.thread = QThread()
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        self.worker.steps.connect(self._on_steps)
        self.worker.epoch.connect(self._on_epoch)
        self.worker.finished.connect(self._on_finished)
        self._set_running(True)
        note = f"Resumed after epoch {trainer.start_epoch}." if resume else ""
        if trainer.transferred:
            note += f" {', '.join(trainer.transferred)} started from {Path(config.init_from).name}."
        if trainer.transfer_skipped:
            note += f" Not from the checkpoint: {'; '.join(trainer.transfer_skipped)}."
        self._run_note = note.strip()  # stays on the status line for the whole run
        self.status.setText(f"Training… {self._run_note}")
        # The training thread holds the GIL between torch calls; hand it back to the window often.
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(0.001)
        hold_garbage_collection()
        self.thread.start()
        return True

    def toggle_pause(self) -> None:
        if self.worker is None:
            return
        trainer = self.worker.trainer
        trainer.resume() if trainer.paused else trainer.pause()
        self.pause_button.setText("Resume" if trainer.paused else "Pause")

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.trainer.stop()

    def shutdown(self) -> None:
        """Stop training and wait for the thread (closing the window or the document)."""
        if self.thread is not None:
            self.worker.trainer.stop()
            self.thread.quit()
            self.thread.wait()
            self._cleanup()

    # ---- from the worker ---------------------------------------------------------------------
    def _on_steps(self, steps: list) -> None:
        if self.worker is None:  # queued before a shutdown
            return
        last = steps[-1]
        for s in steps:
            for name, value in (getattr(s, "losses", None) or {}).items():  # a GAN: each network's loss
                self._parts.setdefault(name, []).append(value)
            self._losses.append(s.loss)
            prev = self._smoothed[-1] if self._smoothed else s.loss
            self._smoothed.append(SMOOTHING * prev + (1 - SMOOTHING) * s.loss)
            self.samples += s.samples
        if self._parts:
            for i, (name, values) in enumerate(self._parts.items()):
                if name not in self._part_curves:
                    color = ((38, 139, 210), (220, 50, 47), (133, 153, 0))[i % 3]
                    self._part_curves[name] = self.loss_plot.plot(pen=pg.mkPen(color, width=2), name=name)
                self._part_curves[name].setData(np.asarray(values))
        else:
            self.raw.setData(np.asarray(self._losses))
            self.smooth.setData(np.asarray(self._smoothed))
        changed = not self._lrs or steps[-1].lr != self._lrs[-1]
        self._lrs += [s.lr for s in steps]
        if changed:  # the rate moves once an epoch: redraw then, not on every update
            self._draw_lr()
        ranges = self.gradients.add([s.grad_norms for s in steps])
        now = time.perf_counter()
        if now - self._tinted_at >= TINT_SECONDS:  # repainting the canvas is the costly part of an update
            self._tinted_at = now
            ids = {n.name: n.id for n in self.window.document.graph.nodes()}  # renames count
            self.window.scene.set_tints({ids[name]: tint(value, *ranges[name]) for name, value
                                         in zip(self.gradients.layers, last.grad_norms)
                                         if name in ids and name in ranges})
        self._show_warnings(running=True)
        trainer = self.worker.trainer
        total = trainer.config.epochs * last.steps_per_epoch
        self.progress.setRange(0, total)
        self.progress.setValue(last.global_step + 1)
        elapsed = time.perf_counter() - self.started
        rate = self.samples / elapsed if elapsed else 0
        eta = (total - last.global_step - 1) * elapsed / max(1, len(self._losses))
        warned = len(self._shown_warnings)
        self.status.setText(f"epoch {last.epoch + 1}/{trainer.config.epochs}, step {last.step + 1}/"
                            f"{last.steps_per_epoch}: loss {last.loss:.4f}, {rate:,.0f} samples/s,"
                            f" about {eta:.0f} s left"
                            + (f"  ⚠ {warned} gradient warning{'s' * (warned > 1)} on the layers" if warned else "")
                            + (f"  {self._run_note}" if self._run_note else ""))

    def _show_samples(self, epoch) -> None:
        """A generative run: what the network makes now (taken on the training thread)."""
        if self.pictures.latest is not None:
            caption, samples, real = self.pictures.latest
            self.samples_view.show_samples(samples, caption, real)

    def _draw_lr(self) -> None:
        self.lr_curve.setData(np.asarray(self._lrs))
        self.lr_plot.setYRange(0, max(self._lrs) * 1.1, padding=0)  # from zero, so a constant rate reads right

    def _on_epoch(self, epoch) -> None:
        if self.worker is None:
            return
        if self._lrs:
            self._draw_lr()
        steps = len(self._losses)
        self._show_samples(epoch)
        if epoch.val_loss is not None and not self._parts:  # a GAN's val_loss is its discriminator's
            self._val_points.append((steps - 1, epoch.val_loss))
            self.val_loss.setData(*zip(*self._val_points))
        for i, (name, value) in enumerate((getattr(epoch, "accuracies", None) or {}).items()):  # side by side
            self._part_accs.setdefault(name, []).append((epoch.epoch + 1, value))
            if name not in self._part_acc_curves:
                color = ((38, 139, 210), (220, 50, 47), (133, 153, 0))[i % 3]
                self._part_acc_curves[name] = self.acc_plot.plot(pen=pg.mkPen(color, width=2), symbol="o",
                                                                 symbolBrush=color, name=name)
            self._part_acc_curves[name].setData(*zip(*self._part_accs[name]))
        if epoch.train_acc is not None:
            self._accs.append((epoch.epoch + 1, epoch.train_acc, epoch.val_acc))
            xs = [a[0] for a in self._accs]
            self.train_acc.setData(xs, [a[1] for a in self._accs])
            if epoch.val_acc is not None:
                self.val_acc.setData(xs, [a[2] for a in self._accs])

    def _on_finished(self, result) -> None:
        self.result = result
        if self.thread is None:  # already shut down (the window closed): nothing to show
            return
        self.thread.quit()
        self.thread.wait()
        self._cleanup()
        last = result.epochs[-1] if result.epochs else None
        summary = {"finished": "Finished", "stopped": "Stopped", "early_stopped": "Stopped early",
                   "failed": "Failed"}[result.status]
        acc = f", validation accuracy {last.val_acc:.1%}" if last and last.val_acc is not None else ""
        if last is not None and getattr(last, "accuracies", None):
            acc = ", validation accuracy " + ", ".join(f"{k} {v:.1%}" for k, v in last.accuracies.items() if v is not None)
        tested = result.evaluation
        if tested is not None:
            self._pending_test = (tested, self._test_images, self._class_names)
            self._on_tab()
            acc += (f", test accuracy {tested.accuracy:.1%}" if tested.accuracy is not None
                    else f", test loss {tested.loss:.4f}") + " (Test set tab)"
        text = f"{summary}{acc}. {result.message}".strip()
        saved = [name for name in ("best.pt", "last.pt") if (self.runs_dir() / name).exists()]
        if result.epochs and saved:
            text += f"  Checkpoints ({', '.join(saved)}) in {self.runs_dir()}."
        warnings = self._show_warnings(running=False)
        if warnings:
            text += (f"  ⚠ {len(warnings)} gradient warning{'s' * (len(warnings) > 1)}: they are on the"
                     " layers and in the Problems panel, with their remedies.")
        self.status.setText(text)

    def _on_tab(self) -> None:
        """Views draw when shown: a hidden tab costs the window nothing while training."""
        current = self.tabs.currentWidget()
        if current is self.gradients:
            self.gradients.redraw()
        elif current is self.evaluation and self._pending_test is not None:
            self.evaluation.show_result(*self._pending_test)
            self._pending_test = None

    def _show_warnings(self, running: bool) -> list:
        """Put the diagnosis on the nodes and in the Problems panel: while running, when it has
        judged again and at most once a second; at the end, always."""
        warnings = self.diagnosis.latest if self.diagnosis else []
        now = time.perf_counter()
        if running and (warnings is self._shown_warnings or now - self._warned_at < 1.0):
            return warnings
        self._shown_warnings, self._warned_at = warnings, now
        self.window.scene.set_training_warnings(warnings)
        self.window.show_training_warnings(warnings)
        return warnings

    def _cleanup(self) -> None:
        sys.setswitchinterval(self._switch_interval)
        release_garbage_collection()
        self.worker.deleteLater()
        self.thread.deleteLater()
        self.worker = self.thread = None
        self._set_running(False)

    def _reset_curves(self) -> None:
        if getattr(self, "_smoothed", None):  # keep the last run, faded, for comparison
            faded = self.loss_plot.plot(np.asarray(self._smoothed), pen=pg.mkPen((38, 139, 210, 70), width=2))
            self.previous.append(faded)
            while len(self.previous) > 3:
                self.loss_plot.removeItem(self.previous.pop(0))
        self._losses, self._smoothed, self._val_points, self._accs, self._lrs = [], [], [], [], []
        for curve in getattr(self, "_part_curves", {}).values():
            self.loss_plot.removeItem(curve)
        for curve in getattr(self, "_part_acc_curves", {}).values():
            self.acc_plot.removeItem(curve)
        self._parts, self._part_curves, self._part_accs, self._part_acc_curves = {}, {}, {}, {}
        self.samples_view.clear()
        for curve in (self.raw, self.smooth, self.val_loss, self.train_acc, self.val_acc, self.lr_curve):
            curve.setData([], [])

    def _set_running(self, running: bool) -> None:
        self.train_button.setEnabled(not running)
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        self.pause_button.setText("Pause")

    @property
    def running(self) -> bool:
        return self.thread is not None
