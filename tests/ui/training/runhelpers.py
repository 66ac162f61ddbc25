"""Helpers for the Training panel's tests."""
from netbuilder.graph import SetMeta
from uihelpers import make_window


def train(window, qtbot, epochs=1):
    window.document.push(SetMeta(window.document.graph, "training",
                                 {**window.document.graph.meta.get("training", {}), "epochs": epochs}))
    window.controller.result = None
    window.start_training()
    assert window.training.running, window.training.status.text()
    qtbot.waitUntil(lambda: window.training.result is not None, timeout=60000)
    assert window.training.result.status == "finished", window.training.result.message


def train_template(qtbot, name: str, epochs: int):
    """Open a template in a window and train it for a few epochs, to the end."""
    from netbuilder.ui.app import TEMPLATES
    from netbuilder.ui.document import Document

    document = Document.from_template(TEMPLATES / f"{name}.json")
    document.graph.meta["training"] = {**document.graph.meta["training"], "epochs": epochs}
    window = make_window(qtbot, document)
    window.start_training()
    assert window.training.running
    qtbot.waitUntil(lambda: window.training.result is not None, timeout=60000)
    return window, document
