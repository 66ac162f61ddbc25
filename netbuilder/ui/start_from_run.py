"""From the run list: "Start a New Network from This Run" (a new document whose layers start from the run's
weights) and, for a run of a lesson's step, "Start the Lesson's Next Step from This Run" (runs/start_from.py)."""
from __future__ import annotations

from ..graph.io import FileFormatError
from ..runs.start_from import lesson_next_step, start_from_run
from ..train.transfer import TransferError
from .document import Document


def install(bench, run_list) -> None:
    run_list.startRequested.connect(lambda state, what: start(bench, state.run, what))


def start(bench, run, what: str = "network") -> bool:
    """Open the new document in the window; a run that cannot be started from is said. True when it opened."""
    try:
        graph = lesson_next_step(run) if what == "lesson" else start_from_run(run)
    except (TransferError, FileFormatError, OSError) as e:
        bench.show_message("Cannot start from this run", str(e))
        return False
    if not bench.show_document(Document(graph)):
        return False
    started = graph.meta["training"].get("init_from", "")
    bench.show_status(f"A new network from the run '{run.name}': its layers of the same name start from"
                      f" {started}. Replace the final layer or freeze layers from a layer's context menu.", 12000)
    return True
