"""scattered_digits: the 8x8 digits enlarged, turned and placed anywhere on a larger canvas among stray strokes
and noise, made from the seed (no download): shapes, balance, repeatability, the digit whole and inside the
canvas at changing places, the strokes only added, and a DataError naming each bad option."""
import numpy as np
import pytest
import torch

from netbuilder.data.builtin import _digits_arrays
from netbuilder.data.dataset import DataSpec, builtin_sample, prepare
from netbuilder.data.raw import DataError
from netbuilder.data.scattered import DIGIT, scattered
from netbuilder.data.synthetic import make, option_defaults


def test_pictures_on_the_canvas_in_0_to_1_with_balanced_classes():
    data = make("scattered_digits", n=505, size=20, seed=2)
    assert tuple(data.x.shape) == (505, 1, 20, 20) and data.x.dtype == torch.float32
    assert data.x.min() >= 0 and data.x.max() <= 1
    assert (data.kind, data.task, data.class_names) == ("image", "classification", [str(d) for d in range(10)])
    assert sorted(torch.bincount(data.y).tolist()) == [50] * 5 + [51] * 5
    assert data.notes == ["synthetic scattered_digits: n=505, noise=0.1, seed=2, size=20, clutter=2"]


def test_each_digit_is_whole_inside_the_canvas_at_changing_places_and_sizes():
    images, labels = _digits_arrays()
    x, y = scattered(images, labels, 400, noise=0.0, seed=1, size=28, clutter=0)
    ink = x.reshape(400, -1).sum(axis=1)
    mean_digit = np.array([images[labels == d].sum(axis=1).mean() / 16 for d in range(10)])[y]
    enlarged = ink / mean_digit  # about (side / 8)² when nothing is cut off at an edge
    low, high = ((np.array(DIGIT) * 28 / 8) ** 2)
    assert np.median(enlarged) > low and enlarged.max() < 1.5 * high
    assert enlarged.min() > 0.5 * low  # no digit lost off the canvas
    rows, cols = np.arange(28)[:, None], np.arange(28)[None, :]
    centre_y = (x[:, 0] * rows).sum(axis=(1, 2)) / ink
    centre_x = (x[:, 0] * cols).sum(axis=(1, 2)) / ink
    assert centre_x.std() > 2.5 and centre_y.std() > 2.5  # anywhere, not in the middle
    assert min(centre_x.min(), centre_y.min()) > 4 and max(centre_x.max(), centre_y.max()) < 24


def test_stray_strokes_are_only_added_and_noise_is_spread_over_the_canvas():
    images, labels = _digits_arrays()
    plain, _ = scattered(images, labels, 200, noise=0.0, seed=4, size=28, clutter=0)
    cluttered, _ = scattered(images, labels, 200, noise=0.0, seed=4, size=28, clutter=3)
    assert (cluttered >= plain).all()  # the same digits at the same places, strokes drawn beside them
    added = (cluttered - plain).reshape(200, -1).sum(axis=1)
    assert (added > 0).mean() > 0.9
    noisy, _ = scattered(images, labels, 200, noise=0.2, seed=4, size=28, clutter=0)
    blank = plain == 0
    assert noisy[blank].mean() > 0.05 and np.abs(noisy - plain)[~blank].mean() > 0.02


def test_its_sample_shape_and_the_panels_defaults_come_from_the_generator():
    assert builtin_sample("scattered_digits") == ((1, 28, 28), 10)
    assert option_defaults("scattered_digits") == {"n": 8000, "noise": 0.1, "seed": 0, "size": 28, "clutter": 2}
    prepared = prepare(DataSpec(source="scattered_digits", options={"n": 600, "size": 24}, classes=[5, 6, 7, 8, 9],
                                labels_per_class=20))
    assert prepared.sample_shape == (1, 24, 24) and prepared.counts()["train"] == 100


@pytest.mark.parametrize("options, message", [
    ({"size": 15}, "scattered_digits: size must be a whole number from 16 to 64, not 15"),
    ({"size": 28.0}, "scattered_digits: size must be a whole number from 16 to 64, not 28.0"),
    ({"clutter": 11}, "scattered_digits: clutter must be a whole number from 0 to 10, not 11"),
    ({"clutter": True}, "scattered_digits: clutter must be a whole number from 0 to 10, not True"),
    ({"noise": -0.1}, "scattered_digits: noise must be a number from 0 to 1,000,000.0, not -0.1"),
    ({"n": 20_000, "size": 64}, "scattered_digits: n x size x size is 81,920,000 values, more than the 50,000,000"),
    ({"colour": 1}, "scattered_digits: unknown option colour; it accepts n, noise, seed, size, clutter"),
])
def test_bad_options_are_said(options, message):
    with pytest.raises(DataError, match=f"^{message}"):
        make("scattered_digits", **options)
