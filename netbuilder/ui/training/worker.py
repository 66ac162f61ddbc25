"""Training on a QThread: the trainer is built there (data, network, optimizer: nothing of it stalls the
window), then runs. Metrics cross to the window batched, a few dozen times a second.

Cyclic garbage collection is off while anything trains and runs on the window's thread instead (see
hold_garbage_collection): a collection on the training thread may free a Qt object of the window there,
and the two threads deadlock."""
from __future__ import annotations

import gc
import logging
import os
import threading
import time

from PySide6.QtCore import QCoreApplication, QObject, Signal, Slot

from ...atomic import no_space
from ...errors import UserError, describe
from ...graph.model import Graph
from ...graph.problems import GraphError
from ...train import Callback, TrainConfig, make_trainer
from ...train.callbacks.diagnosis import Diagnosis
from ...insight.boundary import Boundary
from ...insight.layer_stats import LayerStats
from ...train.callbacks.pictures import Pictures
from ...runs.pictures import PictureKeeper
from ...runs.recorder import RunRecorder
from ...train.callbacks.tensorboard import TensorBoardLog
from ...train.loop import Result, out_of_space
from ...train.errors import TrainingError
from ...runs.run import Run

log = logging.getLogger("netbuilder")
EMIT_SECONDS = 0.04  # at most 25 updates a second
BEAT_SECONDS = 0.005  # the window's pulse while it trains
BEHIND_SECONDS = 0.012  # a beat this late: the window is busy, or waits for the interpreter lock
WAIT_SECONDS = 0.05  # the longest the training thread waits for the window at a time
WAIT_SHARE = 0.2  # and at most this share of the training time (a window whose timers sleep, hidden, costs no more)
CALM_BEATS = 3  # beats on time in a row: the window has laid out and painted what the press of Train showed
SETTLE_SECONDS = 0.5  # the longest a run waits for that before it builds its trainer
GIVE_WAY = True  # bench_responsive turns it off to measure the window without it
TRAIN_THREADS = max(1, (os.cpu_count() or 2) - 1)
RUNNING: set = set()  # workers whose thread has not ended (tests check that none is left)


class _WarmUp(QObject):
    done = Signal()


_warming: list = []


def warm_up_in_background() -> None:
    """Import what the first run needs (torch's optimizers pull in its compiler stack: a second or more,
    part of it in C holding the interpreter lock) on a thread of its own while the app starts, so the
    first press of Train neither waits for it nor stalls the window. Garbage collection is held meanwhile
    (see hold_garbage_collection)."""
    if _warming:
        return
    signals = _WarmUp()
    signals.done.connect(release_garbage_collection)
    _warming.append(signals)

    def work():
        try:
            import torch

            from ...train import recipes

            recipes.recipes()
            torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=0.1)
        finally:
            signals.done.emit()

    hold_garbage_collection()
    threading.Thread(target=work, name="netbuilder-warm-up", daemon=True).start()


_runs = 0  # training runs going on in this process


def hold_garbage_collection() -> None:
    """While anything trains, cyclic garbage is collected only on the window's thread (collect_young).
    What exists now is frozen out of later collections, so those stay short."""
    global _runs
    if _runs == 0:
        gc.disable()
        gc.freeze()
    _runs += 1


def release_garbage_collection() -> None:
    global _runs
    _runs = max(0, _runs - 1)
    if _runs == 0:
        gc.unfreeze()
        gc.enable()


def freeze_built() -> None:
    """What a run has just built (network, optimizer, data: tens of thousands of objects that live as long as the
    run) leaves the young generations, so collect_young does not walk it again and again (20-30 ms each of the
    first collections of a run, measured)."""
    if _runs:
        gc.freeze()


YOUNG_AT_MOST = 20_000  # young objects one collection walks on the window's thread (about 10 ms); a burst is frozen


def collect_young() -> None:
    """Collect the young generations (on the window's thread, while anything trains): a few milliseconds.
    What lives long enough to reach the old generation waits for the first collection after the run. A burst of
    new objects (modules imported late, on the warm-up's or the training thread: 150 ms to walk, measured) is frozen
    instead, as freeze_built does: it is long-lived, and the first collection after the run sees it."""
    if not _runs:
        return
    if gc.get_count()[0] > YOUNG_AT_MOST:
        gc.freeze()
    else:
        gc.collect(1)


class WindowPulse:
    """The window's event loop beats (a timer on its thread calls beat()); the training thread gives way at each
    step's end while the window is behind: it waits for the next beat, holding no lock, so the window has the
    interpreter to itself meanwhile. On two cores the training thread and the window share the interpreter lock;
    without this, a repaint or a collection on the window's thread takes turns with the training thread's Python
    every switch interval and lasts about twice as long."""

    def __init__(self):
        self.last = self.since = time.perf_counter()
        self._beat = threading.Event()
        self.waits, self.waited = 0, 0.0  # how often, and for how long, training gave way

    def beat(self) -> None:
        self.last = time.perf_counter()
        self._beat.set()

    def start(self) -> None:
        """A run starts: the window beats from now on, and the share waited counts from now."""
        self.since = time.perf_counter()
        self.waits, self.waited = 0, 0.0
        self.beat()

    def settle(self) -> None:
        """Wait (at most SETTLE_SECONDS) until the window has beaten CALM_BEATS times on time: what the press of
        Train showed (the Training dock, laid out and painted) is done before the run builds its trainer."""
        if not GIVE_WAY:
            return
        end = time.perf_counter() + SETTLE_SECONDS
        calm, seen = 0, self.last
        while calm < CALM_BEATS and time.perf_counter() < end:
            self._beat.clear()
            if self.last == seen:
                self._beat.wait(max(0.0, min(WAIT_SECONDS, end - time.perf_counter())))
            beat = self.last
            if beat != seen:
                calm = calm + 1 if beat - seen <= BEHIND_SECONDS else 0
                seen = beat

    def give_way(self) -> None:
        if not GIVE_WAY or time.perf_counter() - self.last <= BEHIND_SECONDS:
            return
        self._beat.clear()
        began = time.perf_counter()
        if began - self.last <= BEHIND_SECONDS or self.waited > WAIT_SHARE * (began - self.since):
            return  # it beat just now, or training has given it its share
        self._beat.wait(WAIT_SECONDS)
        self.waits += 1
        self.waited += time.perf_counter() - began


class Channel(Callback):
    """Collects steps on the training thread; hands them over in batches, and each epoch with what the
    run shows (pictures, the diagnosis's verdict)."""

    def __init__(self, worker: "TrainWorker", pictures: Pictures, diagnosis: Diagnosis,
                 boundary: Boundary | None = None, stats: LayerStats | None = None):
        self.worker, self.pictures, self.diagnosis, self.boundary = worker, pictures, diagnosis, boundary
        self.stats = stats
        self.pulse = worker.pulse
        self.pending: list = []
        self.lock = threading.Lock()
        self.last = 0.0

    def on_train_start(self, trainer) -> None:
        freeze_built()

    def on_step_end(self, trainer, step) -> None:
        with self.lock:
            self.pending.append(step)
        now = time.perf_counter()
        if now - self.last >= EMIT_SECONDS or step.step + 1 == step.steps_per_epoch:
            self.last = now
            self.flush()
        if self.pulse is not None:
            self.pulse.give_way()

    def flush(self) -> None:
        with self.lock:
            batch, self.pending = self.pending, []
        if batch:
            self.worker.steps.emit((batch, self.diagnosis.latest))

    def on_epoch_end(self, trainer, epoch) -> None:
        self.flush()
        boundary = (self.boundary.latest, self.boundary.why_not) if self.boundary else (None, "")
        stats = self.stats.latest if self.stats else {}
        self.worker.epoch.emit((epoch, self.pictures.latest, self.diagnosis.latest, boundary, stats))
        if self.pulse is not None:
            self.pulse.give_way()

    def on_train_end(self, trainer, result) -> None:
        self.flush()


class TrainWorker(QObject):
    ready = Signal(object)  # dict: layers, networks, note, test images, class names, steps per epoch
    steps = Signal(object)  # (list of train.Step, diagnosis warnings)
    epoch = Signal(object)  # (train.Epoch, pictures or None, diagnosis warnings, (boundary or None, why not),
    #                          layer histograms)
    finished = Signal(object)  # train.Result

    def __init__(self, graph: Graph, config: TrainConfig, run: Run, resume: bool, pulse: WindowPulse | None = None):
        super().__init__()
        self.graph, self.config, self.run_, self.resume = graph, config, run, resume
        self.pulse = pulse  # the window's, which its controller beats (None: training never gives way)
        self.trainer = None
        self._lock = threading.Lock()
        self._stop = self._paused = False

    # ---- from the window's thread --------------------------------------------------------------
    def stop(self) -> None:
        with self._lock:
            self._stop = True
            if self.trainer is not None:
                self.trainer.stop()

    def set_paused(self, paused: bool) -> None:
        with self._lock:
            self._paused = paused
            if self.trainer is not None:
                self.trainer.pause() if paused else self.trainer.resume()

    # ---- on the training thread ----------------------------------------------------------------
    @Slot()
    def work(self) -> None:
        """What the thread runs. (The one slot: PySide does not see a slot a subclass overrides, and would
        then call it on the window's thread.)"""
        self.run()

    def run(self) -> None:
        import torch

        torch.set_num_threads(TRAIN_THREADS)  # leave a core to the window
        verb = "resume" if self.resume else "train"
        try:
            result = self._train(verb)
        except (TrainingError, GraphError) as e:
            result = Result("failed", f"Cannot {verb}: {e}")
            self._record_failure(result)
        except OSError as e:  # the run's folder cannot be written: a full disk, no permission
            message = out_of_space(e, self.run_.folder, 0) if no_space(e) else describe(e)
            result = Result("failed", f"Cannot {verb}: {message}")
            self._record_failure(result)
        except Exception as e:  # noqa: BLE001 - the thread's boundary: the window must always hear the end
            log.exception("training failed")
            result = Result("failed", f"Cannot {verb}: an internal error ({type(e).__name__}: {e}); see the log")
            self._record_failure(result)
        # Back to the window's thread before this one ends, so deleting it later is an ordinary deletion
        # there, not one on a thread that no longer runs.
        self.moveToThread(QCoreApplication.instance().thread())
        self.finished.emit(result)

    def _hold(self, trainer) -> None:
        """The trainer that Pause and Stop reach from now on, told of a Pause or Stop already asked for."""
        with self._lock:
            self.trainer = trainer
            if self._stop:
                trainer.stop()
            if self._paused:
                trainer.pause()

    def _train(self, verb: str) -> Result:
        if self.pulse is not None:
            self.pulse.settle()
        diagnosis, pictures, boundary, stats = Diagnosis(self.graph), Pictures(), Boundary(), LayerStats()
        channel = Channel(self, pictures, diagnosis, boundary, stats)
        callbacks = [diagnosis, pictures, PictureKeeper(self.run_.folder, pictures), boundary, stats,
                     RunRecorder(self.run_), TensorBoardLog(self.run_.folder), channel]
        trainer, data = make_trainer(self.graph, self.config, callbacks, self.run_.folder)
        if self.resume:
            trainer.load_checkpoint(self.run_.checkpoint)
        self._hold(trainer)
        prepared = data.prepared
        note = f"Resumed after epoch {trainer.start_epoch}." if self.resume else ""
        if trainer.transferred:
            note += f" {', '.join(trainer.transferred)} started from {os.path.basename(self.config.init_from)}."
        if trainer.transfer_skipped:
            note += f" Not from the checkpoint: {'; '.join(trainer.transfer_skipped)}."
        self.ready.emit({"layers": list(trainer.monitor.layers), "networks": list(trainer.monitor.networks.items()),
                         "note": note.strip(),
                         "test_images": prepared.shown(prepared.test[0]) if prepared.raw.kind == "image" else None,
                         "samples": self.run_.keep_samples(prepared, trainer.recipe.keeps_inputs),
                         "class_names": prepared.raw.class_names, "start_epoch": trainer.start_epoch,
                         "notes": list(prepared.raw.notes)})
        try:
            return trainer.run()
        finally:
            trainer.callbacks.remove(channel)  # no cycle back to this QObject

    def _record_failure(self, result: Result) -> None:
        try:
            self.run_.status, self.run_.message, self.run_.ended = "failed", result.message, time.time()
            self.run_.save()
        except OSError:
            log.exception("the run's folder could not be written")


class SweepWorker(TrainWorker):
    """A sweep on the training thread: its trials one after another, each a run whose steps and epochs reach
    the window as a single run's do. Beside TrainWorker's signals: runCreated (each trial's Run, before it
    trains) and trial (a TrialRecord as it starts and ends)."""

    runCreated = Signal(object)
    trial = Signal(object)

    def __init__(self, graph: Graph, spec, folder, name: str, pulse: WindowPulse | None = None):
        super().__init__(graph, TrainConfig.from_dict(graph.meta.get("training")), None, False, pulse)
        self.spec, self.folder, self.name = spec, folder, name
        self.sweep = None

    def stop(self) -> None:
        with self._lock:
            self._stop = True
            if self.sweep is not None:
                self.sweep.stop()
            if self.trainer is not None:
                self.trainer.stop()

    def run(self) -> None:
        import torch

        torch.set_num_threads(TRAIN_THREADS)
        try:
            result = self._sweep()
        except UserError as e:
            result = Result("failed", f"Cannot sweep: {e}")
        except Exception as e:  # noqa: BLE001 - the thread's boundary
            log.exception("the sweep failed")
            result = Result("failed", f"Cannot sweep: an internal error ({type(e).__name__}: {e}); see the log")
        self.moveToThread(QCoreApplication.instance().thread())
        self.finished.emit(result)

    def _sweep(self) -> Result:
        from ...data.dataset import DataSpec, prepare
        from ...tune.sweep import Sweep, label, train_trial

        storage = f"sqlite:///{self.folder / 'sweeps.db'}"
        self.folder.mkdir(parents=True, exist_ok=True)
        sweep = Sweep(self.graph, self.spec, storage, self.name)
        with self._lock:
            self.sweep = sweep
            if self._stop:
                sweep.stop()
        prepared = prepare(DataSpec.from_dict(self.graph.meta.get("data")))  # read once, shared by the trials

        def train(trial_graph, values, trial, pruning):
            diagnosis, pictures = Diagnosis(trial_graph), Pictures()
            channel = Channel(self, pictures, diagnosis)
            trainer, run = train_trial(trial_graph, values, trial, pruning, self.folder, self.name, prepared,
                                       [diagnosis, pictures, channel], on_run=self.runCreated.emit)
            self._hold(trainer)
            self.ready.emit({"layers": list(trainer.monitor.layers), "networks": list(trainer.monitor.networks.items()),
                             "note": f"sweep {self.name}, trial {trial.number + 1}", "test_images": None,
                             "samples": None,
                             "class_names": None, "start_epoch": 0, "notes": []})
            try:
                return trainer.run(), run.id
            finally:
                trainer.callbacks.remove(channel)

        found = sweep.run(train, self.trial.emit)
        best = sweep.best()
        done = f"{len([r for r in found if r.status != 'running'])} trials"
        if best is None:
            return Result("stopped" if self._stop else "finished", f"Sweep {self.name}: {done}, none complete.")
        return Result("stopped" if self._stop else "finished",
                      f"Sweep {self.name}: {done}; best trial {best.number + 1} ({label(best.values)}):"
                      f" {self.spec.metric} {best.metric:.4g}. Apply best sets the document to it.")
