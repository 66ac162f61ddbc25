"""The trainer on the built-in digits: learns, stops, resumes, and names the layer that blew up."""
import math
import threading

import pytest
import torch

from netbuilder import GraphBuilder
from netbuilder.data import digits
from netbuilder.train import Callback, TrainConfig, Trainer, TrainingError
from netbuilder.train.optim import lr_factor


def mlp(activation="ReLU", depth=1, width=64):
    b = GraphBuilder()
    h = b.add("Flatten", b.add("Input", name="image", shape=[1, 8, 8]))
    for i in range(depth):
        h = b.add(activation, b.add("Linear", h, name=f"fc{i + 1}", out_features=width))
    b.add("Output", b.add("Linear", h, name="classes", out_features=10))
    return b.graph


@pytest.fixture(scope="module")
def data():
    return digits(seed=0)


class Recorder(Callback):
    def __init__(self):
        self.steps, self.epochs, self.ended = [], [], None

    def on_step_end(self, trainer, step):
        self.steps.append(step)

    def on_epoch_end(self, trainer, epoch):
        self.epochs.append(epoch)

    def on_train_end(self, trainer, result):
        self.ended = result


def test_mlp_learns_digits(data):
    rec = Recorder()
    config = TrainConfig(epochs=8, batch_size=32, lr=3e-3)
    result = Trainer(mlp(), config, *data, callbacks=[rec]).run()
    assert result.status == "finished"
    assert result.epochs[-1].val_acc > 0.9
    assert rec.ended is result and len(rec.epochs) == 8
    first = rec.steps[0]
    assert len(first.grad_norms) == 2 and all(v > 0 for v in first.grad_norms)
    assert len(first.update_ratios) == 2 and all(0 < v < 1 for v in first.update_ratios)


def test_same_seed_same_run(data):
    config = TrainConfig(epochs=1, batch_size=64, seed=3)
    a = Trainer(mlp(), config, *data).run().epochs[-1].train_loss
    b = Trainer(mlp(), config, *data).run().epochs[-1].train_loss
    assert a == b


def test_stop_takes_effect_within_a_batch(data):
    class StopAt(Callback):
        def on_step_end(self, trainer, step):
            if step.global_step == 4:
                trainer.stop()

    rec = Recorder()
    result = Trainer(mlp(), TrainConfig(epochs=5, batch_size=16), *data, callbacks=[StopAt(), rec]).run()
    assert result.status == "stopped" and len(rec.steps) == 5


def test_pause_and_resume_from_another_thread(data):
    trainer = Trainer(mlp(), TrainConfig(epochs=1, batch_size=16), *data)
    trainer.pause()
    done = []
    thread = threading.Thread(target=lambda: done.append(trainer.run()))
    thread.start()
    thread.join(0.3)
    assert thread.is_alive() and not done  # waiting while paused
    trainer.resume()
    thread.join(30)
    assert done[0].status == "finished"


def test_a_nan_run_names_the_layer(data):
    graph = mlp()
    config = TrainConfig(epochs=2, optimizer="sgd", lr=1e30, momentum=0.0)
    result = Trainer(graph, config, *data).run()
    assert result.status == "failed"
    assert "NaN or infinite" in result.message and result.bad_layer in ("fc1", "relu1", "classes")
    assert f"'{result.bad_layer}'" in result.message


def test_early_stopping_and_checkpoints(data, tmp_path):
    config = TrainConfig(epochs=30, early_stopping=1, lr=0.05, optimizer="sgd")
    trainer = Trainer(mlp(), config, *data, checkpoint_dir=tmp_path)
    result = trainer.run()
    assert (tmp_path / "last.pt").exists() and (tmp_path / "best.pt").exists()
    if result.status == "early_stopped":
        assert len(result.epochs) < 30 and "did not improve" in result.message
    resumed = Trainer(mlp(), config, *data)
    resumed.load_checkpoint(tmp_path / "last.pt")
    assert resumed.start_epoch == len(result.epochs)
    state = torch.load(tmp_path / "best.pt", weights_only=True)
    assert set(state["model"]) == set(trainer.model.state_dict())


def test_schedules_and_warmup():
    c = TrainConfig(epochs=10, schedule="cosine", warmup_epochs=2)
    factors = [lr_factor(c, e) for e in range(10)]
    assert factors[0] == 0.5 and factors[1] == 1.0 and factors[2] == 1.0
    assert factors[-1] < 0.1 and all(a >= b for a, b in zip(factors[1:], factors[2:]))
    s = TrainConfig(schedule="step", step_size=2, gamma=0.1)
    assert [lr_factor(s, e) for e in range(4)] == [1.0, 1.0, pytest.approx(0.1), pytest.approx(0.1)]


def test_bad_settings_are_refused_with_reasons(data):
    with pytest.raises(TrainingError, match="optimizer must be one of"):
        Trainer(mlp(), TrainConfig(optimizer="magic"), *data)
    with pytest.raises(TrainingError, match="batch_size must be"):
        Trainer(mlp(), TrainConfig(batch_size=0), *data)
    assert TrainConfig.from_dict({"lr": 0.5, "future_key": 1}).lr == 0.5
    assert math.isclose(TrainConfig.from_dict(TrainConfig(lr=0.2).to_dict()).lr, 0.2)


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd"])
def test_the_cpu_step_is_fused_and_is_the_default_steps_arithmetic(optimizer):
    """On the CPU the optimizers take torch's fused step (one kernel over every weight): the same updates as the
    default per-weight step, to float rounding."""
    from netbuilder import build_model
    from netbuilder.train.optim import make_optimizer

    config = TrainConfig(optimizer=optimizer, lr=0.01, weight_decay=0.01, momentum=0.9)
    graph = mlp()
    torch.manual_seed(0)
    fused, default = build_model(graph), build_model(graph)
    default.load_state_dict(fused.state_dict())
    fast = make_optimizer(config, fused, graph)
    kind = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}[optimizer]
    extra = {"momentum": 0.9} if optimizer == "sgd" else {}
    slow = kind(default.parameters(), lr=0.01, weight_decay=0.01, **extra)
    assert fast.param_groups[0]["fused"] is True and not slow.param_groups[0]["fused"]
    x, y = torch.randn(32, 1, 8, 8), torch.randint(0, 10, (32,))
    for _ in range(5):
        for model, opt in ((fused, fast), (default, slow)):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
    for a, b in zip(fused.parameters(), default.parameters()):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-5)


def test_sparse_gradients_keep_the_default_step():
    """torch's fused step takes no sparse gradients: a network with a sparse Embedding keeps the default one."""
    from netbuilder.train.optim import fusable

    assert fusable(torch.nn.Linear(2, 2)) is True
    assert fusable(torch.nn.Sequential(torch.nn.Embedding(10, 4, sparse=True), torch.nn.Linear(4, 2))) is None
    assert fusable(torch.nn.Linear(2, 2).to(torch.float64)) is True
