"""The Samples tab of a diffusion run: after every epoch, its reverse process as a strip (noise to samples)
above the samples, points over the real ones for the ring, a grid for images."""
import torch

from netbuilder.ui.training.samples_view import SamplesView

from runhelpers import train_template


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
    assert cells[0][1].image.shape[:2] == (2 * 10, 2 * 10)  # four 8x8 samples, two across
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
