"""The test-set view: summary, confusion heatmap, per-class table and the misclassified thumbnails."""
import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt
from torch import nn

from netbuilder.train.evaluate import evaluate
from netbuilder.ui.training.evaluation_view import PLACEHOLDER, SHOWN, EvaluationView


class Fixed(nn.Module):
    """Predicts `said[i]` for the input whose pixel values are all i."""

    def __init__(self, said, classes):
        super().__init__()
        self.logits = torch.eye(classes)[torch.tensor(said)] * 5.0

    def forward(self, x):
        return self.logits[x[:, 0, 0, 0].long()]


TRUE = [0, 0, 0, 1, 1, 2, 2, 2]
SAID = [0, 0, 1, 1, 2, 2, 2, 0]


def images(n):
    return torch.arange(n, dtype=torch.float32).reshape(n, 1, 1, 1).expand(n, 1, 4, 4).clone()


@pytest.fixture
def view(qtbot):
    widget = EvaluationView()
    qtbot.addWidget(widget)
    widget.resize(900, 500)
    widget.show()
    return widget


def table(view):
    t = view.table
    return [[t.item(r, c).text() for c in range(t.columnCount())] for r in range(t.rowCount())]


def test_placeholder_before_any_result(view):
    assert view.objectName() == "evaluation"
    assert view.message.isVisible() and view.message.text() == PLACEHOLDER
    assert not view.summary.isVisible() and not view.body.isVisible()


def test_shows_summary_table_heatmap_and_misclassified(view):
    x = images(8)
    e = evaluate(Fixed(SAID, 3), x, torch.tensor(TRUE), nn.CrossEntropyLoss())
    view.show_result(e, x, class_names=["cat", "dog", "owl"])
    summary = view.findChild(type(view.summary), "evaluation_summary")
    assert summary.text() == f"Test set: 8 samples, loss {e.loss:.4g}, accuracy 62.5%"
    assert not view.message.isVisible()
    assert table(view) == [["cat", "0.667", "0.667", "3"], ["dog", "0.500", "0.500", "2"],
                           ["owl", "0.667", "0.667", "3"]]
    assert all(not view.table.item(r, c).flags() & Qt.ItemFlag.ItemIsEditable for r in range(3) for c in range(4))
    assert np.array_equal(view.image.image, e.confusion.T)  # ImageItem is [x = predicted, y = true]
    assert sorted((int(i.pos().x()), int(i.pos().y()), i.toPlainText()) for i in view.counts) == sorted(
        (said, true, str(e.confusion[true, said])) for true in range(3) for said in range(3))
    assert view.plot.getAxis("bottom").labelText == "predicted" and view.plot.getAxis("left").labelText == "true"
    assert [caption.text() for _, caption in view.thumbnails] == ["true cat → dog", "true dog → owl",
                                                                  "true owl → cat"]
    assert all(picture.pixmap().width() >= 48 for picture, _ in view.thumbnails)
    assert view.findChild(type(view.wrong_scroll), "misclassified").isVisible()
    assert view.wrong_note.text() == "3 of 3 shown"


def test_at_most_32_thumbnails_and_class_numbers_without_names(view):
    n = 40
    said = [1] * n  # every sample is class 0 but predicted 1
    x = images(n)
    e = evaluate(Fixed(said, 2), x, torch.zeros(n, dtype=torch.long), nn.CrossEntropyLoss())
    view.show_result(e, x.squeeze(1).numpy())  # [N, H, W] numpy pictures work too
    assert len(view.thumbnails) == SHOWN == 32
    assert view.thumbnails[0][1].text() == "true 0 → 1"
    assert view.thumbnails[0][0].toolTip() == "test sample 0: click to see why the network said 1"
    assert view.wrong_note.text() == "32 of 40 shown"
    view.show_result(e, x)  # showing again replaces, never adds
    assert len(view.thumbnails) == 32 and len(view.counts) == 4


def test_words_instead_of_pictures(view):
    x = images(8)
    perfect = evaluate(Fixed(TRUE, 3), x, torch.tensor(TRUE), nn.CrossEntropyLoss())
    view.show_result(perfect, x)
    assert view.wrong_note.text() == "No misclassified samples." and not view.wrong_scroll.isVisible()
    flat = x.reshape(8, 16)
    wrong = evaluate(nn.Sequential(nn.Unflatten(1, (1, 4, 4)), Fixed(SAID, 3)), flat, torch.tensor(TRUE),
                     nn.CrossEntropyLoss())
    view.show_result(wrong, flat)
    assert view.wrong_note.text() == "Not an image dataset." and view.thumbnails == []
    assert view.table.rowCount() == 3


def test_regression_shows_only_the_loss(view):
    model = nn.Linear(1, 1)
    x, y = torch.ones(4, 1), torch.zeros(4, 1)
    e = evaluate(model, x, y, nn.MSELoss(), classify=None)
    view.show_result(e, None)
    assert view.summary.text() == f"Test set: 4 samples, loss {e.loss:.4g}"
    assert "no classes to tabulate" in view.message.text() and view.message.isVisible()
    assert not view.body.isVisible() and view.table.rowCount() == 0


def test_clear_goes_back_to_the_placeholder(view):
    x = images(8)
    view.show_result(evaluate(Fixed(SAID, 3), x, torch.tensor(TRUE), nn.CrossEntropyLoss()), x)
    view.clear()
    assert view.message.text() == PLACEHOLDER and not view.summary.isVisible() and not view.body.isVisible()
    assert view.table.rowCount() == 0 and view.thumbnails == [] and view.counts == []
    assert view.image.image is None


def test_a_language_model_shows_its_loss_and_accuracy_without_a_table(view):
    from netbuilder.train.evaluate import Evaluation

    view.show_result(Evaluation(1.64, 0.578, None, samples=726), None, list("abc"))
    assert view.summary.text() == "Test set: 726 samples, loss 1.64, accuracy 57.8%"
    assert "a language model's answers are characters" in view.message.text() and not view.body.isVisible()
