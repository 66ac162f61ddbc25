"""Work a view needs that would freeze the window (running a network, reading a checkpoint), on one pool
thread. Requests made while one runs are coalesced: only the newest waits, and only its answer is shown.
An error in the work reaches `on_error` described for the user (a bug's traceback goes to the log). While
work runs, cyclic garbage is not collected (as while training: a collection on the pool thread could free
a Qt object of the window there; see training.worker.hold_garbage_collection)."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from ..errors import describe
from .training.worker import hold_garbage_collection, release_garbage_collection


class _Signals(QObject):
    done = Signal(object, object)  # (the request's number, its result or an Exception)


class _Job(QRunnable):
    def __init__(self, signals: _Signals, number: int, work: Callable):
        super().__init__()
        self.signals, self.number, self.work = signals, number, work

    def run(self) -> None:
        try:
            result = self.work()
        except Exception as e:  # noqa: BLE001 - the view's boundary: described on the window's thread
            result = e
        self.signals.done.emit(self.number, result)


class Background(QObject):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self.signals = _Signals(self)
        self.signals.done.connect(self._done)
        self.busy = False
        self._number = 0
        self._waiting: tuple | None = None
        self._handlers: dict[int, tuple[Callable, Callable]] = {}
        held = self._held = {"count": 0}  # a view closed while its work ran gives collection back after it
        pool = self.pool
        self.destroyed.connect(lambda *_: held["count"] and (pool.waitForDone(), [
            release_garbage_collection() for _ in range(held["count"])]))

    def submit(self, work: Callable, on_done: Callable, on_error: Callable) -> None:
        """Run work() on the pool thread; on_done(result) or on_error(message) on the window's thread."""
        self._number += 1
        if self.busy:
            self._waiting = (self._number, work, on_done, on_error)
            return
        self._start(self._number, work, on_done, on_error)

    def _start(self, number: int, work, on_done, on_error) -> None:
        self.busy = True
        self._handlers = {number: (on_done, on_error)}
        hold_garbage_collection()
        self._held["count"] += 1
        self.pool.start(_Job(self.signals, number, work))

    def _done(self, number: int, result) -> None:
        on_done, on_error = self._handlers.pop(number)
        self.busy = False
        self._held["count"] -= 1
        release_garbage_collection()
        if self._waiting is not None:  # a newer request: its answer is the one to show
            waiting, self._waiting = self._waiting, None
            self._start(*waiting)
            return
        if isinstance(result, Exception):
            on_error(describe(result))
        else:
            on_done(result)
