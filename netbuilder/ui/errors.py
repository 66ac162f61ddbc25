"""Never crash: an uncaught exception is logged and shown in a dialog; the app lives on.

One dialog at a time: an error raised while the dialog is open (or while it is being drawn, when the error
comes from painting) is counted in the open dialog, never stacked on it, so an error that repeats on every
paint cannot open dialogs in a loop."""
from __future__ import annotations

import logging
import sys
import threading
import traceback

from PySide6.QtCore import QTimer
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


def traceback_text(kind, value, tb) -> str:
    """The traceback, and where Python was when it came from Qt: an exception raised in a call Qt made
    (a paint, a virtual method) has no Python frames of its own, so its one line would not say where."""
    text = "".join(traceback.format_exception(kind, value, tb))
    if tb is None or tb.tb_next is None:
        stack = "".join(traceback.format_stack()[:-2])
        text += "\nPython was here when it was raised:\n" + (stack or "  (in Qt's event loop)\n")
    return text


def _hook(kind, value, tb) -> None:
    user = isinstance(value, UserError)
    if not user:
        text = traceback_text(kind, value, tb)
        log.error("uncaught exception:\n%s", text)
        sys.__stderr__.write(text)
    else:
        text = str(value)
    if QApplication.instance() is None:
        return
    if threading.current_thread() is not threading.main_thread():
        QTimer.singleShot(0, QApplication.instance(), lambda: _REPORTER.show(kind, value, text, user))
        return
    _REPORTER.show(kind, value, text, user)


class ErrorReporter:
    """The one error dialog. A repeat of the message on show is counted in it; another message while it is
    open is added to its details; nothing opens a second dialog until the first is closed."""

    def __init__(self):
        self.box: QMessageBox | None = None
        self.message = ""
        self.count = 0
        self.others: list[str] = []
        self._busy = False

    def show(self, kind, value, text: str, user: bool) -> None:
        message = str(value) if user else (
            f"An internal error ({kind.__name__}: {value}). The details are in {log_file()}.\n\n"
            "Your work is safe: it is still open, and an autosave copy is kept. Please report this"
            " with the details below.")
        if self.box is not None or self._busy:
            if message == self.message:
                self.count += 1
            else:
                self.others.append(message)
            if self.box is not None and not self._busy:
                self._update()
            return
        self._busy = True  # an error raised while the box is made or drawn is counted, not shown again
        try:
            self.message, self.count, self.others = message, 1, []
            icon = QMessageBox.Icon.Warning if user else QMessageBox.Icon.Critical
            title = "netbuilder" if user else "netbuilder: something went wrong"
            self.box = QMessageBox(icon, title, message, parent=QApplication.instance().activeWindow())
            self.box.setObjectName("error_box")
            if not user:
                self.box.setDetailedText(text)
            self.box.finished.connect(self._closed)
            self.box.open()
        finally:
            self._busy = False
        self._update()

    def _update(self) -> None:
        text = self.message
        if self.count > 1:
            text += f"\n\nThis happened {self.count} times."
        if self.others:
            text += f"\n\n{len(self.others)} other error(s) since; the last: {self.others[-1]}"
        if self.box.text() != text:
            self.box.setText(text)

    def _closed(self, *_) -> None:
        box, self.box = self.box, None
        if box is not None:
            box.deleteLater()


_REPORTER = ErrorReporter()
