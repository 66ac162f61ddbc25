"""Never crash: an uncaught exception is logged and shown in a dialog; the app lives on."""
from __future__ import annotations

import logging
import sys
import threading
import traceback

from PySide6.QtWidgets import QApplication, QMessageBox

from .settings import config_dir

log = logging.getLogger("netbuilder")


def install() -> None:
    """Log to netbuilder.log in the config folder and route uncaught exceptions to _hook."""
    for old in [h for h in log.handlers if getattr(h, "netbuilder", False)]:
        log.removeHandler(old)
        old.close()
    handler = logging.FileHandler(config_dir() / "netbuilder.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.netbuilder = True
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    sys.excepthook = _hook
    threading.excepthook = lambda args: _hook(args.exc_type, args.exc_value, args.exc_traceback)


def _hook(kind, value, tb) -> None:
    text = "".join(traceback.format_exception(kind, value, tb))
    log.error("uncaught exception:\n%s", text)
    sys.__stderr__.write(text)
    app = QApplication.instance()
    if app is None:
        return
    box = QMessageBox(QMessageBox.Icon.Critical, "netbuilder: something went wrong",
                      f"{kind.__name__}: {value}\n\nYour work is safe: it is still open, and an "
                      "autosave copy is kept. Please report this with the details below.",
                      parent=app.activeWindow())
    box.setDetailedText(text)
    box.open()
    _open_boxes.append(box)
    box.finished.connect(lambda *_: _open_boxes.remove(box))


_open_boxes: list[QMessageBox] = []
