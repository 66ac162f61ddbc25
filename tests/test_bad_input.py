"""Hostile and mistaken input: every bad document, setting, data file, checkpoint and interruption gets a
message that says where and what, a non-zero exit, no traceback, no hang, and no file of the user's lost."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from netbuilder import GraphBuilder
from netbuilder.cli import main
from netbuilder.data import digits
from netbuilder.graph.io import load, save
from netbuilder.layers import check_node
from netbuilder.train import TrainConfig, Trainer, TrainingError

ROOT = Path(__file__).resolve().parents[1]
MLP = ROOT / "templates" / "mlp_digits.json"


def document(tmp_path, name="doc.json", mutate=None):
    data = json.loads(MLP.read_text(encoding="utf-8"))
    if mutate:
        mutate(data)
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "internal error" not in out + err, out + err
    return code, out, err


def last_linear(data):
    return [n for n in data["nodes"] if n["type"] == "Linear"][-1]


# ---- documents and settings ----------------------------------------------------------------------
@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["meta"].__setitem__("training", "fast"),
     "the training settings (meta.training) must be a mapping of names to values, not str"),
    (lambda d: d["meta"].__setitem__("data", [1, 2]),
     "the dataset settings (meta.data) must be a mapping of names to values, not list"),
    (lambda d: d["meta"]["training"].update(warmup_epochs="2"), "warmup_epochs must be a whole number"),
    (lambda d: d["meta"]["training"].update(early_stopping="3"), "early_stopping must be a whole number"),
    (lambda d: d["meta"]["training"].update(seed=2**70), "seed must be a whole number from 0 to"),
    (lambda d: d["meta"]["training"].update(lr=-1), "lr must be a number above 0"),
    (lambda d: d["meta"]["training"].update(nesterov="yes"), "nesterov must be true or false"),
    (lambda d: d["meta"].__setitem__("diagnosis", {"dead": 7}), "dead must be a share from 0 to 1"),
    (lambda d: d["meta"]["data"].update(seed=-1), "the dataset seed must be a whole number"),
])
def test_bad_settings_are_named_by_check_and_train(tmp_path, capsys, mutate, message):
    path = document(tmp_path, mutate=mutate)
    code, _, err = run(capsys, "check", path)
    assert code == 1 and message in err
    code, _, err = run(capsys, "train", path, "--epochs", "1", "--out", tmp_path / "run")
    assert code == 1 and message in err


def test_unknown_settings_are_a_warning(tmp_path, capsys):
    path = document(tmp_path, mutate=lambda d: d["meta"]["training"].update(turbo=True))
    code, out, _ = run(capsys, "check", path)
    assert code == 0 and "unknown setting 'turbo'" in out


@pytest.mark.parametrize("mutate, code, message", [
    (lambda d: last_linear(d)["params"].update(out_features=10**18), 1, "out_features must be at most 2147483647"),
    (lambda d: d["edges"][-1]["from"].__setitem__(1, "out7"), 1, "comes from an output 'out7'"),
    (lambda d: d["nodes"][1].update(name="compile"), 2, "'compile' is reserved"),
    (lambda d: d["nodes"][1].update(name="__init__"), 2, "'__init__' is reserved"),
])
def test_bad_documents_get_messages_from_check_and_export(tmp_path, capsys, mutate, code, message):
    path = document(tmp_path, mutate=mutate)
    got, _, err = run(capsys, "check", path)
    assert got == code and message in err
    out = tmp_path / "net.py"
    got, _, err = run(capsys, "export", path, "-o", out)
    assert got == code and message in err and not out.exists()


def test_deep_nesting_is_refused(tmp_path, capsys):
    text = '{"format": "netbuilder", "version": 1, "nodes": [], "edges": [], "meta": ' + '{"a": ' * 2000 \
        + "1" + "}" * 2000 + "}"
    path = tmp_path / "deep.json"
    path.write_text(text)
    code, _, err = run(capsys, "check", path)
    assert code == 2 and "nested more than 64 levels deep" in err


@pytest.mark.parametrize("special", ["/dev/zero", "/dev/urandom", "fifo"])
def test_devices_and_pipes_are_not_read(tmp_path, capsys, special):
    if special == "fifo":
        special = tmp_path / "doc.json"
        os.mkfifo(special)
    code, _, err = run(capsys, "check", special)
    assert code == 2 and "not a regular file" in err


# ---- data -----------------------------------------------------------------------------------------
def test_fewer_outputs_than_classes_is_said(tmp_path, capsys):
    path = document(tmp_path, mutate=lambda d: last_linear(d)["params"].update(out_features=2))
    code, _, err = run(capsys, "train", path, "--epochs", "1", "--out", tmp_path / "run")
    assert code == 1 and "gives [N, 2] but digits has 10 classes" in err and "out_features to 10" in err


def test_bce_on_many_classes_is_refused(tmp_path, capsys):
    def bce(d):
        d["meta"]["training"]["loss"] = "bce_with_logits"
        last_linear(d)["params"]["out_features"] = 1
    code, _, err = run(capsys, "train", document(tmp_path, mutate=bce), "--epochs", "1", "--out", tmp_path / "run")
    assert code == 1 and "bce_with_logits is for two classes" in err


@pytest.mark.parametrize("make, message", [
    (lambda d: d.joinpath("t.npz").write_bytes(d.joinpath("ok.npz").read_bytes()[:300]) and d / "t.npz",
     "could not read t.npz"),
    (lambda d: _huge_header(d / "h.npy"), "says it holds [100000000000] float64"),
    (lambda d: os.mkfifo(d / "f.csv") or d / "f.csv", "is not a regular file"),
    (lambda d: d / "missing.csv", "nor a file or folder that exists"),
])
def test_bad_data_files_are_named(tmp_path, capsys, make, message):
    np.savez(tmp_path / "ok.npz", x=np.zeros((50, 64), np.float32), y=np.zeros(50, np.int64))
    source = make(tmp_path)
    code, _, err = run(capsys, "train", MLP, "--dataset", source, "--epochs", "1", "--out", tmp_path / "run")
    assert code == 1 and message in err


def _huge_header(path):
    import io

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**11,)})
    path.write_bytes(header.getvalue() + bytes(80))
    np.save(path.with_name("h_y.npy"), np.zeros(3, np.int64))
    return path


def test_unknown_dataset_options_are_reported(tmp_path, capsys):
    path = document(tmp_path, mutate=lambda d: d["meta"].__setitem__("data", {"source": "moons",
                                                                              "options": {"spread": 3}}))
    code, _, err = run(capsys, "train", path, "--epochs", "1", "--out", tmp_path / "run")
    assert code == 1 and "unknown option spread" in err


def test_class_folders_linking_outside_are_ignored(tmp_path):
    from netbuilder.data.images import load_image_folder
    from PIL import Image

    root = tmp_path / "shapes"
    for name in ("a", "b"):
        (root / name).mkdir(parents=True)
        Image.new("L", (8, 8), 40 if name == "a" else 200).save(root / name / "1.png")
    (root / "loop").symlink_to(root)  # back to the folder itself: no extra class
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    Image.new("L", (8, 8)).save(outside / "x.png")
    (root / "away").symlink_to(outside)
    raw = load_image_folder(root, size=8, color="gray")
    assert raw.class_names == ["a", "b"] and any("linking outside" in n for n in raw.notes)


# ---- training -----------------------------------------------------------------------------------
def mlp(batchnorm=False):
    b = GraphBuilder()
    h = b.add("Linear", b.add("Flatten", b.add("Input", shape=[1, 8, 8])), out_features=16)
    if batchnorm:
        h = b.add("BatchNorm1d", h)
    b.add("Output", b.add("Linear", b.add("ReLU", h), out_features=10))
    return b.graph


def test_a_last_batch_of_one_sample_does_not_break_batchnorm():
    (x, y), val = digits(seed=0)
    result = Trainer(mlp(batchnorm=True), TrainConfig(epochs=1, batch_size=64, device="cpu"), (x[:129], y[:129]),
                     val).run()
    assert result.status == "finished", result.message


def test_a_network_without_parameters_says_so():
    b = GraphBuilder()
    b.add("Output", b.add("Flatten", b.add("Input", shape=[1, 8, 8])))
    with pytest.raises(TrainingError, match="no parameters to train"):
        Trainer(b.graph, TrainConfig(device="cpu", loss="mse"), *digits(seed=0))


def test_damaged_checkpoints_are_refused_with_reasons(tmp_path):
    data = digits(seed=0)
    trainer = Trainer(mlp(), TrainConfig(epochs=2, device="cpu"), *data, checkpoint_dir=tmp_path)
    trainer.run()
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    resumed = Trainer(mlp(), TrainConfig(epochs=3, device="cpu"), *data)
    with pytest.raises(TrainingError, match="the file is empty"):
        resumed.load_checkpoint(empty)
    state = torch.load(tmp_path / "last.pt", weights_only=True)
    state["shuffle"] = torch.zeros(3, dtype=torch.uint8)
    torch.save(state, tmp_path / "rng.pt")
    with pytest.raises(TrainingError, match="its shuffling state is damaged"):
        resumed.load_checkpoint(tmp_path / "rng.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint at all")
    with pytest.raises(TrainingError, match="not a readable checkpoint"):
        resumed.load_checkpoint(tmp_path / "junk.pt")


def test_ctrl_c_stops_after_the_batch_writes_the_checkpoint_and_exits_130(tmp_path):
    out = tmp_path / "run"
    process = subprocess.Popen([sys.executable, "-m", "netbuilder", "train", str(MLP), "--epochs", "500",
                                "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.time() + 120
    while time.time() < deadline and not (out / "metrics.csv").exists():
        time.sleep(0.2)
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stdout + stderr
    assert "stopping after this batch" in stdout and "Traceback" not in stdout + stderr
    assert (out / "last.pt").is_file() and not list(out.glob("*.part"))
    assert json.loads((out / "run.json").read_text())["status"] == "stopped"


# ---- writing ------------------------------------------------------------------------------------
def test_saving_through_a_symlink_keeps_the_link_and_the_mode(tmp_path):
    real = tmp_path / "real.json"
    save(load(MLP, check_node), real)
    real.chmod(0o640)
    link = tmp_path / "link.json"
    link.symlink_to(real)
    save(load(MLP, check_node), link)
    assert link.is_symlink() and (real.stat().st_mode & 0o777) == 0o640


@pytest.mark.skipif(os.geteuid() != 0 or sys.platform != "linux", reason="needs root to mount a small tmpfs")
def test_a_full_disk_leaves_the_users_file_whole(tmp_path, capsys):
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)]).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        mine = disk / "mine.py"
        mine.write_text("# my own code\n")
        filler = disk / "filler"
        with open(filler, "wb") as f:
            try:
                f.write(bytes(60_000))
                f.write(bytes(10_000))
            except OSError:
                pass
        code, _, err = run(capsys, "export", MLP, "-o", mine)
        assert code == 1 and "No space left" in err
        assert mine.read_text() == "# my own code\n"
        assert [p.name for p in disk.iterdir()] == sorted(["mine.py", "filler"]) or \
            set(p.name for p in disk.iterdir()) == {"mine.py", "filler"}
    finally:
        subprocess.run(["umount", str(disk)])
