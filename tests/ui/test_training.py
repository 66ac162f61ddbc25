"""Training from the window: live curves, pause and resume, stop, and closing while training."""
from netbuilder.graph import SetMeta

from uihelpers import make_window


def test_train_in_the_window_shows_live_curves(window, qtbot):
    graph = window.document.graph
    window.document.push(SetMeta(graph, "training", {"epochs": 3, "lr": 0.003, "batch_size": 32}))
    window.start_training()
    panel = window.training
    assert panel.running and not panel.train_button.isEnabled()
    qtbot.waitUntil(lambda: panel.result is not None, timeout=60000)
    assert panel.result.status == "finished"
    xs, ys = panel.raw.getData()
    assert len(xs) == 3 * 45  # every step reached the plot, batched
    assert panel.val_acc.getData()[1][-1] > 0.5
    assert "Finished" in panel.status.text() and panel.progress.value() == panel.progress.maximum()
    assert panel.train_button.isEnabled() and not panel.running


def test_pause_resume_and_stop(window, qtbot):
    window.document.push(SetMeta(window.document.graph, "training", {"epochs": 50}))
    panel = window.training
    assert panel.start()
    qtbot.waitUntil(lambda: len(panel._losses) > 0, timeout=30000)
    panel.toggle_pause()
    assert panel.worker.trainer.paused and panel.pause_button.text() == "Resume"
    panel.toggle_pause()
    panel.stop()
    qtbot.waitUntil(lambda: panel.result is not None, timeout=30000)
    assert panel.result.status == "stopped"


def test_closing_while_training_stops_the_thread(qtbot):
    window = make_window(qtbot, closed_by_test=True)
    window.document.push(SetMeta(window.document.graph, "training", {"epochs": 200}))
    assert window.training.start()
    qtbot.waitUntil(lambda: len(window.training._losses) > 0, timeout=30000)
    window.close()  # a thread still running here would make Qt warn, and the warning fails the test
    assert window.training.thread is None


def test_a_graph_with_problems_does_not_start(window, qtbot):
    window.scene.select_nodes([window.document.graph.by_name("flatten1").id])
    window.scene.delete_selection()
    assert not window.training.start()
    assert "Cannot train" in window.training.status.text()
    assert "flatten" in window.training.status.text().lower() or "not connected" in window.training.status.text()
