"""The transfer workflow in the window: from the run list, a new network (or the lesson's next step) that starts
from a finished run's weights; on the canvas, replacing the final layer and freezing layers, one undo step
each, frozen layers drawn as such."""
from netbuilder.ui.app import TEMPLATES
from netbuilder.ui.canvas.node_item import HEADER, LINE
from netbuilder.ui.document import Document

from uihelpers import make_window


def trained(qtbot, name: str, epochs: int = 1):
    document = Document.from_template(TEMPLATES / f"{name}.json")
    document.graph.meta["training"] = {**document.graph.meta["training"], "epochs": epochs}
    window = make_window(qtbot, document)
    window.start_training()
    qtbot.waitUntil(lambda: window.training.result is not None, timeout=60000)
    assert window.training.result.status == "finished"
    return window


def entries(window):
    """The finished run's context menu, by entry text."""
    run_list = window.training.run_list
    state = window.training.runs.current
    menu = run_list.menu_for(state, run_list.item_of(state.id))
    return {action.text(): action for action in menu.actions() if action.text()}


def test_a_new_network_from_a_run_then_a_new_head_and_frozen_layers_one_undo_step_each(qtbot):
    window = trained(qtbot, "cnn_digits")
    first = window.training.runs.current.run
    actions = entries(window)
    assert "Start the Lesson's Next Step from This Run" not in actions  # not a lesson
    actions["Start a New Network from This Run"].trigger()
    graph = window.document.graph
    assert graph.meta["training"]["init_from"] == str(first.folder / "best.pt")
    assert [n.name for n in graph.nodes()] == [n.name for n in first.graph().nodes()]
    scene, stack = window.scene, window.document.undo_stack
    start = stack.count()
    scene.replace_final_layer(graph.by_name("conv2").id, 3)
    assert graph.by_name("fc2_new").params["out_features"] == 3 and stack.count() == start + 1
    item = scene.node_items[graph.by_name("conv1").id]
    assert item.height == HEADER + 2 * LINE + 8
    scene.freeze_up_to(graph.by_name("pool2").id)
    assert stack.count() == start + 2 and item.height == HEADER + 3 * LINE + 8  # a line saying it is frozen
    assert not graph.by_name("conv2").params["trainable"] and graph.by_name("fc1").params["trainable"]
    stack.undo()
    assert graph.by_name("conv1").params["trainable"] and item.height == HEADER + 2 * LINE + 8
    stack.undo()
    assert graph.by_name("fc2").params["out_features"] == 10 and graph.by_name("fc2_new") is None


def test_the_lesson_s_next_step_starts_from_the_first_step_s_run(qtbot):
    window = trained(qtbot, "transfer_lesson")
    entries(window)["Start the Lesson's Next Step from This Run"].trigger()
    graph = window.document.graph
    outputs = [n.name for n in graph.nodes() if n.type == "Output"]
    assert outputs == ["transferred_frozen", "fine_tuned", "from_scratch"]
    assert graph.meta["data"]["classes"] == [5, 6, 7, 8, 9] and graph.meta["data"]["labels_per_class"] == 20
    assert "lesson-step-2.pt" in graph.meta["training"]["init_from"]
    frozen = window.scene.node_items[graph.by_name("frozen_conv1").id]
    assert frozen.height == HEADER + 3 * LINE + 8
    graph.meta["training"] = {**graph.meta["training"], "epochs": 1}
    window.start_training()
    qtbot.waitUntil(lambda: window.training.result is not None, timeout=60000)
    assert window.training.result.status == "finished"
    note = window.training.runs.current.note
    assert ("frozen_conv1, frozen_conv2, frozen_conv3, tuned_conv1, tuned_conv2, tuned_conv3 started from"
            " lesson-step-2.pt") in note


def test_a_weights_file_is_checked_when_chosen_as_the_starting_point(qtbot, tmp_path, monkeypatch):
    import torch
    from PySide6.QtWidgets import QFileDialog, QPushButton

    from netbuilder.compile import build_model
    from netbuilder.ui.training.settings_form import SettingsForm

    document = Document.from_template(TEMPLATES / "cnn_digits.json")
    form = SettingsForm()
    qtbot.addWidget(form)
    form.set_document(document)
    said = []
    form.message.connect(said.append)
    good, bad = tmp_path / "good.pt", tmp_path / "bad.pt"
    torch.save(build_model(document.graph, "logits").state_dict(), good)
    torch.save({"encoder.weight": torch.zeros(3)}, bad)
    browse = form.findChild(QPushButton, "train_init_from_browse")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(bad), ""))
    browse.click()
    assert "no layer here matches the checkpoint 'bad.pt'" in said[-1] and "encoder" in said[-1]
    assert not document.graph.meta["training"].get("init_from")  # refused: not set
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(good), ""))
    browse.click()
    assert said[-1] == "conv1, conv2, fc1, fc2 start from good.pt."
    assert document.graph.meta["training"]["init_from"] == str(good)
