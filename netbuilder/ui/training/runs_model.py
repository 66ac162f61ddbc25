"""A document's runs as the window shows them: which is current, which are overlaid, and what each run
shows (curves, gradients, test results, samples, status) so that switching runs or documents redraws
from the run, never from what a view kept."""
from __future__ import annotations

import os
import shutil
import weakref
from collections import deque
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from ...atomic import remove_folder
from ...runs.history import History
from ...runs.pictures import read_pictures
from ...runs.run import TRAINING, Run, document_folder, list_runs, new_key

GRADIENT_STEPS = 200  # steps of gradient norms a run keeps for its heatmap


class RunState:
    """One run and what the window shows of it. The curves of a run read from disk load when first drawn."""

    def __init__(self, run: Run, history: History | None = None):
        self.run = run
        self._history = history
        self.gradients: deque[list[float]] = deque(maxlen=GRADIENT_STEPS)
        self.layers: list[str] = []  # the layers of the gradient norms, network by network
        self.networks: list[tuple[str, list[str]]] = []
        self._evaluation = None
        self._evaluation_read = False
        self.test_images = None  # the test split's images, for the misclassified grid
        self.samples = None  # test samples, normalisation, task (Run.keep_samples), for the Inside tab
        self.layer_stats: dict = {}  # (layer, kind) -> histograms over epochs (train.callbacks.layer_stats)
        self.class_names: list[str] | None = None
        self._pictures = None  # (caption, samples, real points or None[, strip]): what a generative run made last
        self._pictures_read = run.status == "running"  # a run from disk: what it kept in its folder, read once
        self.warnings: list = []  # the diagnosis's latest verdict
        self.boundary = None  # the decision boundary at the latest epoch (a classifier of two features)
        self.boundary_why_not = ""  # or why there is none
        self.status = _ended_text(run)
        self.progress = (run.epochs_done, max(run.epochs_done, int(run.settings.get("epochs", 0) or 0)))
        self.note = ""  # stays on the status line for the whole run (resumed from, transferred layers)
        self.paused = False  # a running run held by Pause

    @property
    def status_word(self) -> str:
        """Its status in a word or two: for a run this window trains, what its Pause button asked for (the
        training thread writes it to the run once the step under way ends); else the run's own."""
        if self.running and self.run.owner.get("pid") == os.getpid():
            return "paused" if self.paused else "running"
        return self.run.status.replace("_", " ")

    @property
    def id(self) -> str:
        return self.run.id

    @property
    def history(self) -> History:
        if self._history is None:
            self._history = self.run.history()
        return self._history

    @property
    def evaluation(self):
        if not self._evaluation_read and self._evaluation is None:
            self._evaluation_read = True
            self._evaluation = self.run.read_evaluation()
        return self._evaluation

    @evaluation.setter
    def evaluation(self, value) -> None:
        self._evaluation = value

    @property
    def pictures(self):
        if not self._pictures_read and self._pictures is None:
            self._pictures_read = True
            self._pictures = read_pictures(self.run.folder)
        return self._pictures

    @pictures.setter
    def pictures(self, value) -> None:
        self._pictures = value

    @property
    def running(self) -> bool:
        """Whether a process trains it now (this window, or another one: a paused run too)."""
        return self.run.status in TRAINING


def _ended_text(run: Run) -> str:
    words = {"running": "Running", "paused": "Paused", "finished": "Finished", "stopped": "Stopped",
             "early_stopped": "Stopped early", "failed": "Failed",
             "interrupted": "Interrupted (the app closed while it trained)"}[run.status]
    result = run.summary()
    return f"{run.name}: {words} after {run.epochs_done} epoch{'s' * (run.epochs_done != 1)}" \
           + (f", best {result}" if result else "") + (f". {run.message}" if run.message else ".")


class DocumentRuns(QObject):
    """The runs of one document. Views subscribe to it; the run controller feeds the running one."""

    listChanged = Signal()  # runs added, removed or renamed
    currentChanged = Signal(object)  # RunState or None
    shownChanged = Signal()  # the ticked runs
    runUpdated = Signal(object)  # RunState: new steps, an epoch, a status

    def __init__(self, path: str | None = None, parent=None, key: str | None = None):
        super().__init__(parent)
        self.key = key or new_key()  # an unsaved document's own folder
        self.path = path
        self.states: list[RunState] = []
        self.current: RunState | None = None
        self.shown: set[str] = set()
        self.training = False  # a run or sweep of the document trains now (the run controller says)
        self._unmoved: Path | None = None  # where the runs stay until that ends, when the document was saved meanwhile
        OPEN.add(self)
        self.reload()

    def close(self) -> None:
        """The document closed: its folder is no longer shown by anyone."""
        OPEN.discard(self)

    @property
    def folder(self) -> Path:
        return self._unmoved or document_folder(self.path, self.key)

    def reload(self) -> None:
        self.states = [RunState(run) for run in list_runs(self.folder)]
        self.current = self.states[-1] if self.states else None
        self.shown = {self.current.id} if self.current else set()
        self.listChanged.emit()
        self.shownChanged.emit()
        self.currentChanged.emit(self.current)

    def moved_to(self, path: str) -> None:
        """The document was saved as `path`: its runs move to that path's folder (once the run training now
        ends: its folder is being written)."""
        old = self.folder
        self.path = path
        if self.training:
            self._unmoved = old
            return
        self._move(old)

    def settle(self) -> None:
        """The run or sweep training ended: the runs go where the document was saved meanwhile."""
        self.training = False
        old, self._unmoved = self._unmoved, None
        if old is not None:
            try:
                self._move(old)
            except OSError:
                self._unmoved = old  # they stay, and are listed, where they are

    def _move(self, old: Path) -> None:
        new = self.folder
        if old != new and old.is_dir():
            new.mkdir(parents=True, exist_ok=True)
            for child in old.iterdir():
                if not (new / child.name).exists():
                    shutil.move(str(child), str(new / child.name))
            shutil.rmtree(old, ignore_errors=True)
        if old != new:
            self.reload()

    def state(self, run_id: str) -> RunState | None:
        return next((s for s in self.states if s.id == run_id), None)

    def add(self, run: Run, history: History | None = None) -> RunState:
        state = RunState(run, history or History())
        self.states.append(state)
        self.shown.add(state.id)
        self.listChanged.emit()
        self.set_current(state)
        self.shownChanged.emit()
        return state

    def take(self, runs: list[Run]) -> None:
        """Runs made elsewhere in its folder (Optimize's versions): listed, or their states replaced when they were
        made again; the current run stays current."""
        if not runs:
            return
        for run in runs:
            old = self.state(run.id)
            if old is not None:
                self.states[self.states.index(old)] = RunState(run)
            else:
                self.states.append(RunState(run))
        current = self.current and self.state(self.current.id)
        if current is not self.current:
            self.set_current(current)
        self.listChanged.emit()

    def set_current(self, state: RunState | None) -> None:
        if state is self.current:
            return
        self.current = state
        self.currentChanged.emit(state)

    def set_shown(self, run_id: str, shown: bool) -> None:
        if (run_id in self.shown) == shown:
            return
        (self.shown.add if shown else self.shown.discard)(run_id)
        self.shownChanged.emit()

    def shown_states(self) -> list[RunState]:
        return [s for s in self.states if s.id in self.shown]

    def rename(self, run_id: str, name: str) -> None:
        state = self.state(run_id)
        name = name.strip()
        if state is None or not name or name == state.run.name:
            return
        state.run.name = name
        state.run.save()
        self.listChanged.emit()
        self.runUpdated.emit(state)

    def delete(self, run_id: str) -> str | None:
        """Remove a run and its folder; the reason when it cannot be."""
        state = self.state(run_id)
        if state is None:
            return None
        if state.running:
            return "a run cannot be deleted while it trains: stop it first"
        try:
            remove_folder(state.run.folder)  # in one step: never half a run left behind in the list
        except OSError as e:
            if state.run.folder.exists():
                return f"its folder cannot be deleted: {e.strerror or e}"
        self.states.remove(state)
        self.shown.discard(run_id)
        self.listChanged.emit()
        self.shownChanged.emit()
        if self.current is state:
            self.set_current(self.states[-1] if self.states else None)
        return None

    def updated(self, state: RunState) -> None:
        self.runUpdated.emit(state)

    def color(self, state: RunState) -> tuple[int, int, int]:
        """The run's colour in every plot: by its place in the list, so it never changes while shown."""
        index = self.states.index(state) if state in self.states else 0
        return PALETTE[index % len(PALETTE)]


OPEN: "weakref.WeakSet[DocumentRuns]" = weakref.WeakSet()  # the runs of the documents open in this process


def open_folders() -> set[Path]:
    """The runs folders of the documents open now (in any window)."""
    return {runs.folder for runs in list(OPEN)}


PALETTE = ((38, 139, 210), (220, 50, 47), (133, 153, 0), (211, 54, 130), (42, 161, 152), (203, 75, 22),
           (108, 113, 196), (181, 137, 0))
