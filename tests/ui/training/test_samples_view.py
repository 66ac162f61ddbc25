"""The Samples tab shows what a generative network makes at a readable size (issue 20: the VAE's grid of 96
digits was 65x100 pixels): the tab makes room when it comes forward, and the VAE's latent walk stands beside its
reconstructions rather than under them, so the grids fill the wide tab. A diffusion run shows its reverse process
as a strip (noise to samples) above the samples, points over the real ones for the ring; Save Samples… writes
what the tab shows."""
import torch

from netbuilder.ui.app import TEMPLATES
from netbuilder.ui.document import Document
from netbuilder.ui.training.samples_view import GAP, SamplesView

from runhelpers import train, train_template
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


def test_a_diffusion_run_shows_its_reverse_process_and_its_points_over_the_ring(qtbot):
    window, document = train_template(qtbot, "diffusion_ring", epochs=2)
    panel = window.training
    assert panel.result.status == "finished"
    panel.tabs.setCurrentWidget(panel.samples_view)
    view = panel.samples_view
    assert view.stack.currentWidget() is view.points and "Epoch 2" in view.caption.text()
    assert len(view.fake.data) == 500 and len(view.real.data) == 1000  # the real points: a thousand of them
    assert view.strip.isVisible() and view.strip.kind == "points" and len(view.strip.cells) == 6
    titles = [plot.titleLabel.text for plot, _ in view.strip.cells]
    assert titles[0] == "step 100" and titles[-1] == "step 0"
    last = view.strip.cells[-1][1].data
    assert len(last) == 500 and list(last["x"]) == list(view.fake.data["x"])  # the strip ends at the samples


def test_images_along_the_process_keep_their_cells_and_other_samples_hide_the_strip(qtbot):
    view = SamplesView()
    qtbot.addWidget(view)
    view.show()
    path = [(f"step {s}", torch.rand(4, 1, 8, 8)) for s in (200, 100, 0)]
    view.show_samples(torch.rand(32, 1, 8, 8), "Epoch 1", None, path)
    cells = list(view.strip.cells)
    assert view.strip.isVisible() and view.strip.kind == "images" and len(cells) == 3
    assert view.stack.currentWidget() is view.images
    assert cells[0][1].image.shape[:2] == (4 * 10, 10)  # four 8x8 samples side by side (the picture is x first)
    view.show_samples(torch.rand(32, 1, 8, 8), "Epoch 2", None, path)
    assert view.strip.cells == cells  # the same plots, new data
    view.show_samples(torch.rand(16, 1, 8, 8), "a GAN's samples")
    assert not view.strip.isVisible()


def test_save_samples_writes_what_the_tab_shows(qtbot, tmp_path):
    import numpy as np

    view = SamplesView()
    qtbot.addWidget(view)
    assert not view.save_button.isEnabled()
    digits = torch.rand(12, 1, 8, 8)
    view.show_samples(digits, "Epoch 3: generated")
    assert view.save_button.isEnabled()
    written = view.save_to(str(tmp_path / "saved"))
    assert [p.name for p in written] == ["samples.npy", "samples.png", "samples.json"]
    assert np.array_equal(np.load(tmp_path / "saved" / "samples.npy"), digits.numpy())
    assert "Saved 12 samples" in view.said.text()
    (tmp_path / "file").write_text("")
    assert view.save_to(str(tmp_path / "file")) == []  # a file where the folder should be: said, not raised
    assert "could not be saved" in view.said.text()
    view.clear()
    assert not view.save_button.isEnabled()


def test_a_run_opened_again_shows_the_samples_it_kept(qtbot, tmp_path):
    from netbuilder.graph import SetMeta

    path = str(tmp_path / "ring.json")
    window = make_window(qtbot, Document.from_template(TEMPLATES / "diffusion_ring.json"))
    training = window.document.graph.meta["training"]
    window.document.push(SetMeta(window.document.graph, "training",
                                 {**training, "diffusion_steps": 20, "sampling": "ddim", "ddim_steps": 5}))
    window.save_to(path)
    train(window, qtbot, epochs=2)
    shown = window.training.runs.current.pictures
    again = make_window(qtbot, Document.open(path))  # another window on the file: the run read from its folder
    panel = again.training
    assert panel.runs.current.pictures is not shown  # not the first window's: read from disk
    panel.tabs.setCurrentWidget(panel.samples_view)
    view = panel.samples_view
    assert view.stack.isVisible() and view.stack.currentWidget() is view.points
    assert view.caption.text() == shown[0] and list(view.fake.data["x"]) == shown[1][:, 0].tolist()
    assert view.strip.isVisible() and len(view.strip.cells) == 6 and view.save_button.isEnabled()


def test_a_language_model_run_opened_again_shows_its_text_writes_more_and_saves_it(qtbot, tmp_path):
    import json

    from netbuilder.runs.pictures import SavedText
    from netbuilder.train.language import Generated

    import threading

    from netbuilder.data.text import UNKNOWN
    from test_text_samples import settle, view_with_model

    view, model = view_with_model(qtbot)
    made = Generated("ab", "cd ab", "", 0, 0.8, 3)

    class Saved(SavedText):  # the run's network, as loading it from the checkpoint would give it
        def load(self):
            return model

    view.show_samples(Saved(made, tmp_path), "epoch 4: what the network wrote at the end of the run")
    text = view.text
    assert view.stack.currentWidget() is text and text.output.toPlainText() == "abcd ab"
    assert "Written when the run ended (top-k 3); Write loads the run's network" in text.note.text()
    assert view.save_button.isEnabled()
    written = view.save_to(str(tmp_path / "saved"))
    assert [p.name for p in written] == ["text_1.txt", "samples.json"] and "Saved the text" in view.said.text()
    assert (tmp_path / "saved" / "text_1.txt").read_text(encoding="utf-8") == "abcd ab"
    info = json.loads((tmp_path / "saved" / "samples.json").read_text())
    assert info["seed"] == 0 and info["temperature"] == 0.8 and info["top_k"] == 3 and info["prompt"] == "ab"
    assert info["caption"].startswith("epoch 4")
    text.last = None
    text.prompt.setText("b")
    text.temperature.setValue(0.0)
    text.chars.setValue(3)
    text.write()  # Write: the run's network, loaded off the window's thread
    settle(qtbot, text)
    assert text.output.toPlainText() == "bcd" + UNKNOWN and threading.main_thread() not in model.model.threads
