"""The accuracy chart says so when the runs shown measure no accuracy (a VAE's, a diffusion model's), instead of
staying an empty frame; a run with accuracy, or no finished epoch yet, shows no such words."""
from netbuilder import GraphBuilder
from netbuilder.runs.history import History
from netbuilder.runs.run import Run
from netbuilder.ui.training.curves import AccuracyView
from netbuilder.ui.training.runs_model import DocumentRuns


def history(**epoch_values) -> History:
    h = History()
    for step in range(10):
        h.add_step(step, 0.01, {"loss": 1.0 - step / 20})
    for epoch in range(2):
        h.add_epoch(epoch, 0.01, {"loss": 0.8, "val_loss": 0.9, **epoch_values})
    return h


def graph(recipe: str):
    b = GraphBuilder()
    b.add("Output", b.add("Linear", b.add("Input", shape=[4]), out_features=4))
    b.graph.meta["training"] = {"recipe": recipe}
    return b.graph


def test_the_chart_says_when_no_run_shown_measures_accuracy(qtbot, tmp_path):
    runs = DocumentRuns(str(tmp_path / "doc.json"))
    chart = AccuracyView()
    qtbot.addWidget(chart)
    chart.show()
    chart.set_runs(runs)
    runs.add(Run.create(runs.folder, graph("denoising"), name="run 1"), History())
    chart.redraw()
    assert chart.none.toPlainText() == ""  # nothing trained yet: nothing to say
    runs.add(Run.create(runs.folder, graph("denoising"), name="run 2"), history())
    chart.redraw()
    assert chart.none.toPlainText() == "no accuracy:\na denoising run\nmeasures its loss\n(see Samples)"
    assert not chart.curves
    runs.add(Run.create(runs.folder, graph("supervised"), name="run 3"), history(accuracy=0.5, val_accuracy=0.6))
    chart.redraw()
    assert chart.none.toPlainText() == "" and chart.curves
