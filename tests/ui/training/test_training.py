"""Training from the window: live curves, pause and resume, stop, and closing while training."""
import math

from PySide6.QtWidgets import QLabel, QTableWidget

from netbuilder.data import digits_splits
from netbuilder.graph import SetMeta

from runhelpers import train_template
from uihelpers import make_window


def test_train_in_the_window_shows_live_curves(window, qtbot):
    graph = window.document.graph
    window.document.push(SetMeta(graph, "training", {"epochs": 3, "lr": 0.003, "batch_size": 32}))
    window.start_training()
    panel = window.training
    assert panel.running and not panel.train_button.isEnabled()
    qtbot.waitUntil(lambda: panel.result is not None, timeout=60000)
    assert panel.result.status == "finished"
    history = panel.runs.current.history
    train = digits_splits(seed=0).train[0]
    assert len(history.series["loss"]) == 3 * math.ceil(len(train) / 32)  # every step reached the run, batched
    assert history.last("val_accuracy") > 0.5
    panel.loss_plot.redraw()
    xs, _ = panel.loss_plot.curves[(panel.runs.current.id, "raw", "train (per step)")].getData()
    assert len(xs) == len(history.series["loss"])  # drawn as they came: short runs are not summarised
    assert "Finished" in panel.status.text() and panel.progress.value() == panel.progress.maximum()
    assert panel.train_button.isEnabled() and not panel.running
    import gc

    assert gc.isenabled()  # held only while training (see worker.hold_garbage_collection)
    tested = panel.result.evaluation  # the held-out test set, in its own tab
    assert tested.samples == len(digits_splits(seed=0).test[0]) and tested.accuracy > 0.5
    assert "test accuracy" in panel.status.text()
    assert panel.evaluation.findChild(QLabel, "evaluation_summary").text() == ""  # drawn when opened
    panel.tabs.setCurrentWidget(panel.evaluation)
    summary = panel.evaluation.findChild(QLabel, "evaluation_summary").text()
    assert f"{tested.samples} samples" in summary
    table = panel.evaluation.findChild(QTableWidget, "evaluation_table")
    assert table.rowCount() == 10


def test_pause_resume_and_stop(window, qtbot):
    window.document.push(SetMeta(window.document.graph, "training", {"epochs": 50}))
    panel = window.training
    assert panel.start()
    qtbot.waitUntil(lambda: panel.runs.current.history.steps > 0, timeout=30000)
    status = lambda: panel.run_list.item_of(panel.runs.current.id).text(1)  # noqa: E731 - the run list's column
    assert status() == "running"
    panel.toggle_pause()
    assert panel.controller.worker.trainer.paused and panel.pause_button.text() == "Resume"
    assert "paused" in panel.status.text() and "left" not in panel.status.text()  # no ETA counting down
    assert status() == "paused"
    panel.toggle_pause()
    assert status() == "running"
    panel.stop()
    qtbot.waitUntil(lambda: panel.result is not None, timeout=30000)
    assert panel.result.status == "stopped"


def test_closing_while_training_stops_the_thread(qtbot):
    window = make_window(qtbot, closed_by_test=True)
    window.document.push(SetMeta(window.document.graph, "training", {"epochs": 200}))
    assert window.training.start()
    qtbot.waitUntil(lambda: window.training.runs.current.history.steps > 0, timeout=30000)
    window.close()  # a thread still running here would make Qt warn, and the warning fails the test
    assert window.controller.worker_thread is None


def test_a_graph_with_problems_does_not_start(window, qtbot):
    window.scene.select_nodes([window.document.graph.by_name("flatten1").id])
    window.scene.delete_selection()
    assert not window.training.start()
    assert "Cannot train" in window.training.status.text()
    assert "flatten" in window.training.status.text().lower() or "not connected" in window.training.status.text()


def test_gradient_views_tint_nodes_and_warnings_reach_the_nodes(qtbot):
    from netbuilder import GraphBuilder
    from netbuilder.train.loop import NORMS_EVERY
    from netbuilder.ui.document import Document

    b = GraphBuilder()
    h = b.add("Linear", b.add("Flatten", b.add("Input", shape=[1, 8, 8])), out_features=32)
    for _ in range(10):
        h = b.add("Sigmoid", b.add("Linear", h, out_features=32))
    b.add("Output", b.add("Linear", h, name="classes", out_features=10))
    b.graph.meta["training"] = {"epochs": 6, "optimizer": "sgd", "lr": 0.01}
    window = make_window(qtbot, Document(b.graph))
    panel = window.training
    assert panel.start()
    qtbot.waitUntil(lambda: panel.result is not None, timeout=60000)
    state = panel.runs.current
    assert len(state.gradients) > 100 // NORMS_EVERY and len(state.layers) == 12  # the steps that took norms
    first = window.scene.node_items[b.graph.by_name("linear1").id]
    assert first.tint is not None  # nodes carry their gradient colour
    assert any("vanishing" in p.message for p in first.problems)
    assert any("vanishing" in window.problems.item(i).text() for i in range(window.problems.count()))


def test_training_settings_form_edits_the_document_undoably(window, qtbot):
    from PySide6.QtWidgets import QComboBox, QSpinBox

    form = window.training.settings
    template = dict(window.document.graph.meta.get("training", {}))  # the settings the template came with
    epochs = form.findChild(QSpinBox, "train_epochs")
    epochs.setValue(4)
    form.findChild(QComboBox, "train_optimizer").setCurrentText("sgd")
    assert window.document.graph.meta["training"] == {**template, "epochs": 4, "optimizer": "sgd"}
    assert window.isWindowModified()
    window.document.undo_stack.undo()
    assert window.document.graph.meta["training"] == {**template, "epochs": 4}
    assert form.findChild(QComboBox, "train_optimizer").currentText() == "adam"
    window.document.undo_stack.undo()
    assert epochs.value() == 10 and window.document.graph.meta.get("training", {}) == template


def test_second_run_overlays_the_first_and_plots_the_learning_rate(window, qtbot):
    window.document.push(SetMeta(window.document.graph, "training",
                                 {"epochs": 2, "schedule": "step", "step_size": 1, "gamma": 0.5}))
    panel = window.training
    window.docks["Training"].raise_()  # the curves draw while they are shown
    for _ in range(2):
        panel.controller.result = None
        assert panel.start()
        qtbot.waitUntil(lambda: panel.result is not None, timeout=60000)
    first, second = panel.runs.states
    assert panel.runs.shown == {first.id, second.id} and panel.runs.current is second
    panel.loss_plot.redraw()
    legend = [label.text for _, label in panel.loss_plot.plotItem.legend.items]
    assert "run 1 (smoothed)" in legend and "run 2 (smoothed)" in legend  # overlaid, told apart
    panel.lr_plot.redraw()
    lrs = panel.lr_plot.curves[(second.id, "lr", None)].getData()[1]
    assert lrs[0] == 0.001 and lrs[-1] == 0.0005  # the step schedule halves it after epoch 1
    panel.log_scale.setChecked(True)
    assert panel.loss_plot.plotItem.ctrl.logYCheck.isChecked()


def test_warnings_reach_the_nodes_while_the_run_goes_on(qtbot):
    from netbuilder import GraphBuilder
    from netbuilder.ui.document import Document

    b = GraphBuilder()
    h = b.add("Linear", b.add("Flatten", b.add("Input", shape=[1, 8, 8])), out_features=32)
    for _ in range(10):
        h = b.add("Sigmoid", b.add("Linear", h, out_features=32))
    b.add("Output", b.add("Linear", h, out_features=10))
    b.graph.meta["training"] = {"epochs": 500, "optimizer": "sgd", "lr": 0.01}
    window = make_window(qtbot, Document(b.graph))
    panel = window.training
    assert panel.start()
    qtbot.waitUntil(lambda: bool(window.document.problems.diagnosis), timeout=60000)
    assert panel.running  # seen before the run ended
    first = window.scene.node_items[b.graph.by_name("linear1").id]
    assert any("vanishing" in p.message for p in first.problems)
    qtbot.waitUntil(lambda: "gradient warning" in panel.status.text(), timeout=10000)
    panel.stop()
    qtbot.waitUntil(lambda: panel.result is not None, timeout=30000)


def test_diagnosis_thresholds_are_typed_in_the_settings_and_undoable(window, qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLineEdit

    field = window.training.settings.findChild(QLineEdit, "diagnosis_vanishing")
    assert field.text() == "1e-07"
    field.selectAll()
    qtbot.keyClicks(field, "1e-9")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert window.document.graph.meta["diagnosis"] == {"vanishing": 1e-9}
    field.selectAll()
    qtbot.keyClicks(field, "0")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert window.document.graph.meta["diagnosis"] == {"vanishing": 1e-9}  # refused, said in the status bar
    assert "above 0" in window.statusBar().currentMessage()
    window.document.undo_stack.undo()
    assert "diagnosis" not in window.document.graph.meta or not window.document.graph.meta["diagnosis"]
    assert field.text() == "1e-07"


def test_checkpoints_resume_and_start_from_a_checkpoint(window, qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLineEdit

    panel = window.training
    window.start_training(resume=True)
    assert "Cannot resume: there is no checkpoint" in panel.status.text()
    assert not panel.running and panel.train_button.isEnabled()
    window.document.push(SetMeta(window.document.graph, "training", {"epochs": 2}))
    assert panel.start()
    qtbot.waitUntil(lambda: panel.result is not None, timeout=60000)
    run = panel.runs.current.run
    last = run.checkpoint
    assert last.is_file() and str(run.folder) in panel.status.text()

    window.document.push(SetMeta(window.document.graph, "training", {"epochs": 3}))
    panel.controller.result = None
    window.actions_by_name["resume"].trigger()
    qtbot.waitUntil(lambda: panel.result is not None, timeout=60000)
    assert [e.epoch for e in panel.result.epochs] == [2]  # only the epoch the checkpoint lacked
    assert len(panel.runs.states) == 1 and [row["epoch"] for row in run.read_epochs()] == [1, 2, 3]  # the same run

    field = panel.settings.findChild(QLineEdit, "train_init_from")
    field.setFocus()
    qtbot.keyClicks(field, str(last))
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert window.document.graph.meta["training"]["init_from"] == str(last)
    window.document.push(SetMeta(window.document.graph, "training", {"epochs": 100, "init_from": str(last)}))
    assert panel.start()
    qtbot.waitUntil(lambda: "started from last.pt" in panel.status.text(), timeout=30000)
    assert "conv1" in panel.status.text()
    panel.stop()
    qtbot.waitUntil(lambda: panel.result is not None, timeout=60000)


def test_a_missing_checkpoint_to_start_from_is_said(window, qtbot, tmp_path):
    panel = window.training
    window.document.push(SetMeta(window.document.graph, "training", {"init_from": str(tmp_path / "gone.pt")}))
    assert not panel.start()
    assert "Cannot train: the checkpoint" in panel.status.text() and "gone.pt" in panel.status.text()
    assert panel.train_button.isEnabled() and not panel.running


def test_a_gan_template_trains_in_the_window_with_both_losses_and_samples(qtbot):
    window, document = train_template(qtbot, "gan_ring", epochs=3)
    panel = window.training
    assert panel.result.status == "finished"
    panel.loss_plot.redraw()
    run_id = panel.runs.current.id
    assert {key[1] for key in panel.loss_plot.curves} == {"generator", "discriminator"}
    steps = panel.runs.current.history.steps
    assert len(panel.loss_plot.curves[(run_id, "generator", "generator")].getData()[1]) == steps
    panel.tabs.setCurrentWidget(panel.gradients)
    assert len(panel.gradients.views) == 2  # one gradient view per network
    panel.tabs.setCurrentWidget(panel.samples_view)
    assert panel.samples_view.stack.currentWidget() is panel.samples_view.points
    assert len(panel.samples_view.fake.data) == 64 and "Epoch 3" in panel.samples_view.caption.text()


def test_the_vanishing_lesson_trains_side_by_side_in_the_window(qtbot):
    window, document = train_template(qtbot, "vanishing_lesson", epochs=2)
    panel = window.training
    panel.loss_plot.redraw()
    panel.acc_plot.redraw()
    nets = {"sigmoid_net", "residual_net"}
    assert {key[1] for key in panel.loss_plot.curves} == {key[1] for key in panel.acc_plot.curves} == nets
    panel.tabs.setCurrentWidget(panel.gradients)
    assert [v.layers[0] for v in panel.gradients.views] == ["s_in", "r_in"]  # a gradient view each
    assert "sigmoid_net" in panel.status.text() and "residual_net" in panel.status.text()
    first = window.scene.node_items[document.graph.by_name("s_in").id]
    assert any("vanishing" in p.message for p in first.problems)


def test_a_vae_shows_its_reconstructions_and_latent_walk(qtbot):
    window, document = train_template(qtbot, "vae_digits", epochs=2)
    panel = window.training
    assert panel.result.status == "finished"
    panel.tabs.setCurrentWidget(panel.samples_view)
    assert "reconstructions" in panel.samples_view.caption.text() and "latent" in panel.samples_view.caption.text()
    assert panel.samples_view.stack.currentWidget() is panel.samples_view.images
    assert panel.samples_view.picture.image.shape[:2] == (8 * 10 * 2 + 8, 8 * 10)  # the walk beside the pairs

