"""One colour per network and per run on every chart: a comparison's networks have the same colour on the
loss chart as on the accuracy chart (whatever order their curves came in), and the learning-rate chart
draws a run in the run's colour."""
from netbuilder import GraphBuilder
from netbuilder.runs.history import History
from netbuilder.runs.run import Run
from netbuilder.ui.training.curves import AccuracyView, LearningRateView, LossView
from netbuilder.ui.training.runs_model import DocumentRuns


def side_by_side() -> History:
    """A comparison's curves, its networks' losses in the order the recipe gave them (not by name)."""
    history = History()
    for step in range(40):
        history.add_step(step, 0.05, {"loss": 1.2, "loss/sigmoid_net": 2.3, "loss/residual_net": 0.1})
    for epoch in range(3):
        history.add_epoch(epoch, 0.05, {"val_accuracy/sigmoid_net": 0.1, "val_accuracy/residual_net": 0.9 + epoch / 100,
                                        "val_accuracy": 0.92})
    return history


def pen_colour(item) -> tuple:
    return item.opts["pen"].color().getRgb()[:3]


def network_colours(plot, state) -> dict:
    plot.redraw()
    return {key[1]: pen_colour(item) for key, item in plot.curves.items()
            if key[0] == state.id and key[1] in ("sigmoid_net", "residual_net")}


def test_a_network_has_one_colour_on_the_loss_and_the_accuracy_chart(qtbot, tmp_path):
    b = GraphBuilder()
    b.add("Output", b.add("Linear", b.add("Input", shape=[4]), out_features=2))
    runs = DocumentRuns(str(tmp_path / "doc.json"))
    loss, accuracy, rate = LossView(), AccuracyView(), LearningRateView()
    for plot in (loss, accuracy, rate):
        qtbot.addWidget(plot)
        plot.show()
        plot.set_runs(runs)
    runs.add(Run.create(runs.folder, b.graph, name="run 1"), History())  # another run first: run 2 is not blue
    state = runs.add(Run.create(runs.folder, b.graph, name="run 2"), side_by_side())
    on_loss, on_accuracy = network_colours(loss, state), network_colours(accuracy, state)
    assert set(on_loss) == {"sigmoid_net", "residual_net"} and on_loss == on_accuracy
    assert on_loss["sigmoid_net"] != on_loss["residual_net"]
    rate.redraw()
    assert [pen_colour(item) for item in rate.curves.values()] == [runs.color(state)]
