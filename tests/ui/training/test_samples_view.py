"""The Samples tab shows what a generative network makes at a readable size (issue 20: the VAE's grid of 96
digits was 65x100 pixels): the tab makes room when it comes forward, and the VAE's latent walk stands beside its
reconstructions rather than under them, so the grids fill the wide tab."""
import torch

from netbuilder.ui.app import TEMPLATES
from netbuilder.ui.document import Document
from netbuilder.ui.training.samples_view import GAP, SamplesView

from runhelpers import train
from uihelpers import make_window

TILE = 8 + 2  # an 8x8 digit and its padding, in the picture's pixels


def on_screen(view):
    """The picture's rectangle in the pixels of the widget that shows it."""
    plot, picture = view.images, view.picture
    return plot.mapFromScene(picture.mapRectToScene(picture.boundingRect())).boundingRect()


def test_grids_given_together_stand_side_by_side(qtbot):
    view = SamplesView()
    qtbot.addWidget(view)
    view.resize(1000, 300)
    view.show()
    pairs, walk = torch.rand(32, 1, 8, 8), torch.rand(64, 1, 8, 8)
    view.show_samples((pairs, walk), "two grids")
    assert view.picture.image.shape[:2] == (8 * TILE + GAP + 8 * TILE, 8 * TILE)  # x first: 8 across each
    view.show_samples(walk, "one grid")
    assert view.picture.image.shape[:2] == (8 * TILE, 8 * TILE)


def test_the_vae_samples_are_shown_at_a_readable_size(qtbot):
    window = make_window(qtbot, Document.from_template(TEMPLATES / "vae_digits.json"))
    window.resize(1280, 800)
    train(window, qtbot, epochs=1)
    panel, view = window.training, window.training.samples_view
    window.docks["Training"].raise_()
    panel.tabs.setCurrentWidget(view)
    assert "on the right, a walk" in view.caption.text()

    def digit_pixels() -> float:
        return on_screen(view).height() / 8 * 8 / TILE  # the walk is eight digits high

    qtbot.waitUntil(lambda: digit_pixels() >= 24, timeout=5000)  # was 6: a digit as large as a word
    rect, room = on_screen(view), view.images.rect()
    assert rect.height() >= 0.85 * room.height() or rect.width() >= 0.85 * room.width()  # it fills the tab
    assert room.contains(rect.adjusted(2, 2, -2, -2))  # and all of it is in sight
