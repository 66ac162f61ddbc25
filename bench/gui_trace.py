"""Where the window's time goes: a QApplication that times every event it delivers on the window's thread
(timers, queued signals from the training thread, paints, layouts), for the benches that probe the event loop.

    app = TracingApp(sys.argv)            # instead of QApplication
    ... run the probe ...
    print(app.report(gaps_with_ends))     # each long gap, with the events that ran inside it

Each delivered event is recorded with its wall time and the window thread's CPU time: a gap whose events add
up to little CPU was spent waiting (for the interpreter lock, or for a core). With profile=True each slow event
keeps a cProfile of itself (it slows Python code down, so its times are for attribution, not for numbers)."""
from __future__ import annotations

import cProfile
import io
import pstats
import time

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication

SLOW = 0.003  # events taking longer than this are kept


def _describe(receiver, event) -> str:
    kind = event.type()
    name = getattr(kind, "name", str(kind))
    try:
        who = type(receiver).__name__
        object_name = receiver.objectName()
        parent = receiver.parent()
        if not object_name and parent is not None:
            object_name = f"in {type(parent).__name__}"
    except RuntimeError:  # deleted meanwhile
        who, object_name = "?", ""
    return f"{name} -> {who}{f' ({object_name})' if object_name else ''}"


class TracingApp(QApplication):
    def __init__(self, argv, profile: bool = False):
        super().__init__(argv)
        self.records: list[tuple[float, float, float, str, str]] = []  # start, wall, cpu, what, profile
        self.profile = profile
        self._depth = 0

    def notify(self, receiver, event):
        self._depth += 1
        outer = self._depth == 1
        profiler = cProfile.Profile() if outer and self.profile else None
        kind = event.type()
        start, cpu = time.perf_counter(), time.thread_time()
        try:
            if profiler is not None:
                profiler.enable()
            return super().notify(receiver, event)
        finally:
            if profiler is not None:
                profiler.disable()
            wall = time.perf_counter() - start
            self._depth -= 1
            if outer and wall > SLOW and kind != QEvent.Type.DeferredDelete:
                text = ""
                if profiler is not None:
                    out = io.StringIO()
                    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(14)
                    text = out.getvalue()
                self.records.append((start, wall, time.thread_time() - cpu, _describe(receiver, event), text))

    def heaviest(self, after: float, count: int = 12) -> str:
        """The events after `after` that took the most of the window thread's CPU."""
        lines = ["events taking the most CPU of the window's thread (ms after the press: wall, CPU, what):"]
        for s, wall, c, what, _ in sorted((r for r in self.records if r[0] >= after), key=lambda r: -r[2])[:count]:
            lines.append(f"   {(s - after) * 1000:7.0f} ms: {wall * 1000:6.1f} ms wall {c * 1000:6.1f} ms CPU  {what}")
        return "\n".join(lines)

    def inside(self, start: float, end: float) -> list:
        return [r for r in self.records if r[0] < end and r[0] + r[1] > start]

    def report(self, gaps: list[tuple[float, float]], start: float = 0.0, count: int = 8) -> str:
        """The `count` longest gaps (each (end time after `start`, length)) with the events that ran in them."""
        lines = []
        for end, length in sorted(gaps, key=lambda g: -g[1])[:count]:
            end += start
            begun = end - length
            events = self.inside(begun, end)
            busy = sum(r[1] for r in events)
            cpu = sum(r[2] for r in events)
            lines.append(f"gap {length * 1000:.1f} ms ending {end - start:.2f} s after the press: slow events"
                         f" {busy * 1000:.1f} ms wall, {cpu * 1000:.1f} ms CPU")
            for s, wall, c, what, text in events:
                lines.append(f"   {(s - begun) * 1000:6.1f} ms in: {wall * 1000:6.1f} ms wall {c * 1000:6.1f} ms CPU  {what}")
                if text:
                    lines.extend("        " + t for t in text.splitlines()[6:30] if t.strip())
        return "\n".join(lines)
