"""Autosave to a recovery file every 30 s; after a crash the next start offers to restore it."""
from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

from PySide6.QtCore import QObject, QTimer

from ..atomic import write_atomic
from ..graph import io
from ..processes import alive
from .settings import config_dir

INTERVAL_MS = 30_000
_counter = itertools.count(1)


def recovery_dir() -> Path:
    folder = config_dir() / "recovery"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Autosave(QObject):
    """Writes the window's document to its own recovery file while it has unsaved changes."""

    def __init__(self, bench, interval_ms: int = INTERVAL_MS):
        super().__init__(bench)
        self.bench = bench
        self.stem = f"{os.getpid()}-{next(_counter)}"
        self._saved_index = None
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.save_now)
        self.timer.start(interval_ms)

    @property
    def path(self) -> Path:
        return recovery_dir() / f"{self.stem}.json"

    def save_now(self) -> None:
        doc = self.bench.document
        if doc is None or not doc.modified:
            self.discard()
            return
        index = (id(doc), doc.undo_stack.index())
        if index == self._saved_index and self.path.exists():
            return
        try:
            io.save(doc.graph, self.path)
            info = {"path": doc.path, "title": doc.title, "pid": os.getpid(),
                    "runs": None if doc.path else doc.runs.key}  # an untitled document's runs come back with it
            write_atomic(recovery_dir() / f"{self.stem}.info", json.dumps(info))
            self._saved_index = index
        except OSError as e:
            self.bench.show_status(f"Autosave failed: {e.strerror}", 5000)

    def discard(self) -> None:
        self._saved_index = None
        for suffix in (".json", ".info"):
            (recovery_dir() / f"{self.stem}{suffix}").unlink(missing_ok=True)


def orphans() -> list[tuple[Path, dict]]:
    """Recovery files left by netbuilder processes that are gone (crashed or killed)."""
    found = []
    for path in sorted(recovery_dir().glob("*.json")):
        try:
            info = json.loads(path.with_suffix(".info").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            info = {"title": path.stem, "path": None, "pid": -1}
        if not alive(int(info.get("pid", -1))):
            found.append((path, info))
    return found


def remove(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.with_suffix(".info").unlink(missing_ok=True)
