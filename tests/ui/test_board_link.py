"""Train > Open in TensorBoard: the status bar shows TensorBoard's address as a link once it answers, a click on
"stop" stops it, and closing the window stops it too."""
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from uihelpers import make_window


def test_tensorboard_shows_its_address_as_a_link_and_stops_with_the_link_or_the_window(qtbot):
    window = make_window(qtbot, closed_by_test=True)
    link = window.board_link
    opened = []
    link.open_in_browser = opened.append  # (no browser in a test)
    assert link.isHidden()
    window.actions_by_name["tensorboard"].trigger()
    assert link.isVisible() and link.text() == "Starting TensorBoard…"
    qtbot.waitUntil(lambda: link.url is not None, timeout=90_000)
    board = link.board
    assert board.logdir == window.document.runs.folder and opened == [board.url]
    assert f"<a href='{board.url}'>{board.url}</a>" in link.text() and link.url.startswith("http://127.0.0.1:")
    window.actions_by_name["tensorboard"].trigger()  # again: the same TensorBoard, in the browser again
    assert link.board is board and opened == [board.url, board.url]

    process = board.process
    QTest.mouseClick(link, Qt.MouseButton.LeftButton, pos=QPoint(link.width() - 8, link.height() // 2))  # "stop"
    assert link.isHidden() and link.board is None and process.poll() is not None

    window.actions_by_name["tensorboard"].trigger()
    process = link.board.process
    window.close()  # closing the window stops it
    assert process.poll() is not None
