"""Problems come from one model per graph being edited: the Problems panel, the canvas outlines and the inspector
read it, whatever the source (the analysis, the settings, the data, the run's diagnosis)."""
from PySide6.QtWidgets import QApplication

from netbuilder.graph import Disconnect, SetMeta
from netbuilder.graph.problems import Problem


def shown(window, node_id):
    """The node's problems as the outline, the inspector and the panel show them."""
    window.scene.select_nodes([node_id])
    QApplication.processEvents()
    outline = [p.message for p in window.scene.node_items[node_id].problems]
    inspector = window.inspector.shape_label.text()
    listed = [p.message for p in window.problems.problems if p.node == node_id]
    return outline, inspector, listed


def test_the_diagnosis_reaches_the_outline_the_inspector_and_the_list(window):
    graph = window.document.graph
    conv1 = graph.by_name("conv1").id
    warning = Problem(conv1, "its gradients vanish", severity="warning")
    window.document.problems.set_diagnosis([warning])
    outline, inspector, listed = shown(window, conv1)
    assert outline == listed == ["its gradients vanish"] and "⚠ its gradients vanish" in inspector
    window.document.problems.set_diagnosis([])
    outline, inspector, listed = shown(window, conv1)
    assert outline == listed == [] and "vanish" not in inspector


def test_a_network_problem_reaches_all_three_once_the_edit_is_applied(window):
    graph = window.document.graph
    fc2 = graph.by_name("fc2").id
    window.document.push(Disconnect(graph.out_edges(fc2)[0]))  # fc2's result goes nowhere now
    outline, inspector, listed = shown(window, fc2)
    assert outline == listed and any("no Output" in m for m in outline) and "no Output" in inspector


def test_settings_problems_are_listed_inside_a_block_too(window, qtbot):
    """A block's model has the document's settings; the data and the diagnosis stay the document's."""
    graph = window.document.graph
    window.document.push(SetMeta(graph, "training", {**graph.meta.get("training", {}), "epochs": "many"}))
    qtbot.waitUntil(lambda: any("epochs" in p.message for p in window.problems.problems))
    window.scene.select_nodes([graph.by_name(n).id for n in ("conv1", "relu1")])
    window.blocks.ask_name = lambda default: "Stem"
    window.blocks.group()
    window.blocks.open(graph.by_name("stem1").id)
    assert window.problems.source is window.scene.problems is not window.document.problems
    qtbot.waitUntil(lambda: any("epochs" in p.message for p in window.problems.problems))
    window.document.problems.set_diagnosis([Problem(graph.by_name("stem1").id, "slow", severity="warning")])
    assert not any(p.message == "slow" for p in window.problems.problems)
    window.blocks.leave()
    assert any(p.message == "slow" for p in window.problems.problems)
