"""The Samples tab for a language model: text written from the prompt the user types, at their temperature
and top-k, on the pool thread (never the window's); a prompt with unknown characters is said, not raised."""
import threading

import torch

from netbuilder.data.text import UNKNOWN, Vocabulary
from netbuilder.train.language import TextModel
from netbuilder.ui.training.samples_view import SamplesView


class Counting(torch.nn.Module):
    """Scores favouring (last index + 1) mod V; records the threads it ran on."""

    def __init__(self, vocab):
        super().__init__()
        self.vocab, self.threads = vocab, set()
        self.weight = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x):
        self.threads.add(threading.current_thread())
        return 5 * torch.nn.functional.one_hot((x[:, -1] + 1) % self.vocab, self.vocab).float() + self.weight


def view_with_model(qtbot):
    view = SamplesView()
    qtbot.addWidget(view)
    vocabulary = Vocabulary(tuple(" abcd") + (UNKNOWN,))
    model = TextModel(Counting(len(vocabulary)), vocabulary, seq_len=4)
    return view, model


def settle(qtbot, text):
    qtbot.waitUntil(lambda: not text.background.busy and text.last is not None, timeout=20000)


def test_each_epoch_writes_from_the_prompt_off_the_window_thread(qtbot):
    view, model = view_with_model(qtbot)
    text = view.text
    text.prompt.setText("ab")
    text.temperature.setValue(0.0)
    text.chars.setValue(6)
    view.show_samples(model, "epoch 1: text the network writes from your prompt")
    assert view.stack.currentWidget() is text and "epoch 1" in view.caption.text()
    settle(qtbot, text)
    assert text.output.toPlainText() == "ab" + "cd" + UNKNOWN + " ab"  # each next index, wrapping round
    assert threading.main_thread() not in model.model.threads  # written on the pool thread
    text.last = None
    text.prompt.setText("d")
    qtbot.keyClick(text.prompt, "\r")  # Enter writes again, with the model it has
    settle(qtbot, text)
    assert text.output.toPlainText().startswith("d" + UNKNOWN + " abc")


def test_a_prompt_with_unknown_characters_is_said(qtbot):
    view, model = view_with_model(qtbot)
    view.text.prompt.setText("abz!")
    view.show_samples(model, "epoch 2")
    settle(qtbot, view.text)
    assert "the prompt has 2 characters the network never saw in training ('z', '!')" in view.text.note.text()
    assert view.text.output.toPlainText().startswith("ab" + UNKNOWN * 2)


def test_clear_forgets_the_model(qtbot):
    view, model = view_with_model(qtbot)
    view.show_samples(model, "epoch 1")
    settle(qtbot, view.text)
    view.clear()
    assert view.text.model is None and view.text.output.toPlainText() == ""
    view.text.write()
    assert "Train a language model" in view.text.note.text()


def test_a_language_model_trained_in_the_window_writes_in_the_samples_tab(qtbot, tmp_path):
    from netbuilder.ui.document import Document

    from runhelpers import train
    from text_model import TEXT, text_model
    from uihelpers import make_window

    window = make_window(qtbot, Document(text_model(tmp_path)))
    panel = window.training
    panel.tabs.setCurrentWidget(panel.samples_view)
    panel.samples_view.text.prompt.setText("the c")
    train(window, qtbot, epochs=2)
    writing = panel.samples_view.text
    assert panel.samples_view.stack.currentWidget() is writing and "epoch 2" in panel.samples_view.caption.text()
    settle(qtbot, writing)
    assert writing.output.toPlainText().startswith("the c") and len(writing.output.toPlainText()) == 5 + 400
    assert set(writing.output.toPlainText()) <= set(TEXT)
