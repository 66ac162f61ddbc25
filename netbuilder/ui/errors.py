"""Never crash: an uncaught exception is logged and shown in a dialog; the app lives on."""
from __future__ import annotations

import logging
import sys
import threading
import traceback

from PySide6.QtWidgets import QApplication, QMessageBox

from ..errors import UserError, log_file, start_logging

log = logging.getLogger("netbuilder")


def install() -> None:
    """Log to netbuilder.log in the config folder and route uncaught exceptions to _hook: the window's
    boundary. An error in what the user gave shows its message; a bug shows "an internal error" and the
    place of its traceback (also in the dialog's details)."""
    for old in [h for h in log.handlers if getattr(h, "netbuilder", False)]:
        log.removeHandler(old)
        old.close()
    start_logging()
    sys.excepthook = _hook
    threading.excepthook = lambda args: _hook(args.exc_type, args.exc_value, args.exc_traceback)


def _hook(kind, value, tb) -> None:
    text = "".join(traceback.format_exception(kind, value, tb))
    user = isinstance(value, UserError)
    if not user:
        log.error("uncaught exception:\n%s", text)
        sys.__stderr__.write(text)
    app = QApplication.instance()
    if app is None:
        return
    if user:
        box = QMessageBox(QMessageBox.Icon.Warning, "netbuilder", str(value), parent=app.activeWindow())
        box.open()
        _open_boxes.append(box)
        box.finished.connect(lambda *_: _open_boxes.remove(box))
        return
    box = QMessageBox(QMessageBox.Icon.Critical, "netbuilder: something went wrong",
                      f"An internal error ({kind.__name__}: {value}). The details are in {log_file()}.\n\n"
                      "Your work is safe: it is still open, and an autosave copy is kept. Please report this"
                      " with the details below.", parent=app.activeWindow())
    box.setDetailedText(text)
    box.open()
    _open_boxes.append(box)
    box.finished.connect(lambda *_: _open_boxes.remove(box))


_open_boxes: list[QMessageBox] = []
