"""Anomaly-detection protocols as a data setting: one class normal, or one class held out as the anomaly;
training keeps the normal samples, validation and test keep everything, labelled 0 normal / 1 anomaly."""
import pytest
import torch

from netbuilder.data.anomaly import LABELS, normal_part, under_protocol
from netbuilder.data.dataset import DataSpec, prepare
from netbuilder.data.raw import DataError, RawData


def table(n=200, classes=4):
    x = torch.randn(n, 3, generator=torch.Generator().manual_seed(0))
    y = torch.arange(n) % classes
    return RawData(x, y, "table", "classification", [f"c{i}" for i in range(classes)])


def test_digits_one_class_trains_on_the_normal_digit_and_tests_on_all():
    plain = prepare(DataSpec(seed=3))
    one = prepare(DataSpec(seed=3, anomaly={"protocol": "one_class", "class": 0}))
    zeros = int((plain.train[1] == 0).sum())  # 178 zeros in the digits, 70% of them to train on
    assert zeros == 124 and one.counts() == {"train": 124, "validation": len(plain.val[0]),
                                              "test": len(plain.test[0])}
    assert one.raw.class_names == LABELS and under_protocol(one) and not under_protocol(plain)
    assert torch.equal(one.train[0], plain.train[0][plain.train[1] == 0])  # the same zeros, the same split
    assert one.train[1].sum() == 0
    for part, was in ((one.val, plain.val), (one.test, plain.test)):
        assert torch.equal(part[0], was[0]) and torch.equal(part[1], (was[1] != 0).long())
    assert int((one.val[1] == 0).sum()) == 27 and int((one.val[1] == 1).sum()) == len(one.val[1]) - 27
    assert any("class 0 is normal" in n for n in one.raw.notes)


def test_held_out_trains_on_the_other_classes_and_a_class_is_found_by_name():
    raw = table(200)
    held = prepare(DataSpec(val_fraction=0.2, test_fraction=0.1, seed=5,
                            anomaly={"protocol": "held_out", "class": "c2"}), raw=raw)
    assert held.counts() == {"train": 105, "validation": 40, "test": 20}  # 140 training samples less c2's 35
    assert held.train[1].sum() == 0 and held.val[1].sum() == 10 and held.test[1].sum() == 5
    assert torch.equal(held.raw.original, raw.y) and torch.equal(held.raw.y, (raw.y == 2).long())
    assert normal_part(held.val)[1].tolist() == [0] * 30


def test_normalisation_is_fitted_on_the_normal_training_samples():
    raw = table(200)
    raw.x[raw.y == 1] += 1000.0  # the anomalies are far off: the statistics must not see them
    one = prepare(DataSpec(normalize="standardize", anomaly={"protocol": "one_class", "class": 0}), raw=raw)
    assert torch.allclose(one.train[0].mean(0), torch.zeros(3), atol=1e-4)
    assert one.stats[0].abs().max() < 5


def test_a_source_with_its_own_test_set_is_relabelled():
    raw = table(100)
    raw.test = (torch.zeros(8, 3), torch.arange(8) % 4)
    one = prepare(DataSpec(val_fraction=0.2, anomaly={"protocol": "one_class", "class": 1}), raw=raw)
    assert one.test[1].tolist() == [1, 0, 1, 1, 1, 0, 1, 1]
    assert one.counts()["train"] == 20


@pytest.mark.parametrize("anomaly, message", [
    ({"protocol": "two_class", "class": 0}, "must be one of one_class, held_out"),
    ({"protocol": "one_class"}, "needs the class it is about"),
    ({"protocol": "one_class", "class": -1}, "needs the class it is about"),
    ({"class": 3}, "names a class but no protocol"),
    ({"protocol": "one_class", "class": 0, "normal": 1}, "unknown keys 'normal'"),
    ("zero", "must be a mapping"),
])
def test_bad_protocols_are_refused_with_reasons(anomaly, message):
    spec = DataSpec(anomaly=anomaly)
    assert any(message in p for p in spec.problems()), spec.problems()
    with pytest.raises(DataError, match=message):
        prepare(spec, raw=table())


def test_a_class_the_data_lacks_or_a_protocol_that_leaves_nothing_is_said():
    with pytest.raises(DataError, match=r"names class 7, but .* has the classes c0, c1, c2, c3"):
        prepare(DataSpec(anomaly={"protocol": "one_class", "class": 7}), raw=table())
    with pytest.raises(DataError, match="names class 'dog'"):
        prepare(DataSpec(anomaly={"protocol": "held_out", "class": "dog"}), raw=table())
    one = RawData(torch.randn(30, 2), torch.zeros(30, dtype=torch.long), "table", "classification", ["only"])
    with pytest.raises(DataError, match="no training samples besides class only: .* nothing to train on"):
        prepare(DataSpec(anomaly={"protocol": "held_out", "class": 0}), raw=one)
    numbers = RawData(torch.randn(30, 2), torch.randn(30), "table", "regression")
    with pytest.raises(DataError, match="needs a dataset with classes"):
        prepare(DataSpec(anomaly={"protocol": "one_class", "class": 0}), raw=numbers)


def test_an_autoencoder_under_a_protocol_is_validated_on_normal_samples():
    from netbuilder.graph import io
    from netbuilder.layers import check_node
    from netbuilder.train import TrainConfig
    from netbuilder.train.fitting import training_data
    from pathlib import Path

    graph = io.load(Path(__file__).resolve().parents[2] / "templates" / "autoencoder_digits.json", check_node)
    graph.meta["data"] = {"source": "digits", "anomaly": {"protocol": "one_class", "class": 0}}
    data = training_data(graph, TrainConfig.from_dict(graph.meta["training"]))
    assert len(data.val[0]) == 27 and data.val[1].sum() == 0  # the zeros of validation only
    assert len(data.prepared.val[0]) > 200  # the prepared data keeps the anomalies, for the threshold


def test_a_csv_without_labels_makes_every_column_an_input(tmp_path):
    from netbuilder.data.tabular import load_csv

    path = tmp_path / "t.csv"
    path.write_text("a,b,c\n1,2,3\n4,5,6\n7,8,9\n")
    raw = load_csv(path, labels=False)
    assert raw.feature_names == ["a", "b", "c"] and raw.x.tolist()[1] == [4.0, 5.0, 6.0]
    assert raw.task == "regression" and raw.y.tolist() == [0.0, 0.0, 0.0] and "no target column" in raw.notes[-1]
    single = tmp_path / "one.csv"
    single.write_text("v\n1\n2\n3\n")
    assert load_csv(single, labels=False).x.shape == (3, 1)
    with pytest.raises(DataError, match="labels must be true or false"):
        load_csv(path, labels="no")
    assert DataSpec(source=str(path), options={"labels": False}).problems() == []
