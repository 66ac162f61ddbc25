"""A status bar entry for a child process the window started (TensorBoard, the prediction service): hidden until
one starts, "Starting…" while it comes up (checked four times a second until it answers, fails or runs out of
time), then its links, kept wide enough that none is squeezed out of sight."""
from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel


class ChildLink(QLabel):
    failed = Signal(str)  # why the child could not start, or stopped

    def __init__(self, name: str, seconds: float, parent=None):
        super().__init__(parent)
        self.setObjectName(name)
        self.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)  # "stop" at its right end
        self.seconds = seconds  # how long the child may take to answer
        self._deadline = 0.0
        self._timer = QTimer(self, interval=250)
        self._timer.timeout.connect(self._check)
        self.linkActivated.connect(self._on_link)
        self.hide()

    @property
    def waiting(self) -> bool:
        """Whether the child has not answered yet."""
        return self._timer.isActive()

    def _wait(self, text: str) -> None:
        """The child has started: say so, and check on it until it answers."""
        self._deadline = time.monotonic() + self.seconds
        self._timer.start()
        self.setText(text)
        self.show()

    def _late(self) -> bool:
        return time.monotonic() > self._deadline

    def _answered(self, links: str, tooltip: str) -> None:
        self._timer.stop()
        self.setText(links)
        self.setMinimumWidth(self.sizeHint().width())  # the status bar never squeezes "stop" out of sight
        self.setToolTip(tooltip)

    def _gone(self) -> None:
        """Nothing to show: the child stopped."""
        self._timer.stop()
        self.setText("")
        self.hide()

    def _check(self) -> None:
        raise NotImplementedError

    def _on_link(self, link: str) -> None:
        raise NotImplementedError
