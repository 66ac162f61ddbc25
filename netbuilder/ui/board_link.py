"""TensorBoard in the window: Train > Open in TensorBoard starts it on the document's runs (runs/board.py) and
the status bar says so, then shows its address as a link (click: the browser) with a link that stops it. It
stops with the window, and with the app however that ends (board_guard.py)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices

from ..errors import UserError
from ..runs.board import Board
from .child_link import ChildLink

ANSWER_SECONDS = 60  # TensorBoard's first start can take a while


class BoardLink(ChildLink):
    """The status bar's TensorBoard entry, hidden until TensorBoard is asked for."""

    def __init__(self, parent=None):
        super().__init__("board_link", ANSWER_SECONDS, parent)
        self.board: Board | None = None

    @property
    def url(self) -> str | None:
        """TensorBoard's address once it answers."""
        return self.board.url if self.board is not None and not self.waiting else None

    def open(self, folder: Path) -> None:
        """TensorBoard on `folder` in the browser: the running one, or a new one once it answers."""
        if self.board is not None and self.board.failed() is None and self.board.logdir == Path(folder):
            if not self.waiting:
                self.open_in_browser(self.board.url)
            return
        self.stop()
        self.board = Board(folder)
        try:
            self.board.start()
        except UserError as e:
            self.board = None
            self.failed.emit(str(e))
            return
        self.setToolTip(f"TensorBoard on the runs in {folder}")
        self._wait("Starting TensorBoard…")

    def _check(self) -> None:
        board = self.board
        if board is None:
            self._gone()
            return
        problem = board.failed() or (f"TensorBoard did not answer within {ANSWER_SECONDS} s"
                                     if self._late() else None)
        if problem:
            self.stop()
            self.failed.emit(problem)
        elif board.ready():
            self._answered(f"TensorBoard: <a href='{board.url}'>{board.url}</a> &nbsp;<a href='stop'>stop</a>",
                           f"TensorBoard on the runs in {board.logdir}: click the address to open it in the"
                           " browser. It stops when this window closes.")
            self.open_in_browser(board.url)

    def _on_link(self, link: str) -> None:
        if link == "stop":
            self.stop()
        else:
            self.open_in_browser(link)

    def open_in_browser(self, url: str) -> None:
        QDesktopServices.openUrl(QUrl(url))

    def stop(self) -> None:
        """Stop TensorBoard (and hide the entry)."""
        if self.board is not None:
            self.board.stop()
            self.board = None
        self._gone()


def install(bench) -> BoardLink:
    """The window's entry, in its status bar; its problems as the window's messages."""
    link = BoardLink(bench.widget)
    bench.add_status_widget(link)
    link.failed.connect(lambda text: bench.show_message("Cannot open TensorBoard", text))
    return link
