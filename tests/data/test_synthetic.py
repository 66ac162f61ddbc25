"""Synthetic datasets: shapes and types, balanced classes, repeatable seeds, exact geometry without
noise, and a DataError that says what is wrong for every bad name, option and value."""
import math

import pytest
import torch

from netbuilder.data.raw import DataError
from netbuilder.data.synthetic import (GENERATORS, adding_problem, blobs, circles, describe, digits_rows, make, moons,
                                       regression_1d, ring, ring_centres, sine_forecast, spirals)

NAMES = ["moons", "spirals", "circles", "blobs", "regression_1d", "sine_forecast", "adding_problem", "digits_rows",
         "ring", "scattered_digits"]
# name -> (x shape, y shape, kind, task, classes) with the defaults
EXPECTED = {
    "moons": ((1000, 2), (1000,), "table", "classification", 2),
    "spirals": ((1000, 2), (1000,), "table", "classification", 2),
    "circles": ((1000, 2), (1000,), "table", "classification", 2),
    "blobs": ((1000, 2), (1000,), "table", "classification", 3),
    "regression_1d": ((1000, 1), (1000, 1), "table", "regression", 0),
    "sine_forecast": ((1000, 30, 1), (1000, 1), "sequence", "regression", 0),
    "adding_problem": ((1000, 50, 2), (1000, 1), "sequence", "regression", 0),
    "digits_rows": ((1797, 8, 8), (1797,), "sequence", "classification", 10),
    "ring": ((1000, 2), (1000,), "table", "classification", 8),
    "scattered_digits": ((8000, 1, 28, 28), (8000,), "image", "classification", 10),
}


def test_the_registry_names_every_generator_with_a_description():
    assert list(GENERATORS) == NAMES
    for name in NAMES:
        assert describe(name) and "\n" not in describe(name)
    assert len({describe(name) for name in NAMES}) == len(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_shapes_types_kinds_and_tasks(name):
    x_shape, y_shape, kind, task, classes = EXPECTED[name]
    data = make(name)
    assert tuple(data.x.shape) == x_shape and tuple(data.y.shape) == y_shape
    assert data.x.dtype == torch.float32 and torch.isfinite(data.x).all()
    assert data.y.dtype == (torch.int64 if task == "classification" else torch.float32)
    assert (data.kind, data.task, data.classes) == (kind, task, classes)
    if classes:
        assert data.class_names == [str(c) for c in range(classes)]
        assert set(data.y.tolist()) == set(range(classes))
    else:
        assert data.class_names is None
    assert data.notes == [data.notes[0]] and data.notes[0].startswith(f"synthetic {name}: n=")


@pytest.mark.parametrize("name, options", [("moons", {}), ("circles", {}), ("spirals", {"classes": 4}),
                                           ("blobs", {"classes": 7, "features": 5}), ("ring", {"classes": 6})])
def test_classes_are_balanced_with_the_remainder_spread(name, options):
    data = make(name, n=1003, **options)
    classes = options.get("classes", 2)
    counts = torch.bincount(data.y, minlength=classes).tolist()
    assert sorted(counts, reverse=True) == [1003 // classes + (c < 1003 % classes) for c in range(classes)]
    assert data.x.shape[1] == options.get("features", 2)
    same_as_next = (data.y[1:] == data.y[:-1]).float().mean().item()  # shuffled: about 1 / classes
    assert 0.6 / classes < same_as_next < 1.4 / classes  # not class after class, nor taking turns


def test_digits_rows_are_the_digit_images_row_by_row_and_balanced_when_they_can_be():
    from netbuilder.data.builtin import _digits_arrays

    images, labels = _digits_arrays()
    data = digits_rows()
    assert sorted(data.y.tolist()) == sorted(labels.tolist())
    rows = {tuple(row) for row in torch.tensor(images / 16.0, dtype=torch.float32).reshape(-1, 64).tolist()}
    assert all(tuple(sample) in rows for sample in data.x.reshape(-1, 64).tolist())  # time = rows of the image
    assert 0 <= data.x.min() and data.x.max() <= 1
    assert 0.06 < (data.y[1:] == data.y[:-1]).float().mean().item() < 0.14  # shuffled
    assert sorted(torch.bincount(digits_rows(n=1005).y).tolist()) == [100] * 5 + [101] * 5
    with pytest.raises(DataError, match="digits_rows: n must be at most 1797"):
        digits_rows(n=1798)


@pytest.mark.parametrize("name", NAMES)
def test_a_seed_repeats_and_another_seed_differs(name):
    options = {"noise": 0.1} if name in ("adding_problem", "digits_rows") else {}
    options = {"n": 300} if name == "scattered_digits" else options
    first, again, other = make(name, seed=5, **options), make(name, seed=5, **options), make(name, seed=6, **options)
    assert torch.equal(first.x, again.x) and torch.equal(first.y, again.y)
    assert not torch.equal(first.x, other.x)


def test_moons_without_noise_lie_on_their_half_circles():
    data = moons(n=500, noise=0)
    upper, lower = data.x[data.y == 0].double(), data.x[data.y == 1].double()
    assert torch.allclose(upper.norm(dim=1), torch.ones(len(upper), dtype=torch.double), atol=1e-6)
    assert (upper[:, 1] >= -1e-6).all()
    centred = lower - torch.tensor([1.0, 0.5], dtype=torch.double)
    assert torch.allclose(centred.norm(dim=1), torch.ones(len(lower), dtype=torch.double), atol=1e-6)
    assert (centred[:, 1] <= 1e-6).all()
    assert not torch.allclose(moons(n=500, noise=0.1).x[:, 0].double(), data.x[:, 0].double())


def test_circles_without_noise_have_radius_one_and_factor():
    data = circles(n=400, noise=0, factor=0.3)
    radius = data.x.norm(dim=1)
    assert torch.allclose(radius[data.y == 0], torch.tensor(1.0), atol=1e-6)
    assert torch.allclose(radius[data.y == 1], torch.tensor(0.3), atol=1e-6)


def test_spirals_without_noise_turn_with_the_radius():
    data = spirals(n=300, noise=0, classes=3, turns=2.0)
    radius = data.x.double().norm(dim=1)
    angle = 2 * math.pi * (2.0 * radius + data.y.double() / 3)
    expected = radius[:, None] * torch.stack([angle.cos(), angle.sin()], dim=1)
    assert torch.allclose(data.x.double(), expected, atol=1e-5)
    assert radius.max() <= 1 + 1e-6


def test_blobs_spread_around_one_centre_per_class():
    data = blobs(n=600, noise=0, classes=4, features=3)
    for c in range(4):
        members = data.x[data.y == c]
        assert torch.allclose(members, members[:1].expand_as(members))
    assert len({tuple(data.x[data.y == c][0].tolist()) for c in range(4)}) == 4
    spread = blobs(n=3000, noise=2.0, seed=1, classes=1 + 1)
    first = spread.x[spread.y == 0]
    assert 1.8 < (first - first.mean(dim=0)).std().item() < 2.2


def test_ring_modes_sit_evenly_on_the_circle_one_class_each():
    centres = ring_centres(8, 2.0).double()
    angles = torch.atan2(centres[:, 1], centres[:, 0]) % (2 * math.pi)
    assert torch.allclose(angles, torch.arange(8, dtype=torch.double) * math.pi / 4, atol=1e-6)
    assert torch.allclose(centres.norm(dim=1), torch.full((8,), 2.0, dtype=torch.double), atol=1e-6)
    data = ring(n=800, noise=0)
    assert torch.allclose(data.x, ring_centres()[data.y], atol=1e-6)  # the label is the mode
    assert torch.bincount(data.y).tolist() == [100] * 8
    five = ring(n=500, noise=0, classes=5, radius=3.5)
    assert torch.allclose(five.x, ring_centres(5, 3.5)[five.y], atol=1e-5)
    assert torch.allclose(five.x.norm(dim=1), torch.tensor(3.5), atol=1e-5)


def test_ring_noise_is_the_spread_of_each_mode():
    data = ring(n=8000, noise=0.1, seed=2)
    offsets = data.x - ring_centres()[data.y]
    assert offsets.mean(dim=0).abs().max() < 0.01  # centred on its mode
    assert 0.09 < offsets.std().item() < 0.11
    assert (offsets.norm(dim=1) < 0.5).all()  # no sample strays to the next mode (1.53 away)
    assert make("ring").notes == ["synthetic ring: n=1000, noise=0.05, seed=0, classes=8, radius=2.0"]


def test_regression_1d_without_noise_is_the_function():
    data = regression_1d(n=300, noise=0)
    x = data.x.double()
    assert (x.abs() <= 3).all() and x.min() < -2.5 and x.max() > 2.5
    assert torch.allclose(data.y.double(), torch.sin(2 * x) + 0.3 * x, atol=1e-6)


def test_sine_forecast_without_noise_continues_a_sine_wave():
    data = sine_forecast(n=200, noise=0, steps=12)
    series = torch.cat([data.x[:, :, 0], data.y], dim=1).double()  # 13 values of sin(w t + phase)
    assert (series.abs() <= 1 + 1e-6).all()
    # a sine sampled at equal steps obeys s[t+1] + s[t-1] = 2 cos(w) s[t], with one w per sample
    middle, around = series[:, 1:-1], series[:, 2:] + series[:, :-2]
    cos_w = (around * middle).sum(dim=1, keepdim=True) / (2 * (middle * middle).sum(dim=1, keepdim=True))
    assert (around - 2 * cos_w * middle).abs().max() < 1e-4  # the target too continues the wave
    assert (cos_w.min() > math.cos(0.8) - 1e-3) and (cos_w.max() < math.cos(0.2) + 1e-3)
    assert cos_w.std() > 0.05  # the frequencies differ


def test_adding_problem_targets_are_the_sum_of_the_two_marked_values():
    data = adding_problem(n=2000, steps=7)
    values, markers = data.x[:, :, 0], data.x[:, :, 1]
    assert ((0 <= values) & (values <= 1)).all()
    assert set(markers.unique().tolist()) == {0.0, 1.0} and (markers.sum(dim=1) == 2).all()
    assert torch.allclose(data.y[:, 0], (values * markers).sum(dim=1), atol=1e-6)
    assert (markers.sum(dim=0) > 100).all()  # the marks fall on every step
    noisy = adding_problem(n=2000, steps=7, noise=0.5)
    assert (noisy.y[:, 0] - (noisy.x[:, :, 0] * noisy.x[:, :, 1]).sum(dim=1)).std() > 0.4


def test_make_forwards_options_and_equals_the_direct_call():
    made, direct = make("spirals", n=123, noise=0.2, seed=9, classes=5, turns=0.5), spirals(
        n=123, noise=0.2, seed=9, classes=5, turns=0.5)
    assert torch.equal(made.x, direct.x) and torch.equal(made.y, direct.y) and made.classes == 5
    assert made.notes == ["synthetic spirals: n=123, noise=0.2, seed=9, classes=5, turns=0.5"]
    assert make("adding_problem", n=10, steps=3).x.shape == (10, 3, 2)
    assert make("sine_forecast", n=4, steps=9).x.shape == (4, 9, 1)


def test_unknown_names_and_options_say_what_is_known():
    with pytest.raises(DataError, match=r"no synthetic dataset called 'moon'; the known ones are moons, spirals, "
                                        r"circles, blobs, regression_1d, sine_forecast, adding_problem, digits_rows, "
                                        r"ring, scattered_digits$"):
        make("moon")
    with pytest.raises(DataError, match="no synthetic dataset called 'x'"):
        describe("x")
    with pytest.raises(DataError, match=r"^moons: unknown option classes; it accepts n, noise, seed$"):
        make("moons", classes=3)
    with pytest.raises(DataError, match=r"^circles: unknown options colour, size; it accepts n, noise, seed, factor$"):
        circles(size=1, colour="red")


@pytest.mark.parametrize("name, options, message", [
    ("moons", {"noise": -1}, "moons: noise must be a number from 0 to 1,000,000.0, not -1"),
    ("moons", {"noise": float("nan")}, "moons: noise must be a number from 0 to 1,000,000.0, not nan"),
    ("circles", {"noise": float("inf")}, "circles: noise must be a number from 0 to 1,000,000.0, not inf"),
    ("blobs", {"noise": "1"}, "blobs: noise must be a number from 0 to 1,000,000.0, not '1'"),
    ("moons", {"n": 0}, "moons: n must be a whole number from 1 to 2,000,000, not 0"),
    ("regression_1d", {"n": 2.5}, "regression_1d: n must be a whole number from 1 to 2,000,000, not 2.5"),
    ("digits_rows", {"n": True}, "digits_rows: n must be a whole number from 1 to 2,000,000, not True"),
    ("spirals", {"classes": 1}, "spirals: classes must be a whole number from 2 to 1,000, not 1"),
    ("blobs", {"classes": 0}, "blobs: classes must be a whole number from 2 to 1,000, not 0"),
    ("blobs", {"features": 0}, "blobs: features must be a whole number from 1 to 10,000, not 0"),
    ("sine_forecast", {"steps": 1}, "sine_forecast: steps must be a whole number from 2 to 10,000, not 1"),
    ("adding_problem", {"steps": 1}, "adding_problem: steps must be a whole number from 2 to 10,000, not 1"),
    ("spirals", {"turns": -0.5}, "spirals: turns must be a number from 0 to 1,000, not -0.5"),
    ("moons", {"seed": "a"}, "moons: seed must be a whole number from 0 to 9,223,372,036,854,775,807, not 'a'"),
    ("circles", {"factor": 1}, r"circles: factor must be a number between 0 and 1 \(both excluded\), not 1"),
    ("circles", {"factor": 0.0}, r"circles: factor must be a number between 0 and 1 \(both excluded\), not 0.0"),
    ("ring", {"radius": 0}, "ring: radius must be a number above 0, not 0"),
    ("ring", {"radius": float("inf")}, "ring: radius must be a number above 0, not inf"),
    ("ring", {"radius": "2"}, "ring: radius must be a number above 0, not '2'"),
    ("ring", {"classes": 1}, "ring: classes must be a whole number from 2 to 1,000, not 1"),
    ("ring", {"noise": -0.1}, "ring: noise must be a number from 0 to 1,000,000.0, not -0.1"),
])
def test_bad_values_are_named_with_the_generator_and_the_value(name, options, message):
    with pytest.raises(DataError, match=f"^{message}$"):
        make(name, **options)
    with pytest.raises(DataError, match=f"^{message}$"):
        GENERATORS[name](**options)


def test_a_hundred_thousand_samples_take_no_per_sample_loop():
    import time

    start = time.perf_counter()
    # digits_rows has only 1,797; scattered_digits is bounded by its pixels (about 63,000 pictures of 28x28)
    for name in [name for name in NAMES if name not in ("digits_rows", "scattered_digits")]:
        assert len(make(name, n=100_000).x) == 100_000
    assert time.perf_counter() - start < 10  # about half a second in all when vectorised


def test_sizes_are_bounded_before_anything_is_made():
    with pytest.raises(DataError, match=r"^moons: n must be a whole number from 1 to 2,000,000, not 1000000000$"):
        make("moons", n=10**9)
    with pytest.raises(DataError, match=r"blobs: n x features x steps is 100,000,000 values, more than"):
        make("blobs", n=1_000_000, features=100)
