"""The training panel: Train / Pause / Stop, the current run's status, the coach's verdict and progress, and
the views of the document's runs (run list and curves, gradients, test set, samples, boundary, inside,
sweep) and settings. It only lays them out: each view takes the document's runs and subscribes to them;
the run controller trains."""
from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QCheckBox, QHBoxLayout, QProgressBar, QPushButton, QScrollArea, QSplitter,
                               QTabWidget, QVBoxLayout, QWidget)

from ...graph.model import EditError
from ...insight.coach import apply as apply_remedy
from .anomaly_view import AnomalyView
from .boundary_view import BoundaryView
from .coach_view import CoachView
from .controller import RunController
from .curves import AccuracyView, LearningRateView, LossView
from .evaluation_view import EvaluationView
from .gradient_view import GradientView
from .inside_view import InsideView
from .run_list import RunList
from .samples_view import SamplesView
from .settings_form import SettingsForm
from .status_line import StatusLine
from .sweep_view import SweepView

STATUS_MS = 200  # the status line and progress bar follow a run five times a second
IDLE = "Press Train to train this network on its dataset (Train > Choose Data to change it)."


class TrainingPanel(QWidget):
    message = Signal(str)  # for the status bar
    picturesShown = Signal()  # the Boundary, Inside or Samples tab came to the front: pictures want height

    def __init__(self, controller: RunController):
        super().__init__()
        self.setObjectName("training")
        self.controller = controller
        self.document = None
        self.runs = None
        self._drawn = (None, None)  # the evaluation and the pictures the tabs show
        self.train_button = QPushButton("Train")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.progress = QProgressBar()
        self.status = StatusLine(IDLE)
        # two lines, always: a status that wraps differently must not lay the whole panel out again
        self.status.setFixedHeight(2 * self.status.fontMetrics().lineSpacing() + 4)
        self._status_timer = QTimer(self, singleShot=True, interval=STATUS_MS)
        self._status_timer.timeout.connect(lambda: self._show_status(self.runs.current if self.runs else None))
        self.coach = CoachView()
        buttons = QHBoxLayout()
        for b in (self.train_button, self.pause_button, self.stop_button):
            buttons.addWidget(b)
        buttons.addWidget(self.progress, 1)
        self.run_list = RunList()
        self.loss_plot, self.acc_plot, self.lr_plot = LossView(), AccuracyView(), LearningRateView()
        self.log_scale = QCheckBox("log scale")
        self.log_scale.toggled.connect(self.loss_plot.set_log_y)
        curves = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.loss_plot, 1)
        column.addWidget(self.log_scale)
        for widget, stretch in ((self.run_list, 2), (left, 3), (self.acc_plot, 2), (self.lr_plot, 2)):
            curves.addWidget(widget)
            curves.setStretchFactor(curves.count() - 1, stretch)
        curves.setSizes([260, 420, 300, 240])
        self.gradients = GradientView()
        self.evaluation = EvaluationView()
        self.samples_view = SamplesView()
        self.inside = InsideView()
        self.boundary = BoundaryView()
        self.anomaly = AnomalyView()
        self._inside_shown = None  # (run, running) the Inside tab shows
        self.settings = SettingsForm()
        self.sweep_view = SweepView()
        self.tabs = QTabWidget()
        self.tabs.addTab(curves, "Loss and accuracy")
        self.tabs.addTab(self.gradients, "Gradients")
        self.tabs.addTab(self.evaluation, "Test set")
        self.tabs.addTab(self.samples_view, "Samples")
        self.tabs.addTab(self.boundary, "Boundary")
        self.tabs.addTab(self.inside, "Inside")
        self.tabs.addTab(self.anomaly, "Anomaly")
        self.tabs.addTab(self.sweep_view, "Sweep")
        settings = QScrollArea()
        settings.setWidget(self.settings)
        settings.setWidgetResizable(True)
        self.tabs.addTab(settings, "Settings")
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(self.coach)
        layout.addWidget(self.tabs, 1)
        self.tabs.currentChanged.connect(self._show_current)
        self.tabs.currentChanged.connect(
            lambda _: self.picturesShown.emit() if self.tabs.currentWidget() in (self.boundary, self.inside, self.samples_view) else None)
        self.train_button.clicked.connect(lambda: self.start())
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button.clicked.connect(self.stop)
        self.run_list.resumeRequested.connect(lambda state: self.start(resume=True, state=state))
        self.run_list.message.connect(self.message)
        self.settings.message.connect(self.message)
        controller.started.connect(lambda _: self._set_running(True))
        controller.ended.connect(lambda _: self._set_running(False))
        controller.sweepStarted.connect(self.sweep_view.follow)
        controller.trialChanged.connect(self.sweep_view.on_trial)
        controller.sweepEnded.connect(self._on_sweep_ended)
        self.sweep_view.applyRequested.connect(self._apply_values)
        self.coach.applyRequested.connect(self.apply_remedy)
        self.evaluation.sampleRequested.connect(self.look_inside)
        self.coach.tryRequested.connect(lambda remedy: self.apply_remedy(remedy) and self.start())
        self._set_running(False)

    def set_document(self, document) -> None:
        """Show this document's runs and settings (a run of the one before is stopped by the window)."""
        if self.runs is not None:
            self.runs.currentChanged.disconnect(self._show_current)
            self.runs.runUpdated.disconnect(self._on_updated)
            self.runs.listChanged.disconnect(self._follow_folder)
        self.document, self.runs = document, document.runs
        self.runs.currentChanged.connect(self._show_current)
        self.runs.runUpdated.connect(self._on_updated)
        self.runs.listChanged.connect(self._follow_folder)  # saved elsewhere: its sweeps moved with its runs
        for view in (self.run_list, self.loss_plot, self.acc_plot, self.lr_plot, self.gradients):
            view.set_runs(self.runs)
        self.settings.set_document(document)
        self.sweep_view.set_folder(document.runs.folder)
        self.inside.forget()  # views that follow the canvas's selection start afresh: no layer of the one before
        self.boundary.select_layer(None)
        self._drawn, self._inside_shown = (None, None), None
        self._show_current()

    # ---- control -------------------------------------------------------------------------------
    def start(self, resume: bool = False, state=None) -> bool:
        """Train the document as a new run, or go on with a run (`state`, else the current one) from its
        last checkpoint. False with the reason on the status line when it cannot start."""
        if resume and state is None:
            state = self.runs.current if self.runs.current and self.runs.current.run.checkpoint.is_file() else \
                next((s for s in reversed(self.runs.states) if s.run.checkpoint.is_file()), None)
            if state is None:
                self.status.setText("Cannot resume: there is no checkpoint: no run of this document has written one")
                return False
        reason = self.controller.start(self.runs, self.document.graph, self.document.analysis.problems(),
                                       state if resume else None)
        if reason:
            self.status.setText(reason)
            return False
        return True

    def start_sweep(self, spec) -> bool:
        """Sweep the document (each trial a run); False with the reason on the status line."""
        name = f"sweep {self.sweep_view.studies.count() + 1} ({time.strftime('%Y-%m-%d %H:%M')})"
        reason = self.controller.start_sweep(self.runs, self.document.graph, self.document.analysis.problems(),
                                             spec, name)
        if reason:
            self.status.setText(reason)
            return False
        self._set_running(True)
        self.status.setText(f"{name}: starting (its trials appear in the run list and the Sweep tab)…")
        return True

    def _follow_folder(self) -> None:
        if self.sweep_view.folder != self.runs.folder:
            self.sweep_view.set_folder(self.runs.folder)

    def _on_sweep_ended(self, message: str) -> None:
        self._set_running(False)
        self.sweep_view.reload(select=self.sweep_view.name)
        self.status.setText(message)

    def _apply_values(self, values: dict) -> None:
        from ...tune.sweep import apply_edit

        self.document.push(apply_edit(self.document.graph, values))
        self.message.emit("The document now has the sweep's best values (Edit > Undo takes them back).")

    def apply_remedy(self, remedy) -> bool:
        """The coach's remedy as one undoable edit of the document; False with the reason when it cannot."""
        try:
            reason = self.document.push(apply_remedy(self.document.graph, remedy))
        except EditError as e:
            reason = str(e)
        if reason:
            self.status.setText(f"Cannot {remedy.label}: {reason}" if not reason.startswith("cannot") else reason)
            return False
        self.message.emit(f"Applied: {remedy.label} (Edit > Undo takes it back).")
        return True

    def select_layer(self, name: str) -> None:
        """A layer selected on the canvas, by its name in the compiled model (blocks.0.conv_a inside a block):
        the Inside tab shows it, and the Boundary tab paints it when it is one of the network's own."""
        self.inside.select_layer(name)
        if "." not in name:
            self.boundary.select_layer(name)

    def hover_layer(self, name: str | None) -> None:
        """The layer under the mouse on the canvas (None: none of the network's own): the Boundary tab paints it."""
        self.boundary.hover_layer(name)

    def look_at(self, sample) -> None:
        """The Inside tab on a sample of the data as it was loaded [1, ...] (clicked in the Data panel)."""
        self.tabs.setCurrentWidget(self.inside)
        self.inside.show_given("a sample from the Data panel", sample)

    def look_inside(self, index: int) -> None:
        """The Inside tab on this test sample (a misclassified one clicked in the Test set tab)."""
        self.tabs.setCurrentWidget(self.inside)
        self.inside.show_test_sample(index)

    def toggle_pause(self) -> None:
        self.controller.toggle_pause()
        self.pause_button.setText("Resume" if self.controller.paused else "Pause")
        self._show_status(self.runs.current)

    def stop(self) -> None:
        self.controller.stop()
        self.pause_button.setText("Pause")

    @property
    def running(self) -> bool:
        return self.controller.running

    @property
    def result(self):
        return self.controller.result

    # ---- showing the current run -----------------------------------------------------------------
    def _on_updated(self, state) -> None:
        if state is self.runs.current:
            if state.running and not self._status_timer.isActive():  # a few times a second is enough
                self._status_timer.start()
            elif not state.running:
                self._show_status(state)
            self._show_views(state)
            self.coach.show_run(state, self.document.graph)

    def _show_current(self, *_) -> None:
        state = self.runs.current if self.runs else None
        self._show_status(state)
        self._show_views(state, force=True)
        self.coach.show_run(state, self.document.graph if self.document else None, force=True)

    def _show_status(self, state) -> None:
        self.status.setText(state.status if state else IDLE)
        done, total = state.progress if state else (0, 1)
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(min(done, max(1, total)))

    def _show_views(self, state, force: bool = False) -> None:
        """The test set and the samples draw when their tab is shown and what they show has changed."""
        current = self.tabs.currentWidget()
        if current is self.evaluation:
            evaluation = state.evaluation if state is not None else None
            if force or evaluation is not self._drawn[0]:
                if evaluation is not None:
                    self.evaluation.show_result(evaluation, state.test_images, state.class_names)
                else:
                    self.evaluation.clear()
            self._drawn = (evaluation, self._drawn[1])
        elif current is self.samples_view:
            pictures = state.pictures if state is not None else None
            if force or pictures is not self._drawn[1]:
                if pictures is not None:
                    caption, samples, real, *strip = pictures  # a diffusion's pictures add its reverse process
                    self.samples_view.show_samples(samples, caption, real, strip[0] if strip else None)
                else:
                    self.samples_view.clear(self._no_samples(state))
            self._drawn = (self._drawn[0], pictures)
        elif current is self.boundary:
            self.boundary.show_run(state)
        elif current is self.anomaly:  # once a run ends: it scores the test samples with the run's checkpoint
            self.anomaly.show_run(state)
        elif current is self.inside:  # once a run ends: it reads the run's checkpoint
            key = (state.id, state.running) if state is not None else None
            if force or key != self._inside_shown:
                self.inside.show_run(state)
            else:
                self.inside.draw_histograms()  # a new epoch's, while it trains
            self._inside_shown = key

    def _no_samples(self, state) -> str:
        """Why the Samples tab shows nothing for this run (or the document, with no run)."""
        from ...train import TrainConfig
        from ...train.recipes import recipe_class
        from ...train.errors import TrainingError

        name = state.run.recipe if state is not None else \
            TrainConfig.from_dict((self.document.graph.meta if self.document else {}).get("training")).recipe
        try:
            makes = "samples" in recipe_class(name).shows
        except TrainingError:
            makes = False
        if not makes:
            return (f"The {name} recipe makes no samples to show: this tab shows what generative networks (GAN,"
                    " autoencoder, VAE) make after every epoch.")
        return (f"{state.run.name} has no samples to show: they are made after every epoch while a run trains in"
                " this session." if state is not None else "Train the network: what it makes shows here after"
                " every epoch.")

    def _set_running(self, running: bool) -> None:
        self.train_button.setEnabled(not running)
        self.coach.try_button.setEnabled(not running)  # Try it trains: not while a run is going
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        self.pause_button.setText("Pause")
