"""Runs that cannot go on end with a message and no traceback: an error inside training (its traceback goes to
the log file only), settings that would make the rate overflow, BatchNorm on batches of one sample, a disk that
fills up while the run writes its files (issue 26)."""
import contextlib
import errno
import os
import subprocess
import sys

import pytest
import torch

from netbuilder import GraphBuilder
from netbuilder.cli import main
from netbuilder.data import digits
from netbuilder.runs.run import Run
from netbuilder.train import TrainConfig, Trainer, TrainingError
from netbuilder.train.callbacks import Callback, checkpoints

FAILS_WHEN_TRAINING = '''\
def __init__(self):
    super().__init__()

def forward(self, x):
    if torch.is_grad_enabled():  # working out its shape runs without gradients; training with them
        raise RuntimeError("this layer refuses to train")
    return x
'''


def mlp(batchnorm: str | None = None, input_shape=(1, 8, 8)):
    b = GraphBuilder()
    h = b.add("Input", shape=list(input_shape))
    if batchnorm == "BatchNorm2d":
        h = b.add("BatchNorm2d", h)
    h = b.add("Linear", b.add("Flatten", h), out_features=16, name="hidden")
    if batchnorm == "BatchNorm1d":
        h = b.add("BatchNorm1d", h, name="norm")
    b.add("Output", b.add("Linear", b.add("ReLU", h), out_features=10))
    return b.graph


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "internal error" not in out + err, out + err
    return code, out, err


def test_an_error_inside_training_prints_no_traceback_and_logs_it(tmp_path):
    b = GraphBuilder()
    h = b.add("Linear", b.add("Flatten", b.add("Input", shape=[1, 8, 8])), out_features=10)
    b.add("Output", b.add("Code", h, name="stubborn", code=FAILS_WHEN_TRAINING, args={}))
    path = tmp_path / "doc.json"
    b.graph.save(path)
    config = tmp_path / "config"
    done = subprocess.run([sys.executable, "-m", "netbuilder", "train", str(path), "--trust-code", "--epochs", "1",
                           "--out", str(tmp_path / "run")], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "NETBUILDER_CONFIG_DIR": str(config)})
    assert done.returncode == 1, done.stdout + done.stderr
    assert "training failed: this layer refuses to train" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    log = (config / "netbuilder.log").read_text(encoding="utf-8")
    assert "training failed" in log and "Traceback" in log and "this layer refuses to train" in log


@pytest.mark.parametrize("setting, value, message", [
    ("gamma", 1e300, "gamma must be a number from 0 to 1, not 1e+300"),
    ("gamma", 1.5, "gamma must be a number from 0 to 1, not 1.5"),
    ("lr", 1e300, "lr must be a number above 0 and at most 1e+30, not 1e+300"),
    ("weight_decay", 1e300, "weight_decay must be a number from 0 to 100000, not 1e+300"),
    ("l1", 1e39, "l1 must be a number from 0 to 100000, not 1e+39"),
    ("kl_weight", 1e300, "kl_weight must be a number from 0 to 100000, not 1e+300"),
])
def test_settings_that_would_overflow_a_float_are_refused(tmp_path, capsys, setting, value, message):
    graph = mlp()
    graph.meta["training"] = {"schedule": "exponential", setting: value, "epochs": 3}
    path = tmp_path / "doc.json"
    graph.save(path)
    code, _, err = run(capsys, "check", path)
    assert code == 1 and message in err
    code, _, err = run(capsys, "train", path, "--out", tmp_path / "run")
    assert code == 1 and message in err


def test_the_highest_rates_allowed_stay_finite_floats_all_run():
    """The bounds are enough: the largest lr times the largest lr_scale after Adam's first-step correction fits
    a float32, and a gamma of at most 1 never raises the rate."""
    from netbuilder.layers.spec import LR_SCALE
    from netbuilder.train.config import NUMBERS
    from netbuilder.train.optim import lr_factor

    highest = NUMBERS["lr"][1] * LR_SCALE.max * 10
    assert torch.isfinite(torch.tensor(highest, dtype=torch.float32))
    decay = NUMBERS["lr"][1] * LR_SCALE.max * NUMBERS["weight_decay"][1]  # AdamW's 1 - rate * weight_decay
    assert torch.isfinite(torch.tensor(decay, dtype=torch.float32))
    for schedule in ("step", "exponential", "cosine"):
        config = TrainConfig(schedule=schedule, gamma=NUMBERS["gamma"][1], step_size=1, warmup_epochs=2, epochs=50)
        assert max(lr_factor(config, e) for e in range(50)) <= 1.0
        assert not config.problems()


def test_batchnorm_on_batches_of_one_sample_is_refused_before_training(tmp_path, capsys):
    path = tmp_path / "doc.json"
    mlp("BatchNorm1d").save(path)
    code, _, err = run(capsys, "train", path, "--batch-size", "1", "--epochs", "1", "--out", tmp_path / "run")
    assert code == 1 and "BatchNorm1d 'norm' cannot train on batches of one sample (batch_size is 1)" in err
    assert "set batch_size to 2 or more" in err and "Expected more than 1 value" not in err
    (x, y), val = digits(seed=0)
    with pytest.raises(TrainingError, match=r"BatchNorm1d 'norm' .*\(there is only one training sample\).* train on more samples"):
        Trainer(mlp("BatchNorm1d"), TrainConfig(epochs=1, device="cpu"), (x[:1], y[:1]), val)


def test_batchnorm_over_positions_trains_on_batches_of_one_sample():
    """BatchNorm2d of an 8x8 image normalises over its 64 positions: a batch of one is fine there."""
    (x, y), val = digits(seed=0)
    trainer = Trainer(mlp("BatchNorm2d"), TrainConfig(epochs=1, batch_size=1, device="cpu"), (x[:20], y[:20]), val)
    assert trainer.run().status == "finished"
    with pytest.raises(TrainingError, match="BatchNorm2d"):  # a 1x1 image leaves one value per channel
        Trainer(mlp("BatchNorm2d", (3, 1, 1)), TrainConfig(epochs=1, batch_size=1, device="cpu"),
                (torch.randn(20, 3, 1, 1), y[:20]), (torch.randn(5, 3, 1, 1), y[:5]))


def test_batchnorm_inside_a_block_is_named_with_the_block():
    from netbuilder.analysis import Analysis
    from netbuilder.analysis.blocks import group_into_block

    graph = mlp("BatchNorm1d")
    norm = graph.by_name("norm").id
    edit, _ = group_into_block(graph, Analysis(graph), [norm], "Norm")
    graph.apply(edit)
    (x, y), val = digits(seed=0)
    with pytest.raises(TrainingError, match=r"BatchNorm1d 'norm1\.norm' cannot train on batches of one sample"):
        Trainer(graph, TrainConfig(epochs=1, batch_size=1, device="cpu"), (x[:10], y[:10]), val)


# ---- a full disk ----------------------------------------------------------------------------------------
@pytest.fixture
def small_disk(tmp_path):
    """A 1 MB tmpfs (root only), unmounted after the test."""
    if os.geteuid() != 0 or sys.platform != "linux":
        pytest.skip("needs root to mount a small tmpfs")
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)]).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    yield disk
    subprocess.run(["umount", str(disk)])


def fill(disk):
    """Take every byte left on the disk."""
    with contextlib.suppress(OSError), open(disk / "filler", "ab", buffering=0) as f:
        while True:
            f.write(bytes(4096))


def test_a_full_disk_while_writing_the_samples_is_said(small_disk, tmp_path, capsys, monkeypatch):
    keep = Run.keep_samples

    def full_first(self, *args):  # the disk fills up just before samples.pt is written
        fill(small_disk)
        return keep(self, *args)

    monkeypatch.setattr(Run, "keep_samples", full_first)
    path = tmp_path / "doc.json"
    mlp().save(path)
    code, _, err = run(capsys, "train", path, "--epochs", "1", "--out", small_disk / "run")
    assert code == 1
    assert f"no space left on the disk of {small_disk / 'run'}: the run stopped before its first epoch" in err
    assert not [p.name for p in (small_disk / "run").iterdir() if p.name.endswith(".tmp")]


class FillsTheDisk(Callback):
    def __init__(self, disk):
        self.disk = disk

    def on_epoch_end(self, trainer, epoch) -> None:
        if epoch.epoch == 0:
            fill(self.disk)


def test_a_full_disk_during_a_run_stops_it_with_its_checkpoints_intact(small_disk, monkeypatch):
    monkeypatch.setattr(checkpoints, "CHECKPOINT_SECONDS", 0.0)  # every epoch writes last.pt
    folder = small_disk / "run"
    trainer = Trainer(mlp(), TrainConfig(epochs=4, device="cpu"), *digits(seed=0), checkpoint_dir=folder,
                      callbacks=[FillsTheDisk(small_disk)])  # after last.pt of the first epoch was written
    result = trainer.run()
    assert result.status == "failed"
    assert result.message == (f"no space left on the disk of {folder}: the run stopped after epoch 2;"
                              " its checkpoints are intact"), result.message
    state = torch.load(folder / "last.pt", weights_only=True)  # the first epoch's, whole
    assert state["epoch"] == 0
    assert not [p.name for p in folder.iterdir() if p.name.endswith((".tmp", ".part"))]


def test_torch_save_on_a_full_disk_is_a_full_disk(small_disk):
    from netbuilder.atomic import write_atomic

    fill(small_disk)
    with pytest.raises(OSError) as caught:
        write_atomic(small_disk / "samples.pt", lambda f: torch.save({"x": torch.zeros(100_000)}, f))
    assert caught.value.errno == errno.ENOSPC and caught.value.filename == str(small_disk / "samples.pt")
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]


def test_a_full_disk_under_tensorboards_writer_prints_no_traceback(small_disk, tmp_path, capsys, monkeypatch,
                                                                   config_dir):
    """TensorBoard writes its event file on a thread of its own; a full disk ended that thread with a traceback
    on the terminal (Python's default for a thread) beside the run's message. It goes to the log."""
    import threading

    from netbuilder.train.callbacks.tensorboard import TensorBoardLog

    monkeypatch.setattr(threading, "excepthook", threading.__excepthook__)  # as in a plain `netbuilder` process
    end = TensorBoardLog.on_train_end

    def full_first(self, *args):  # the disk fills up just before the last histograms are written
        fill(small_disk)
        return end(self, *args)

    monkeypatch.setattr(TensorBoardLog, "on_train_end", full_first)
    path = tmp_path / "doc.json"
    mlp().save(path)
    code = main(["train", str(path), "--epochs", "1", "--out", str(small_disk / "run")])
    for thread in threading.enumerate():  # the writer's thread may still be ending
        if type(thread).__name__ == "_AsyncWriterThread":
            thread.join(30)
    out, err = capsys.readouterr()
    assert code == 1 and "no space left on the disk of" in err, out + err
    assert "Traceback" not in out + err and "Exception in thread" not in err, err
    log = (config_dir / "netbuilder.log").read_text(encoding="utf-8")
    assert "failed" in log and "No space left on device" in log and "Traceback" in log


def test_a_full_disk_leaves_no_part_of_a_row_in_the_steps(small_disk):
    """steps.f32 and metrics.csv grow by appending: a row that fits only in part (the last page of the file
    had 4 bytes left) is taken back, so the rows after it (a resumed run's) are not shifted."""
    run = Run.create(small_disk, mlp(), folder=small_disk / "run")
    run.append_steps(["loss"], [[0.5]] * 1023)  # 4,092 bytes: 4 left on the file's page
    path = run.folder / "steps.f32"
    before = path.read_bytes()
    fill(small_disk)
    with pytest.raises(OSError) as caught:
        run.append_steps(["loss"], [[0.25], [0.125]])
    assert caught.value.errno == errno.ENOSPC and caught.value.filename == str(path)
    assert path.read_bytes() == before
    with pytest.raises(OSError) as caught:
        run.append_epoch({"epoch": 1, "loss": 0.5})
    assert caught.value.errno == errno.ENOSPC and not (run.folder / "metrics.csv").read_bytes()
