"""The run controller: starts, pauses, resumes and stops training of a document on a worker thread, and
feeds what arrives into the document's runs. A QObject without widgets: views subscribe to the runs."""
from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal

from ...graph.io import dumps, loads
from ...layers import check_node
from ...train import TrainConfig
from ...train.settings import settings_problems
from ...runs.run import Run
from .runs_model import DocumentRuns, RunState
from .worker import (BEAT_SECONDS, RUNNING, SweepWorker, TrainWorker, WindowPulse, collect_young,
                     hold_garbage_collection, release_garbage_collection)

COLLECT_SECONDS = 1.0  # cyclic garbage made while training is collected on the window's thread this often


class RunController(QObject):
    started = Signal(object)  # RunState (each trial of a sweep too)
    stepped = Signal(object)  # RunState: new steps arrived (gradients, warnings)
    ended = Signal(object)  # RunState
    trialChanged = Signal(object)  # a sweep's TrialRecord, as it starts and ends
    sweepStarted = Signal(str, dict)  # the study's name, what it varies (SweepSpec.to_dict())
    sweepEnded = Signal(str)  # what the sweep found, in words

    def __init__(self, parent=None):
        super().__init__(parent)
        self.runs: DocumentRuns | None = None
        self.state: RunState | None = None
        self.worker_thread: QThread | None = None
        self.worker: TrainWorker | None = None
        self.result = None
        self.paused = False
        self._samples = 0
        self._started = 0.0
        self._paused_for = 0.0
        self._paused_at = 0.0
        self._first_step: int | None = None  # of this session's part of the run (a resumed run starts later)
        self.sweeping: str | None = None  # the study of the sweep going on
        self._switch_interval = sys.getswitchinterval()
        self._collector = QTimer(self, interval=int(COLLECT_SECONDS * 1000))
        self._collector.timeout.connect(collect_young)
        self.pulse = WindowPulse()  # the training thread gives way while the window is behind
        self._beat = QTimer(self, interval=int(BEAT_SECONDS * 1000))
        self._beat.setTimerType(Qt.TimerType.PreciseTimer)
        self._beat.timeout.connect(self.pulse.beat)

    @property
    def running(self) -> bool:
        return self.worker_thread is not None

    @property
    def training(self) -> str | None:
        """The name of the run (or the sweep) training now, or None."""
        if not self.running:
            return None
        return self.sweeping or (self.state.run.name if self.state is not None else "a run")

    def _usable(self, graph, problems: list, verb: str) -> str | None:
        """Why this document cannot train now, or None."""
        if self.running:
            return "a run is going on: stop it first"
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            names = {n.id: n.name for n in graph.nodes()}
            count = f"{len(errors)} problems" if len(errors) > 1 else "a problem"
            lines = "\n  ".join(dataclasses.replace(p, fix=None).describe(names) for p in errors)
            return (f"Cannot {verb}: {count} to fix first (red on the canvas; the Problems panel lists"
                    f" {'them' if len(errors) > 1 else 'it'} with {'their' if len(errors) > 1 else 'its'} fixes):"
                    f"\n  {lines}")
        config = TrainConfig.from_dict(graph.meta.get("training"))
        problems = settings_problems(graph.meta)
        if problems:
            return f"Cannot {verb}: the settings are not usable: {'; '.join(problems)}"
        if config.init_from and not Path(config.init_from).is_file():
            return f"Cannot {verb}: the checkpoint '{config.init_from}' to start from does not exist"
        return None

    def start_sweep(self, runs: DocumentRuns, graph, problems: list, spec, name: str) -> str | None:
        """Sweep a copy of `graph` (each trial a run of `runs`); why it cannot start, or None."""
        reason = self._usable(graph, problems, "sweep")
        if reason:
            return reason
        graph = loads(dumps(graph), check_node)
        self.runs, self.state, self.result, self.paused, self.sweeping = runs, None, None, False, name
        worker = SweepWorker(graph, spec, runs.folder, name, self.pulse)
        worker.runCreated.connect(self._on_run_created)
        worker.trial.connect(self._on_trial)
        self._launch(worker)
        self.sweepStarted.emit(name, spec.to_dict())
        return None

    def _on_trial(self, record) -> None:
        """A sweep's trial started or ended: its run's status says how it went."""
        state = self.state
        if record.status != "running" and state is not None and self.worker is not None:
            got = f", {record.message}" if record.message else ""
            metric = f": {record.metric:.4g}" if record.metric is not None else ""
            state.status = f"{state.run.name}: trial {record.number + 1} {record.status}{metric}{got}."
            done, total = state.progress
            state.progress = (total, total) if record.status == "complete" else (done, total)
            self.runs.updated(state)
        self.trialChanged.emit(record)

    def _on_run_created(self, run) -> None:
        """A sweep's next trial: a run of the document, current and shown."""
        if self.worker is None:
            return
        self.state = self.runs.add(run)
        self.state.status = f"{run.name}: starting…"
        self._samples, self._started, self._paused_for, self._first_step = 0, time.perf_counter(), 0.0, None
        self.started.emit(self.state)

    def start(self, runs: DocumentRuns, graph, problems: list, resume: RunState | None = None) -> str | None:
        """Train a copy of `graph` as a new run of `runs` (or go on with the run `resume`).
        Returns why it cannot start, or None; what goes wrong later ends the run with its reason."""
        verb = "resume" if resume else "train"
        reason = self._usable(graph, problems, verb)
        if reason:
            return reason
        graph = loads(dumps(graph), check_node)  # edits made meanwhile do not reach the run
        config = TrainConfig.from_dict(graph.meta.get("training"))
        if resume is not None:
            reason = self._resumable(resume, graph)
            if reason:
                return f"Cannot resume: {reason}"
        try:
            run = resume.run if resume else Run.create(runs.folder, graph)
        except OSError as e:
            return f"Cannot {verb}: the run's folder cannot be written ({e.strerror or e})"
        if resume is not None:
            state = resume
            run.status = "running"
            runs.set_current(state)
            runs.set_shown(state.id, True)
        else:
            state = runs.add(run)
        self.runs, self.state, self.result, self.paused, self.sweeping = runs, state, None, False, None
        state.note, state.warnings, state.evaluation = "", [], None
        state.status = f"{run.name}: starting…"
        self._samples, self._started, self._paused_for, self._first_step = 0, time.perf_counter(), 0.0, None
        self._launch(TrainWorker(graph, config, run, resume is not None, self.pulse))
        self.started.emit(state)
        runs.updated(state)
        return None

    def _launch(self, worker: TrainWorker) -> None:
        self.runs.training = True  # saving the document meanwhile moves its runs when this ends
        self.worker = worker
        self.worker_thread = QThread()
        self.worker.moveToThread(self.worker_thread)
        self.worker_thread.started.connect(self.worker.work)
        self.worker.ready.connect(self._on_ready)
        self.worker.steps.connect(self._on_steps)
        self.worker.epoch.connect(self._on_epoch)
        self.worker.finished.connect(self._on_finished)
        # The training thread holds the GIL between torch calls; hand it back to the window often.
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(0.0005)
        hold_garbage_collection()  # collected on this thread once the run is built (see _on_ready)
        self.pulse.start()
        self._beat.start()
        RUNNING.add(self.worker)
        self.worker_thread.start()

    @staticmethod
    def _resumable(state: RunState, graph) -> str | None:
        from ...graph.diff import network_differences

        if not state.run.checkpoint.is_file():
            return f"{state.run.name} has no checkpoint to resume from (it wrote none)"
        try:
            before = state.run.graph()
        except Exception as e:  # noqa: BLE001 - a damaged copy: say so
            return f"{state.run.name}'s copy of the network cannot be read: {e}"
        differ = network_differences(before, graph)
        if differ:
            return f"the network differs from {state.run.name}'s: {'; '.join(differ)}"
        return None

    def toggle_pause(self) -> None:
        if self.worker is None or self.state is None:
            return
        self.paused = self.state.paused = not self.paused
        self.worker.set_paused(self.paused)
        now = time.perf_counter()
        if self.paused:
            self._paused_at = now
            done, total = self.state.progress
            self.state.status = f"{self.state.run.name}: paused at step {done} of {total}. Press Resume to go on."
        else:
            self._paused_for += now - self._paused_at
            self.state.status = f"{self.state.run.name}: resumed…"
        self.runs.updated(self.state)

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            if self.paused:
                self.toggle_pause()

    def shutdown(self, why: str = "") -> None:
        """Stop training and wait for the thread (closing the window or the document); the run's folder says it
        stopped, and `why` when given."""
        if self.worker_thread is not None:
            self.worker.stop()
            self.worker.set_paused(False)
            state = self.state
            self._cleanup()  # the run ends as a stopped one: its recorder writes its status and last epoch
            if why and state is not None and state.run.status == "stopped":
                state.run.message = f"{state.run.message}: {why}" if state.run.message else why
                try:
                    state.run.save()
                except OSError:
                    pass  # the run stays recorded as stopped, without the reason

    # ---- from the worker -----------------------------------------------------------------------
    def _on_ready(self, info: dict) -> None:
        # Young garbage is collected from now on: what the run built (network, optimizer, data, its code: a hundred
        # thousand objects) is frozen out of the collections as it starts; one collection in the middle of building
        # walked all of it (140 ms, measured).
        if not self._collector.isActive():
            self._collector.start()
        state = self.state
        if state is None:
            return
        state.layers, state.networks, state.note = info["layers"], info["networks"], info["note"]
        state.test_images, state.class_names = info["test_images"], info["class_names"]
        state.samples = info["samples"]
        state.gradients.clear()
        state.progress = (0, 0)
        state.status = f"{state.run.name}: training… {state.note}".strip()
        self.runs.updated(state)

    def _on_steps(self, payload) -> None:
        steps, warnings = payload
        state = self.state
        if state is None or self.worker is None:  # queued before a shutdown
            return
        history = state.history
        for s in steps:
            history.add_step(s.global_step, s.lr, s.metrics)
            if len(s.grad_norms) == len(state.layers):
                state.gradients.append(s.grad_norms)
            self._samples += s.samples
        state.warnings = warnings
        last = steps[-1]
        if self._first_step is None:
            self._first_step = steps[0].global_step
        total = int(TrainConfig.from_dict(state.run.settings).epochs) * last.steps_per_epoch
        state.progress = (last.global_step + 1, total)
        if not self.paused:
            elapsed = time.perf_counter() - self._started - self._paused_for
            rate = self._samples / elapsed if elapsed > 0 else 0.0
            done_here = max(1, last.global_step + 1 - self._first_step)
            eta = (total - last.global_step - 1) * elapsed / done_here
            warned = len(warnings)
            state.status = (f"{state.run.name}: epoch {last.epoch + 1}/{total // last.steps_per_epoch}, step"
                            f" {last.step + 1}/{last.steps_per_epoch}: loss {last.loss:.4f}, {rate:,.0f} samples/s,"
                            f" about {eta:.0f} s left"
                            + (f"  ⚠ {warned} gradient warning{'s' * (warned > 1)} on the layers" if warned else "")
                            + (f"  {state.note}" if state.note else ""))
        self.stepped.emit(state)
        self.runs.updated(state)

    def _on_epoch(self, payload) -> None:
        epoch, pictures, warnings, (boundary, why_not), stats = payload
        state = self.state
        if state is None or self.worker is None:
            return
        state.history.add_epoch(epoch.epoch, epoch.lr, epoch.metrics, state.history.steps)
        if pictures is not None:
            state.pictures = pictures
        state.warnings = warnings
        state.boundary, state.boundary_why_not = boundary, why_not
        state.layer_stats = stats
        self.runs.updated(state)

    def _on_finished(self, result) -> None:
        self.result = result
        state = self.state
        if self.worker_thread is None:  # already shut down (the window closed): nothing to show
            return
        self._cleanup()
        if self.sweeping:
            self.sweeping = None
            if state is not None:
                state.status = result.message  # what the sweep found stays on the status line
                self.runs.updated(state)
                self.ended.emit(state)
            self.sweepEnded.emit(result.message)
            return
        if state is None:
            return
        state.evaluation = result.evaluation
        state.warnings = list(state.warnings)
        state.status = _finished_text(state, result)
        if result.epochs:
            done, total = state.progress
            state.progress = (done, total) if result.status != "finished" else (total, total)
        self.runs.updated(state)
        self.ended.emit(state)

    def _cleanup(self) -> None:
        self.worker_thread.quit()  # the worker has returned: its thread only waits in its event loop
        self.worker_thread.wait()
        sys.setswitchinterval(self._switch_interval)
        self._collector.stop()
        self._beat.stop()
        release_garbage_collection()
        RUNNING.discard(self.worker)
        self.worker.deleteLater()
        self.worker_thread.deleteLater()
        self.worker = self.worker_thread = None
        self.paused = False
        if self.state is not None:
            self.state.paused = False
        self.runs.settle()


def _finished_text(state: RunState, result) -> str:
    last = result.epochs[-1] if result.epochs else None
    summary = {"finished": "Finished", "stopped": "Stopped", "early_stopped": "Stopped early",
               "failed": "Failed"}[result.status]
    if result.status == "failed" and result.message.startswith("Cannot"):
        return f"{state.run.name}: {result.message}"
    acc = ""
    if last is not None:
        from ...train.loop import parts

        accuracies = parts(last.metrics, "val_accuracy")
        if accuracies:
            acc = ", validation accuracy " + ", ".join(f"{k} {v:.1%}" for k, v in accuracies.items() if v is not None)
        elif last.val_acc is not None:
            acc = f", validation accuracy {last.val_acc:.1%}"
    tested = result.evaluation
    if tested is not None:
        acc += (f", test accuracy {tested.accuracy:.1%}" if tested.accuracy is not None
                else f", test loss {tested.loss:.4f}") + " (Test set tab)"
    text = f"{state.run.name}: {summary}{acc}. {result.message}".strip()
    saved = [name for name in ("best.pt", "last.pt") if (state.run.folder / name).exists()]
    if result.epochs and saved:
        text += f"  Checkpoints ({', '.join(saved)}) in {state.run.folder}."
    warnings = state.warnings
    if warnings:
        text += (f"  ⚠ {len(warnings)} gradient warning{'s' * (len(warnings) > 1)}: they are on the"
                 " layers and in the Problems panel, with their remedies.")
    return text
