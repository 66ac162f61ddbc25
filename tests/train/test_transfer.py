"""Transfer learning: layers start from a checkpoint by name, frozen layers stay, lr_scale counts."""
import pytest
import torch

from netbuilder import GraphBuilder
from netbuilder.data import digits
from netbuilder.train import TrainConfig, Trainer, TrainingError


def mlp(head=10, trainable=True, lr_scale=1.0):
    b = GraphBuilder()
    h = b.add("Flatten", b.add("Input", shape=[1, 8, 8]))
    h = b.add("ReLU", b.add("Linear", h, name="body", out_features=32, trainable=trainable, lr_scale=lr_scale))
    b.add("Output", b.add("Linear", h, name="head", out_features=head))
    return b.graph


@pytest.fixture(scope="module")
def data():
    return digits(seed=0)


@pytest.fixture(scope="module")
def pretrained(data, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    result = Trainer(mlp(), TrainConfig(epochs=4, lr=3e-3), *data, checkpoint_dir=out).run()
    assert result.status == "finished"
    return out / "best.pt", result.epochs[-1].val_acc


def test_layers_start_from_the_checkpoint_by_name_and_shape(data, pretrained):
    path, _ = pretrained
    saved = torch.load(path, weights_only=True)["model"]
    trainer = Trainer(mlp(head=5), TrainConfig(epochs=1, init_from=str(path)), *data)
    assert trainer.transferred == ["body"]
    assert trainer.transfer_skipped == ["head (weight is [10, 32] in the checkpoint, [5, 32] here)"]
    assert torch.equal(trainer.model.body.weight, saved["body.weight"])


def test_a_pretrained_start_beats_a_fresh_one_after_one_epoch(data, pretrained):
    path, _ = pretrained
    fresh = Trainer(mlp(), TrainConfig(epochs=1, lr=1e-3), *data).run()
    warm = Trainer(mlp(), TrainConfig(epochs=1, lr=1e-3, init_from=str(path)), *data).run()
    assert warm.epochs[0].val_acc > fresh.epochs[0].val_acc + 0.05


def test_frozen_layers_do_not_change_and_lr_scale_slows_a_layer(data, pretrained):
    path, _ = pretrained
    frozen = Trainer(mlp(trainable=False), TrainConfig(epochs=1, init_from=str(path)), *data)
    before = frozen.model.body.weight.clone()
    frozen.run()
    assert torch.equal(frozen.model.body.weight, before)
    assert frozen.monitor.layers == ["head"]  # gradients are watched where there are any

    slow = Trainer(mlp(lr_scale=0.1), TrainConfig(epochs=1, lr=1e-3, optimizer="sgd"), *data)
    rates = sorted(group["lr"] for group in slow.optimizers["model"].param_groups)
    assert rates == pytest.approx([1e-4, 1e-3])


@pytest.mark.parametrize("content, message", [
    (None, "does not exist"),
    (b"not a checkpoint", "could not be read"),
    ({"something": 3}, "not a checkpoint of weights"),
    ({"model": {"elsewhere.weight": torch.zeros(2)}}, "no layer here matches"),
])
def test_bad_checkpoints_are_refused_with_the_reason(data, tmp_path, content, message):
    path = tmp_path / "start.pt"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        torch.save(content, path)
    with pytest.raises(TrainingError, match=message):
        Trainer(mlp(), TrainConfig(init_from=str(path)), *data)


def test_everything_frozen_says_so(data):
    b = GraphBuilder()
    h = b.add("Linear", b.add("Flatten", b.add("Input", shape=[1, 8, 8])), out_features=10, trainable=False)
    b.add("Output", h)
    with pytest.raises(TrainingError, match="nothing to train"):
        Trainer(b.graph, TrainConfig(), *data)


def test_an_unwritable_checkpoint_folder_ends_the_run_with_the_reason(data, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder should be")
    result = Trainer(mlp(), TrainConfig(epochs=1), *data, checkpoint_dir=blocker / "run").run()
    assert result.status == "failed" and "checkpoints could not be written" in result.message


def test_a_failing_checkpoint_write_ends_the_run_with_the_reason(data, tmp_path, monkeypatch):
    def full_disk(state, path):
        raise RuntimeError("[enforce fail at inline_container.cc] . PytorchStreamWriter failed writing file\nmore")

    monkeypatch.setattr(torch, "save", full_disk)
    result = Trainer(mlp(), TrainConfig(epochs=1), *data, checkpoint_dir=tmp_path).run()
    assert result.status == "failed" and "could not be written to" in result.message
    assert "[enforce fail" in result.message and "more" not in result.message
    assert not list(tmp_path.iterdir())  # nothing half-written left behind


def test_no_validation_part_trains_and_resume_uses_the_rates_set_now(data, tmp_path):
    train, val = data
    empty = (val[0][:0], val[1][:0])
    first = Trainer(mlp(), TrainConfig(epochs=1, lr=0.1, optimizer="sgd"), train, empty, checkpoint_dir=tmp_path)
    result = first.run()
    assert result.status == "finished" and result.epochs[0].val_loss is None
    resumed = Trainer(mlp(lr_scale=0.5), TrainConfig(epochs=2, lr=0.001, optimizer="sgd"), train, empty)
    with pytest.raises(TrainingError, match="lr_scale since that run"):
        resumed.load_checkpoint(tmp_path / "last.pt")
    resumed = Trainer(mlp(), TrainConfig(epochs=2, lr=0.001, optimizer="sgd"), train, empty)
    resumed.load_checkpoint(tmp_path / "last.pt")
    assert resumed.optimizers["model"].param_groups[0]["lr"] == pytest.approx(0.001) and resumed.lr == pytest.approx(0.001)
    assert resumed.run().epochs[0].lr == pytest.approx(0.001)
    changed = Trainer(mlp(head=3), TrainConfig(epochs=2), train, empty)
    with pytest.raises(TrainingError, match=r"the network has changed since that run \(head \(weight is \[10, 32\]"
                                            r" there and \[3, 32\] here\)\)"):
        changed.load_checkpoint(tmp_path / "last.pt")
