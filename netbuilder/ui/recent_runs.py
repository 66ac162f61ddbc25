"""File > Open Recent (the documents opened or saved lately) and File > Recent Runs: the runs of documents that
were never saved. They stay in the app's folder (one folder per
untitled document); this lists them, newest first, and reopens one: its network (as its latest run started it) as
an untitled document that shows its runs again, to save, compare or resume. Delete Runs… (ui/delete_runs.py)
deletes the folders no longer wanted: never one whose document is open or one with a run training now."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from ..atomic import remove_folder, remove_stale_folders
from ..graph.io import FileFormatError
from ..runs.run import TRAINING, Run, list_runs, runs_root
from . import settings
from .document import Document
from .trust_prompt import trust_opened
from .training.runs_model import open_folders

PREFIX = "untitled-"  # runs.run.document_folder names an untitled document's folder so
SHOWN = 20  # folders listed, newest first


@dataclass
class Found:
    """One untitled document's runs folder."""
    folder: Path
    runs: list[Run]  # oldest first

    @property
    def latest(self) -> Run:
        return self.runs[-1]

    def label(self) -> str:
        """"MLP digits: 3 runs, latest 2025-01-02 10:20 (val acc 0.973)"."""
        try:
            name = self.latest.graph().meta.get("name") or "Untitled"
        except FileFormatError:
            name = "Untitled"
        count = len(self.runs)
        best = self.latest.summary()
        return f"{name}: {count} run{'s' * (count != 1)}, latest {self.latest.when}" + (f" ({best})" if best else "")


def unsaved(root: Path | None = None) -> list[Found]:
    """The runs folders of untitled documents not open now, the one with the newest run first."""
    root = Path(root) if root is not None else runs_root()
    if not root.is_dir():
        return []
    shown = {folder.resolve() for folder in open_folders()}
    found = [Found(child, list_runs(child)) for child in root.glob(f"{PREFIX}*")
             if child.is_dir() and child.resolve() not in shown]
    found = [f for f in found if f.runs]
    return sorted(found, key=lambda f: f.latest.created, reverse=True)


def why_kept(found: Found) -> str | None:
    """Why this folder must not be deleted now (asked again just before deleting: a document may have opened, or
    a run started, since it was listed), or None."""
    folder = found.folder.resolve()
    if folder in {f.resolve() for f in open_folders()}:
        return "its document is open now"
    training = [run.name for run in list_runs(found.folder) if run.status in TRAINING]
    if training:
        return f"{training[0]} is training now (in another window or a terminal)"
    return None


def delete(chosen: list[Found]) -> tuple[list[Found], list[tuple[Found, str]]]:
    """Delete these folders (each at once, see atomic.remove_folder): (those deleted, (those kept, why))."""
    deleted, kept = [], []
    if chosen:
        remove_stale_folders(chosen[0].folder.parent)  # what a removal cut short left before
    for found in chosen:
        reason = why_kept(found)
        if reason is None:
            try:
                remove_folder(found.folder)
            except OSError as e:
                if found.folder.exists():
                    reason = f"it cannot be deleted: {e.strerror or e}"
        if reason:
            kept.append((found, reason))
        else:
            deleted.append(found)
    return deleted, kept


def reopen(found: Found) -> Document:
    """An untitled document of the network its latest readable run started with, showing its runs. Raises
    FileFormatError when no run keeps a readable copy of the network."""
    problem = None
    for run in reversed(found.runs):
        try:
            graph = run.graph()
        except FileFormatError as e:
            problem = problem or e
            continue
        return Document(graph, None, runs_key=found.folder.name[len(PREFIX):])
    raise problem or FileFormatError(f"{found.folder}: no run keeps its network")


class RecentRuns(QMenu):
    """The submenu, filled each time it opens."""

    def __init__(self, bench):
        super().__init__("Recent R&uns", bench.widget)
        self.setObjectName("recent_runs")
        self.setToolTip("The runs of documents closed without saving: choose one to open its network with its runs")
        self.setToolTipsVisible(True)
        self.bench = bench
        self.aboutToShow.connect(self.fill)

    def fill(self) -> None:
        self.clear()
        found = unsaved()
        for entry in found[:SHOWN]:
            action = self.addAction(entry.label())
            action.setToolTip(str(entry.folder))
            action.triggered.connect(lambda checked=False, f=entry: self.open(f))
        if not found:
            self.addAction("(no runs of unsaved documents)").setEnabled(False)
            return
        self.addSeparator()
        remove = self.addAction("&Delete Runs…")
        remove.setObjectName("delete_runs")
        remove.setToolTip("Choose runs of unsaved documents to delete from disk (asks before deleting)")
        remove.triggered.connect(self.delete_runs)

    def delete_runs(self) -> None:
        """The Delete Runs dialog on the folders listed now."""
        from .delete_runs import DeleteRunsDialog

        DeleteRunsDialog(unsaved(), self.bench).exec()

    def open(self, found: Found) -> bool:
        """Show this folder's network and runs in the window (asking about the current document first)."""
        try:
            document = reopen(found)
        except FileFormatError as e:
            self.bench.show_message("Cannot reopen the runs", str(e))
            return False
        if not self.bench.show_document(document):
            return False
        trust_opened(self.bench.widget, document)  # its code runs only once trusted, as an opened file's
        self.bench.show_status(f"{found.label()}: the network as its latest run started it. Save it to keep its"
                               " runs with it.", 10000)
        return True


class RecentFiles(QMenu):
    """The documents opened or saved lately, filled each time it opens."""

    def __init__(self, bench):
        super().__init__("Open &Recent", bench.widget)
        self.setObjectName("recent_files")
        self.bench = bench
        self.aboutToShow.connect(self.fill)

    def fill(self) -> None:
        self.clear()
        files = settings.recent_files()
        for path in files:
            self.addAction(path).triggered.connect(lambda checked=False, p=path: self.bench.open_file(p))
        if not files:
            self.addAction("(none)").setEnabled(False)


def install(bench) -> RecentRuns:
    """File > Open Recent and Recent Runs, after Open (once per window)."""
    found = bench.action("recent_runs")
    if found is not None:
        return found.menu()
    files: QAction = RecentFiles(bench).menuAction()
    bench.add_action("file", "open_recent", files, after=("open",))
    menu = RecentRuns(bench)
    bench.add_action("file", "recent_runs", menu.menuAction(), after=("open_recent",))
    return menu
