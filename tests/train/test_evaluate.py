"""evaluate(): confusion matrix, precision, recall, accuracy and the misclassified samples, known exactly."""
import numpy as np
import pytest
import torch
from torch import nn

from netbuilder.train.evaluate import evaluate, per_class_table


class Fixed(nn.Module):
    """Returns the row of `outputs` picked by each input's first value (an index), whatever the mode."""

    def __init__(self, outputs):
        super().__init__()
        self.outputs = torch.as_tensor(outputs, dtype=torch.float32)
        self.inner = nn.Dropout(0.5)  # a submodule, to check every module's mode comes back

    def forward(self, x):
        return self.outputs[x[:, 0].long()]


def one_hot_logits(predicted, classes):
    return torch.eye(classes)[torch.tensor(predicted)] * 5.0


# true labels and the class the fixed model predicts for each of 8 samples
TRUE = [0, 0, 0, 1, 1, 2, 2, 2]
SAID = [0, 0, 1, 1, 2, 2, 2, 0]


def multiclass(**kwargs):
    model = Fixed(one_hot_logits(SAID, 3))
    x = torch.arange(8, dtype=torch.float32).unsqueeze(1)
    return evaluate(model, x, torch.tensor(TRUE), nn.CrossEntropyLoss(), **kwargs)


def test_multiclass_confusion_precision_recall_and_misclassified():
    e = multiclass(batch_size=3)  # batches of 3, 3, 2 must add up
    assert e.confusion.tolist() == [[2, 1, 0], [0, 1, 1], [1, 0, 2]]
    assert e.accuracy == pytest.approx(5 / 8)
    assert e.precision == pytest.approx([2 / 3, 1 / 2, 2 / 3])
    assert e.recall == pytest.approx([2 / 3, 1 / 2, 2 / 3])
    assert e.misclassified == [2, 4, 7]
    assert e.predictions == [1, 2, 0] and e.labels == [0, 1, 2]
    assert e.samples == 8
    expected = nn.CrossEntropyLoss()(one_hot_logits(SAID, 3), torch.tensor(TRUE)).item()
    assert e.loss == pytest.approx(expected)
    assert per_class_table(e) == [
        {"class": 0, "precision": pytest.approx(2 / 3), "recall": pytest.approx(2 / 3), "support": 3},
        {"class": 1, "precision": 0.5, "recall": 0.5, "support": 2},
        {"class": 2, "precision": pytest.approx(2 / 3), "recall": pytest.approx(2 / 3), "support": 3},
    ]


def test_a_class_never_predicted_has_precision_zero_and_labels_widen_the_matrix():
    # the model has 2 outputs, but label 2 occurs: the matrix is 3 x 3 and class 2 is never predicted
    model = Fixed(one_hot_logits([0, 1, 1], 2))
    x = torch.tensor([[0.0], [1.0], [2.0]])
    e = evaluate(model, x, torch.tensor([0, 1, 2]), lambda out, y: out.sum() * 0)
    assert e.confusion.shape == (3, 3)
    assert e.confusion.tolist() == [[1, 0, 0], [0, 1, 0], [0, 1, 0]]
    assert e.precision == [1.0, 0.5, 0.0] and e.recall == [1.0, 1.0, 0.0]
    assert e.misclassified == [2]


def test_limit_keeps_the_first_misclassified_in_order():
    e = multiclass(limit=2)
    assert e.misclassified == [2, 4] and e.predictions == [1, 2] and e.labels == [0, 1]
    assert e.confusion.sum() == 8  # the limit only shortens the list, not the counts


def test_binary_logits_above_zero_are_class_one():
    logits = torch.tensor([[2.0], [-1.0], [0.5], [-3.0], [1.0]])
    labels = torch.tensor([1.0, 0.0, 0.0, 1.0, 1.0])
    model = Fixed(logits)
    x = torch.arange(5, dtype=torch.float32).unsqueeze(1)
    loss_fn = nn.BCEWithLogitsLoss()
    e = evaluate(model, x, labels, loss_fn, target_fn=lambda yb, out: yb.reshape(out.shape),
                 classify="binary")
    assert e.confusion.tolist() == [[1, 1], [1, 2]]
    assert e.accuracy == pytest.approx(3 / 5)
    assert e.precision == pytest.approx([1 / 2, 2 / 3]) and e.recall == pytest.approx([1 / 2, 2 / 3])
    assert e.misclassified == [2, 3] and e.predictions == [1, 0] and e.labels == [0, 1]
    assert e.loss == pytest.approx(loss_fn(logits, labels.reshape(5, 1)).item())


def test_regression_gives_only_the_loss():
    model = nn.Linear(1, 1)
    with torch.no_grad():
        model.weight.fill_(2.0)
        model.bias.fill_(0.0)
    x = torch.tensor([[1.0], [2.0], [3.0]])
    y = torch.tensor([[2.0], [4.0], [9.0]])  # errors 0, 0, 3: mean squared error 3
    e = evaluate(model, x, y, nn.MSELoss(), classify=None, batch_size=2)
    assert e.loss == pytest.approx(3.0)
    assert e.accuracy is None and e.confusion is None
    assert e.precision == [] and e.recall == [] and e.misclassified == [] and e.samples == 3
    assert per_class_table(e) == []


@pytest.mark.parametrize("training", [True, False])
def test_the_training_mode_is_restored(training):
    model = Fixed(one_hot_logits(SAID, 3))
    model.train(training)
    model.inner.train(not training)  # mixed modes come back as they were, module by module
    seen = []
    model.register_forward_pre_hook(lambda m, args: seen.append((m.training, torch.is_grad_enabled())))
    evaluate(model, torch.zeros(4, 1), torch.zeros(4, dtype=torch.long), nn.CrossEntropyLoss())
    assert seen == [(False, False)]
    assert model.training is training and model.inner.training is (not training)


def test_the_mode_is_restored_when_the_model_fails():
    class Broken(nn.Module):
        def forward(self, x):
            raise RuntimeError("boom")

    model = Broken().train()
    with pytest.raises(RuntimeError, match="boom"):
        evaluate(model, torch.zeros(2, 1), torch.zeros(2), nn.MSELoss())
    assert model.training


def test_empty_input_is_a_clear_error():
    with pytest.raises(ValueError, match="empty"):
        evaluate(nn.Linear(2, 3), torch.zeros(0, 2), torch.zeros(0, dtype=torch.long), nn.CrossEntropyLoss())


def test_results_are_plain_host_values():
    e = multiclass()
    assert isinstance(e.loss, float) and isinstance(e.accuracy, float)
    assert isinstance(e.confusion, np.ndarray) and e.confusion.dtype.kind == "i"
    assert all(type(v) is float for v in e.precision + e.recall)
    assert all(type(v) is int for v in e.misclassified + e.predictions + e.labels)
