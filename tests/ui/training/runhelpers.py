"""Helpers for the Training panel's tests."""
from netbuilder.graph import SetMeta


def train(window, qtbot, epochs=1):
    window.document.push(SetMeta(window.document.graph, "training",
                                 {**window.document.graph.meta.get("training", {}), "epochs": epochs}))
    window.controller.result = None
    window.start_training()
    assert window.training.running, window.training.status.text()
    qtbot.waitUntil(lambda: window.training.result is not None, timeout=60000)
    assert window.training.result.status == "finished", window.training.result.message
