"""Before training, an Input or an output that does not fit the loaded data is a problem with a fix: 64
scores for the 10 digits is a warning whose fix sets the last Linear to 10; a classification loss on a
regression dataset is an error."""
from netbuilder.graph import SetMeta, SetParam
from netbuilder.ui.app import TEMPLATES
from netbuilder.ui.document import Document

from uihelpers import make_window


def listed(window):
    return [p for p in window.problems.problems or [] if p.node is not None]


def test_an_output_too_wide_for_the_classes_is_a_problem_with_a_fix(qtbot):
    window = make_window(qtbot, Document.from_template(TEMPLATES / "mlp_digits.json"))
    graph = window.document.graph
    window.document.push(SetParam(graph, graph.by_name("classes").id, "out_features", 64))
    window.data.show_preview()
    found = [p for p in listed(window) if "gives 64 scores but" in p.message]
    assert found and found[0].severity == "warning" and found[0].node == graph.by_name("logits").id
    assert found[0].fix.label == "set classes's out_features to 10"
    window.problems.fixRequested.emit(found[0].fix)
    assert graph.by_name("classes").params["out_features"] == 10
    qtbot.waitUntil(lambda: not any("scores but" in p.message for p in listed(window)))  # refreshed after edits
    window.document.push(SetParam(graph, graph.by_name("classes").id, "out_features", 12))
    qtbot.waitUntil(lambda: any("gives 12 scores but" in p.message for p in listed(window)))


def test_a_classification_loss_on_regression_targets_is_an_error(qtbot):
    window = make_window(qtbot, Document.from_template(TEMPLATES / "gru_sine_forecast.json"))
    graph = window.document.graph
    window.document.push(SetMeta(graph, "training", {**graph.meta.get("training", {}), "loss": "cross_entropy"}))
    window.data.show_preview()
    found = [p for p in listed(window) if "classification loss" in p.message]
    assert found and found[0].severity == "error" and "choose mse or l1" in found[0].message


def test_settings_that_cannot_be_read_leave_the_output_check_to_the_settings_problems(qtbot):
    window = make_window(qtbot, Document.from_template(TEMPLATES / "mlp_digits.json"))
    graph = window.document.graph
    window.document.push(SetMeta(graph, "training", {**graph.meta.get("training", {}), "epochs": "many"}))
    window.data.show_preview()
    assert any("epochs" in p.message for p in window.problems.problems)
    window.document.push(SetMeta(graph, "training", {**graph.meta.get("training", {}), "epochs": 10**30,
                                                     "lr": float("nan")}))
    window.training.settings.refresh()  # shown clamped, or left as it was; never a crash
    assert any("epochs" in p.message for p in window.problems.problems)


def test_an_input_that_does_not_fit_the_samples_is_a_problem_with_a_fix(qtbot):
    window = make_window(qtbot, Document.from_template(TEMPLATES / "cnn_digits.json"))
    graph = window.document.graph
    image = graph.by_name("image").id
    window.document.push(SetParam(graph, image, "shape", [1, 28, 28]))
    window.data.show_preview()
    found = [p for p in listed(window) if p.node == image]
    assert found and found[0].severity == "error"
    assert "takes [N, 1, 28, 28] but digits samples are [N, 1, 8, 8] (64 values)" in found[0].message
    assert found[0].fix.label == "set its shape to [1, 8, 8]"
    window.problems.fixRequested.emit(found[0].fix)
    assert graph.node(image).params["shape"] == [1, 8, 8]
    qtbot.waitUntil(lambda: not any(p.node == image for p in listed(window)))
    window.document.undo_stack.undo()  # the fix is one undo step
    assert graph.node(image).params["shape"] == [1, 28, 28]
