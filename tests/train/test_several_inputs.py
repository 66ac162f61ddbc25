"""A network with several Inputs trains on data that gives one array per Input, named after it."""
import numpy as np
import pytest

from netbuilder import GraphBuilder
from netbuilder.data.dataset import DataSpec
from netbuilder.train import TrainConfig, TrainingError, make_trainer


def two_inputs():
    b = GraphBuilder()
    a = b.add("Linear", b.add("Input", name="pixels", shape=[4]), out_features=8)
    m = b.add("Linear", b.add("Input", name="extra", shape=[2]), out_features=8)
    h = b.add("ReLU", b.add("Concatenate", a, m))
    b.add("Output", b.add("Linear", h, name="classes", out_features=2))
    return b.graph


def npz(tmp_path, n=600, **arrays):
    rng = np.random.default_rng(0)
    pixels, extra = rng.normal(size=(n, 4)), rng.normal(size=(n, 2))
    y = ((pixels[:, 0] + extra[:, 1]) > 0).astype(np.int64)  # needs both inputs
    path = tmp_path / "both.npz"
    np.savez(path, **({"pixels": pixels, "extra": extra, "y": y} | arrays))
    return path


def test_each_input_gets_its_own_array_and_it_learns(tmp_path):
    graph = two_inputs()
    spec = DataSpec(source=str(npz(tmp_path)))
    config = TrainConfig(epochs=30, lr=0.01, batch_size=64, device="cpu")
    trainer, data = make_trainer(graph, config, spec=spec)
    assert [t.shape[1:] for t in data.train[:2]] == [(4,), (2,)]
    result = trainer.run()
    assert result.status == "finished" and result.epochs[-1].val_acc > 0.9
    assert result.evaluation.samples == len(data.test[0])


def test_a_missing_array_is_named(tmp_path):
    graph = two_inputs()
    path = tmp_path / "one.npz"
    np.savez(path, pixels=np.zeros((50, 4)), y=np.zeros(50, dtype=np.int64))
    with pytest.raises(TrainingError, match=r"2 Inputs \('pixels', 'extra'\).*no array for 'extra'"):
        make_trainer(graph, TrainConfig(device="cpu"), spec=DataSpec(source=str(path)))


def test_an_array_of_the_wrong_size_is_named(tmp_path):
    graph = two_inputs()
    path = npz(tmp_path, extra=np.zeros((600, 3)))
    with pytest.raises(TrainingError, match=r"the Input 'extra' takes \[N, 2\] but the array 'extra'.* 3 values"):
        make_trainer(graph, TrainConfig(device="cpu"), spec=DataSpec(source=str(path)))
