"""Runs in the window: each document shows its own runs, status and test results; runs come back when
a document reopens; resume refuses a run of another network, naming the layers."""
from PySide6.QtWidgets import QLabel

from netbuilder.graph import SetParam
from netbuilder.ui.app import TEMPLATES
from netbuilder.ui.document import Document
from netbuilder.ui.training.panel import IDLE

from runhelpers import train
from uihelpers import make_window


def summary(panel) -> str:
    panel.tabs.setCurrentWidget(panel.evaluation)
    return panel.evaluation.findChild(QLabel, "evaluation_summary").text()


def test_each_document_shows_its_own_runs_and_they_come_back(qtbot, tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    Document.from_template(TEMPLATES / "mlp_digits.json").save(str(b))
    window = make_window(qtbot)
    window.save_to(str(a))
    panel = window.training
    train(window, qtbot)
    first = panel.runs.current
    assert [s.run.name for s in panel.runs.states] == ["run 1"] and "run 1: Finished" in panel.status.text()
    tested_a = summary(panel)
    assert "samples" in tested_a

    assert window.open_file(str(b))
    assert panel.runs.states == [] and panel.status.text() == IDLE and summary(panel) == ""
    assert panel.run_list.topLevelItemCount() == 0
    panel.loss_plot.redraw()
    assert panel.loss_plot.curves == {}  # nothing of the other document's runs is drawn
    train(window, qtbot, epochs=2)
    assert [s.run.name for s in panel.runs.states] == ["run 1"] and panel.runs.current.run.epochs_done == 2

    assert window.open_file(str(a))  # back: its run, curves, status and test results are read from disk
    state = panel.runs.current
    assert state.id == first.id and state.run.status == "finished" and state.history.steps == first.history.steps
    assert "run 1: Finished after 1 epoch" in panel.status.text()
    assert summary(panel) == tested_a
    window.docks["Training"].raise_()
    panel.tabs.setCurrentIndex(0)
    panel.loss_plot.redraw()
    assert {key[1] for key in panel.loss_plot.curves} >= {"raw", "smoothed", "val"}


def test_unsaved_documents_keep_their_runs_apart(qtbot):
    one, two = (Document.from_template(TEMPLATES / "cnn_digits.json") for _ in range(2))
    assert one.runs.folder != two.runs.folder


def test_saving_moves_an_unsaved_documents_runs_with_it(qtbot, tmp_path):
    window = make_window(qtbot)
    train(window, qtbot)
    before = window.training.runs.current.run.folder
    window.save_to(str(tmp_path / "net.json"))
    runs = window.document.runs
    assert [s.run.name for s in runs.states] == ["run 1"] and not before.exists()
    assert runs.current.run.checkpoint.is_file()
    assert window.training.sweep_view.folder == runs.folder  # its sweeps are read from where they went


def test_resume_refuses_a_run_of_another_network_naming_the_layers(qtbot):
    window = make_window(qtbot)
    train(window, qtbot)
    graph = window.document.graph
    window.document.push(SetParam(graph, graph.by_name("fc1").id, "out_features", 48))
    window.start_training(resume=True)
    text = window.training.status.text()
    assert text.startswith("Cannot resume: the network differs from run 1's") and "fc1: out_features" in text
    assert not window.training.running
