"""Narrowing a classification dataset to some classes and to a few labels per class: the counts with a fixed
seed, the relabelling, and a split that leaves a class without samples said in words."""
import pytest
import torch

from netbuilder.data.dataset import DataSpec, prepare
from netbuilder.data.narrow import classes_text, parse_classes
from netbuilder.data.raw import DataError, RawData
from netbuilder.data.sample import sample_of


def test_digits_5_to_9_with_20_labels_each():
    spec = DataSpec(classes=[5, 6, 7, 8, 9], labels_per_class=20, seed=3)
    prepared = prepare(spec)
    assert prepared.raw.class_names == ["5", "6", "7", "8", "9"] and prepared.outputs == 5
    assert torch.bincount(prepared.train[1]).tolist() == [20] * 5  # relabelled 0..4
    # validation and test keep their share of the kept classes (the digits hold 182, 181, 179, 174, 180)
    assert prepared.counts() == {"train": 100, "validation": 134, "test": 134}
    assert set(prepared.val[1].tolist()) == set(range(5)) and set(prepared.test[1].tolist()) == set(range(5))
    assert "relabelled 0 to 4" in prepared.raw.notes[-1]
    again = prepare(spec)
    assert torch.equal(again.train[0], prepared.train[0])  # the same seed picks the same labelled samples
    other = prepare(DataSpec(classes=[5, 6, 7, 8, 9], labels_per_class=20, seed=4))
    assert not torch.equal(other.train[0], prepared.train[0])
    # the samples kept are really the digits 5..9: each kept image is one of the source's images of its digit
    full = prepare(DataSpec(seed=3))
    everything = torch.cat([full.train[0], full.val[0], full.test[0]]).flatten(1)
    labels = torch.cat([full.train[1], full.val[1], full.test[1]])
    for image, label in zip(prepared.train[0].flatten(1), prepared.train[1]):
        same = (everything == image).all(dim=1)
        assert (labels[same] == label + 5).any()


def test_the_order_written_is_the_new_labelling_and_the_source_test_set_is_narrowed_too():
    x = torch.arange(60, dtype=torch.float32)[:, None]
    raw = RawData(x, torch.arange(60) % 3, "table", "classification", ["a", "b", "c"],
                  test=(torch.zeros(9, 1), torch.arange(9) % 3))
    prepared = prepare(DataSpec(classes=[2, 0], val_fraction=0.2), raw=raw)
    assert prepared.raw.class_names == ["c", "a"]
    assert ((prepared.train[0][:, 0] % 3 == 2) == (prepared.train[1] == 0)).all()
    assert prepared.test[1].tolist() == [1, 0, 1, 0, 1, 0]  # its own test set: a->1, c->0, b gone


def test_a_split_that_leaves_a_class_without_samples_is_said():
    with pytest.raises(DataError, match="the validation part has no sample of class 2"):
        prepare(DataSpec(source="blobs", options={"n": 8}, classes=[0, 1, 2], val_fraction=0.2, test_fraction=0.2))
    with pytest.raises(DataError, match="class 5 has 128 training samples, fewer than the 200 labels per class"):
        prepare(DataSpec(classes=[5, 6], labels_per_class=200))
    with pytest.raises(DataError, match="digits has classes 0 to 9: there is no class 12"):
        prepare(DataSpec(classes=[5, 12]))
    with pytest.raises(DataError, match="labels per class is for classification"):
        prepare(DataSpec(source="sine_forecast", options={"n": 50}, labels_per_class=2))


def test_settings_are_checked_before_reading_and_written_as_ranges():
    assert DataSpec(classes=[3]).problems() == ["classes must keep at least two classes (one class leaves"
                                                " nothing to tell apart)"]
    assert "classes lists 4 twice" in DataSpec(classes=[4, 4]).problems()
    assert any("labels per class" in p for p in DataSpec(labels_per_class=-1).problems())
    assert any("class numbers" in p for p in DataSpec(classes=["5"]).problems())
    assert parse_classes("5-9") == [5, 6, 7, 8, 9] and parse_classes(" 1, 3 7-8 ") == [1, 3, 7, 8]
    assert parse_classes("") == [] and classes_text([5, 6, 7, 8, 9]) == "5-9" and classes_text([0, 2, 3]) == "0, 2, 3"
    with pytest.raises(DataError, match="'x' is neither a class number nor a range"):
        parse_classes("1, x")
    with pytest.raises(DataError, match="runs backwards"):
        parse_classes("9-5")


def test_a_new_last_layer_fits_the_kept_classes():
    assert sample_of(DataSpec(classes=[5, 6, 7, 8, 9])).outputs == 5
    assert sample_of(DataSpec(source="mnist", classes=[0, 1, 2])).outputs == 3


def test_the_training_script_refuses_a_narrowed_dataset():
    from pathlib import Path

    from netbuilder.deploy.script import ScriptError, script_source
    from netbuilder.graph import io
    from netbuilder.layers import check_node

    graph = io.load(Path(__file__).resolve().parents[2] / "templates" / "cnn_digits.json", check_node)
    script_source(graph)
    graph.meta["data"] = DataSpec(classes=[5, 6, 7, 8, 9]).to_dict()
    with pytest.raises(ScriptError, match="the dataset is narrowed"):
        script_source(graph)


def test_what_a_document_trains_on_says_how_it_is_narrowed():
    from netbuilder.data.narrow import narrowing_words
    from netbuilder.ui.gallery import facts  # the gallery and the About pane say it so

    assert narrowing_words({"classes": [5, 6, 7, 8, 9], "labels_per_class": 20}) == " (classes 5-9, 20 labels each)"
    assert narrowing_words({}) == "" and narrowing_words({"classes": "5-9"}) == ""  # unreadable: said elsewhere
    assert facts({"data": {"source": "digits", "classes": [0, 1]}}) == "Trains on: digits (classes 0, 1)."
