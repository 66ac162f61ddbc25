"""Why a network cannot train is said whole (issue 20: the message was cut off after its first problem): the
status line keeps its two lines, shows the point first and the problems that fit, cut at a word with an
ellipsis, and the whole message in its tooltip."""
from netbuilder.ui.document import Document
from netbuilder.ui.training.status_line import StatusLine

from uihelpers import make_window

LONG = "Cannot train: 6 problems to fix first (red on the canvas):\n" + "\n".join(
    f"  linear{i}.in: input 'in' is not connected" for i in range(6))


def fits(label) -> bool:
    """The text the label shows needs no more height than the label has."""
    return label.heightForWidth(label.width()) <= label.height()


def test_a_long_message_is_cut_to_the_lines_with_its_point_first(qtbot):
    label = StatusLine()
    qtbot.addWidget(label)
    label.setFixedSize(420, 2 * label.fontMetrics().lineSpacing() + 4)
    label.show()
    label.setText(LONG)
    shown = label.shown_text()
    assert fits(label) and len(shown.split("\n")) == 2
    assert shown.startswith("Cannot train: 6 problems") and shown.endswith("…")
    assert "linear0.in: input 'in'" in shown  # as many problems as fit, on the second line
    assert label.text() == LONG and label.toolTip() == LONG  # the whole message, one hover away
    label.setFixedWidth(1200)  # wider: more of it shows
    assert len(label.shown_text()) > len(shown) and fits(label)
    label.setText("run 1: epoch 2 of 10")
    assert label.shown_text() == "run 1: epoch 2 of 10" and label.toolTip() == ""


def test_the_walk_unwired_says_why_it_cannot_train_within_the_status_line(qtbot):
    window = make_window(qtbot, Document())
    window.resize(1000, 700)
    for layer in ("Input", "Linear", "ReLU", "Linear", "Output"):
        window.add_layer_at_centre(layer)  # the first network's five layers, not wired yet
    assert not window.training.start()
    status = window.training.status
    assert status.text().startswith("Cannot train: 8 problems to fix first")
    assert "(fix:" not in status.text()  # the fixes on offer are in the Problems panel and the Inspector
    assert status.text().count("not connected") == 4 and status.text().count("no Output") == 4
    assert fits(status), status.shown_text()
    assert status.shown_text().startswith("Cannot train: 8 problems") and status.toolTip() == status.text()
