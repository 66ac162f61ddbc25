"""Preparing a dataset: splits, normalisation from training data only, augmentation of training
batches only, and what does not fit the network said in words."""
import pytest
import torch

from netbuilder import GraphBuilder
from netbuilder.data.augment import Augment
from netbuilder.data.dataset import DataSpec, prepare
from netbuilder.data.raw import DataError, RawData
from netbuilder.train import Callback, TrainConfig, Trainer, TrainingError
from netbuilder.train.fitting import training_data


def table(n=200, classes=4):
    x = torch.randn(n, 3, generator=torch.Generator().manual_seed(0)) * torch.tensor([1.0, 10.0, 100.0]) + torch.tensor([0.0, 5.0, -50.0])
    y = torch.arange(n) % classes
    return RawData(x, y, "table", "classification", [f"c{i}" for i in range(classes)])


def test_normalisation_uses_training_statistics_only():
    raw = table()
    raw.x[:20] += 1e6  # wild values: wherever they land outside train, the statistics must not see them
    prepared = prepare(DataSpec(normalize="standardize", seed=1), raw=raw)
    shift, scale = prepared.stats
    train_x = prepared.shown(prepared.train[0])
    assert torch.allclose(shift, train_x.mean(0), atol=1e-3) and torch.allclose(scale, train_x.std(0), rtol=1e-3)
    normalised = prepared.train[0]
    assert torch.allclose(normalised.mean(0), torch.zeros(3), atol=1e-4)
    minmax = prepare(DataSpec(normalize="minmax", seed=1), raw=table())
    assert minmax.train[0].min() == 0 and minmax.train[0].max() == 1


def test_splits_are_stratified_seeded_and_complete():
    prepared = prepare(DataSpec(val_fraction=0.2, test_fraction=0.1, seed=5), raw=table(200))
    assert prepared.counts() == {"train": 140, "validation": 40, "test": 20}
    for _, y in (prepared.train, prepared.val, prepared.test):
        assert torch.bincount(y, minlength=4).tolist() == [len(y) // 4] * 4
    again = prepare(DataSpec(val_fraction=0.2, test_fraction=0.1, seed=5), raw=table(200))
    assert torch.equal(again.val[0], prepared.val[0])
    other = prepare(DataSpec(val_fraction=0.2, test_fraction=0.1, seed=6), raw=table(200))
    assert not torch.equal(other.val[0], prepared.val[0])


def test_a_source_with_its_own_test_set_keeps_it():
    raw = table(100)
    raw.test = (torch.zeros(7, 3), torch.zeros(7, dtype=torch.long))
    prepared = prepare(DataSpec(val_fraction=0.2), raw=raw)
    assert prepared.counts() == {"train": 80, "validation": 20, "test": 7}


@pytest.mark.parametrize("spec, message", [
    (DataSpec(val_fraction=1.5), "val fraction must be a number"),
    (DataSpec(val_fraction=0.5, test_fraction=0.45), "at least 10%"),
    (DataSpec(normalize="zscore"), "normalize must be one of"),
    (DataSpec(augment={"rotate": -3}), "rotate must be a number of at least 0"),
    (DataSpec(source="/no/such/file.csv"), "neither a built-in dataset"),
    (DataSpec(augment={"flip": True}), "augmentation .* is for images"),
])
def test_bad_dataset_settings_are_refused_with_reasons(spec, message):
    raw = table() if spec.source == "digits" else None
    with pytest.raises(DataError, match=message):
        prepare(spec, raw=raw)


def test_augmentation_flips_and_shifts_exactly_and_leaves_its_input_alone():
    x = torch.arange(2 * 1 * 4 * 4, dtype=torch.float32).reshape(2, 1, 4, 4)
    kept = x.clone()
    flipped = Augment(flip=True)(x, torch.Generator().manual_seed(0))
    assert torch.equal(x, kept)
    for i in range(2):
        assert torch.equal(flipped[i], x[i]) or torch.equal(flipped[i], x[i].flip(-1))
    shifted = Augment(crop=1)(torch.ones(64, 1, 6, 6), torch.Generator().manual_seed(1))
    borders = (shifted[:, 0, :, 0] + shifted[:, 0, :, -1] + shifted[:, 0, 0, :] + shifted[:, 0, -1, :]).sum(-1)
    assert (borders < 23.9).any() and (shifted <= 1 + 1e-6).all()  # some images moved: zeros came in
    bright = Augment(brightness=0.5)(torch.zeros(100, 1, 2, 2), torch.Generator().manual_seed(2))
    assert bright.abs().max() <= 0.5 and bright.std() > 0.1


class Watch(Callback):
    def __init__(self):
        self.training_batches = 0

    def on_step_end(self, trainer, step):
        self.training_batches += 1


def test_augmentation_touches_training_batches_only():
    b = GraphBuilder()
    b.add("Output", b.add("Linear", b.add("Flatten", b.add("Input", shape=[1, 8, 8])), out_features=10))
    seen = []
    config = TrainConfig(epochs=2, batch_size=100)
    data = training_data(b.graph, config, DataSpec(augment={"noise": 0.1}))
    inner = data.augment

    def spy(xb, generator=None):
        seen.append(len(xb))
        return inner(xb, generator)

    watch = Watch()
    result = Trainer(b.graph, config, data.train, data.val, callbacks=[watch], test=data.test, augment=spy).run()
    assert result.evaluation is not None and result.epochs[-1].val_loss is not None
    assert len(seen) == watch.training_batches and sum(seen) == 2 * len(data.train[0])


def test_what_does_not_fit_the_network_is_said():
    b = GraphBuilder()
    b.add("Output", b.add("Linear", b.add("Input", shape=[5]), out_features=2))
    with pytest.raises(TrainingError, match=r"takes \[N, 5\] but digits samples are \[N, 1, 8, 8\]"):
        training_data(b.graph, TrainConfig())
    b = GraphBuilder()
    b.add("Output", b.add("Linear", b.add("Input", shape=[1]), out_features=1))
    with pytest.raises(TrainingError, match="regression task .* mse or l1"):
        training_data(b.graph, TrainConfig(), DataSpec(source="regression_1d"))
    assert training_data(b.graph, TrainConfig(loss="mse"), DataSpec(source="regression_1d")).train[0].shape[1:] == (1,)


def test_using_a_dataset_fits_the_network_in_one_undoable_edit():
    from netbuilder.analysis import Analysis
    from netbuilder.train.fitting import use_dataset

    b = GraphBuilder()
    h = b.add("ReLU", b.add("Linear", b.add("Flatten", b.add("Input", shape=[1, 8, 8])), out_features=16))
    b.add("Output", b.add("Dropout", b.add("Linear", h, name="head", out_features=10)))
    graph = b.graph
    spec = DataSpec(source="regression_1d", options={"n": 100})
    edit, left = use_dataset(graph, spec, prepare(spec))
    before = io_dumps(graph)
    edit.apply(graph)
    assert left == []
    assert graph.by_name("input1").params["shape"] == [1]
    assert graph.by_name("head").params["out_features"] == 1
    assert graph.meta["training"]["loss"] == "mse" and graph.meta["data"]["source"] == "regression_1d"
    assert not [p for p in Analysis(graph).problems() if p.severity == "error"]
    edit.revert(graph)
    assert io_dumps(graph) == before

    spec = DataSpec(source="spirals", options={"classes": 3})
    edit, _ = use_dataset(graph, spec, prepare(spec))
    edit.apply(graph)
    assert graph.by_name("head").params["out_features"] == 3 and "training" not in graph.meta


def io_dumps(graph):
    from netbuilder.graph.io import dumps

    return dumps(graph)
