"""The gradient view: one heatmap and bar chart per network, each on its own colour range, drawn from
the current run."""
from netbuilder import GraphBuilder
from netbuilder.runs.run import Run
from netbuilder.ui.training.gradient_view import GradientView, log_window, tints
from netbuilder.ui.training.runs_model import DocumentRuns


def test_each_network_gets_its_own_view_and_range(qtbot):
    b = GraphBuilder()  # two networks in one document, as a GAN has
    b.add("Output", b.add("Linear", b.add("Linear", b.add("Input", name="noise", shape=[8]), name="g1",
                                          out_features=16), name="g2", out_features=64), name="generator")
    runs = DocumentRuns()
    state = runs.add(Run.create(runs.folder, b.graph))
    state.layers = ["g1", "g2", "d1", "d2"]
    state.networks = [("generator", ["g1", "g2"]), ("discriminator", ["d1", "d2"])]
    view = GradientView()
    qtbot.addWidget(view)
    view.show()  # a hidden view does not draw
    view.set_runs(runs)
    assert [v.layers for v in view.views] == [["g1", "g2"], ["d1", "d2"]]
    state.gradients.extend([[1e-3, 1e-2, 100.0, 1000.0]] * 5)
    view.redraw()
    assert view.views[1].image.image.shape == (5, 2)  # steps x that network's layers
    assert log_window(state).shape == (5, 4)
    colors = tints(state)  # each network on its own range: the smallest blue, the largest red
    assert colors["g1"].hueF() > 0.6 and colors["d1"].hueF() > 0.6 and colors["d2"].hueF() < 0.05

    other = runs.add(Run.create(runs.folder, b.graph))  # another run becomes current: its views replace these
    other.layers, other.networks = ["g1"], [("generator", ["g1"])]
    view.redraw()
    assert len(view.views) == 1 and view.views[0].layers == ["g1"]
