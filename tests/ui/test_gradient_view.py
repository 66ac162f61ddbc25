"""The gradient view: one heatmap and bar chart per network, each on its own colour range."""
from netbuilder import GraphBuilder
from netbuilder.ui.training.gradient_view import GradientView, network_names


def test_each_network_gets_its_own_view_and_range(qtbot):
    b = GraphBuilder()  # two networks in one document, as a GAN has
    g = b.add("Linear", b.add("Input", name="noise", shape=[8]), name="g1", out_features=16)
    b.add("Output", b.add("Linear", g, name="g2", out_features=64), name="generator")
    d = b.add("Linear", b.add("Input", name="image", shape=[64]), name="d1", out_features=16)
    b.add("Output", b.add("Linear", d, name="d2", out_features=1), name="discriminator")
    networks = network_names(b.graph)
    assert [title for title, _ in networks] == ["generator", "discriminator"]

    view = GradientView()
    qtbot.addWidget(view)
    view.show()  # a hidden view keeps the history but does not draw
    view.reset(["g1", "g2", "d1", "d2"], networks)
    assert [v.layers for v in view.views] == [["g1", "g2"], ["d1", "d2"]]
    ranges = view.add([[1e-3, 1e-2, 100.0, 1000.0]] * 5)
    assert ranges["g1"] == (-3.0, -2.0) and ranges["d2"] == (2.0, 3.0)
    assert view.views[1].image.image.shape == (5, 2)  # steps x that network's layers

    view.reset(["g1"], networks)  # a new run replaces the views
    assert len(view.views) == 1 and view.views[0].layers == ["g1"]
