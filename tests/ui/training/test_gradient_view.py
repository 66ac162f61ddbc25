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


def drawn_names(plot) -> list:
    """The layer names the plot's left axis draws: (rectangle, text), as it lays them out to paint."""
    from PySide6.QtGui import QImage, QPainter

    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _, _, texts = plot.getAxis("left").generateDrawSpecs(painter)
    finally:
        painter.end()
    return [(rect, text) for rect, _, text in texts]


def test_layer_names_never_overlap_however_many_layers(qtbot):
    import numpy as np
    from netbuilder.ui.training.gradient_view import NetworkGradients
    from netbuilder.ui.training.layer_axis import NAME_WIDTH

    for count in (5, 60, 400):
        layers = ["stem"] + [f"blocks.{i}.residual_branch_conv_a" for i in range(1, count)]
        view = NetworkGradients("", layers)
        qtbot.addWidget(view)
        view.resize(900, 260)  # a low Training dock
        view.show()
        qtbot.waitExposed(view)
        view.draw(np.random.default_rng(0).normal(-2, 0.5, size=(40, count)))
        for plot in (view.heat, view.bar_plot):  # the axes lay out once the plots have their size
            qtbot.waitUntil(lambda: bool(drawn_names(plot)))
            names = drawn_names(plot)
            assert names[0][1] == layers[0]  # the input side is always named
            rects = sorted((r for r, _ in names), key=lambda r: r.top())
            assert all(a.bottom() <= b.top() + 0.5 for a, b in zip(rects, rects[1:])), f"{count} layers overlap"
            assert all(r.width() <= NAME_WIDTH + 2 for r in rects)  # long names elided, not widening the axis
            assert any(t.startswith("blocks.") and "…" in t for _, t in names)
            if count == 5:
                assert len(names) == 5  # room for every name: all named
            else:
                assert 5 < len(names) < count  # thinned: every k-th layer named
