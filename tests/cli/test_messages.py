"""Messages that say what is really wrong (issue 26): a loop of symbolic links is not "no such file", an empty
weights file says it is empty, and a dataset option its source does not take is reported by check and train."""
import json
import os
from pathlib import Path

import pytest

from netbuilder.cli import main
from netbuilder.train import TrainConfig, Trainer, TrainingError

ROOT = Path(__file__).resolve().parents[2]
MLP = ROOT / "templates" / "mlp_digits.json"


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "internal error" not in out + err, out + err
    return code, out, err


def loop(folder: Path, suffix: str) -> Path:
    """a.<suffix> -> b.<suffix> -> a.<suffix>"""
    a, b = folder / f"a{suffix}", folder / f"b{suffix}"
    a.symlink_to(b.name)
    b.symlink_to(a.name)
    return a


LOOP = "a loop of symbolic links"


@pytest.mark.parametrize("command", [
    lambda a, t: ["check", a("json")],
    lambda a, t: ["export", a("json"), "-o", t / "net.py"],
    lambda a, t: ["train", MLP, "--dataset", a("csv"), "--epochs", "1", "--out", t / "run"],
    lambda a, t: ["export", MLP, "--format", "onnx", "-o", t / "net.onnx", "--weights", a("pt")],
    lambda a, t: ["predict", MLP, "--weights", a("pt"), t / "nothing.csv"],
    lambda a, t: ["predict", MLP, "--weights", t / "weights.pt", a("csv")],
    lambda a, t: ["import", a("py"), "--class", "Net", "--input-shape", "4", "-o", t / "net.json"],
], ids=["check", "export", "train --dataset", "export --weights", "predict --weights", "predict INPUT", "import"])
def test_a_loop_of_links_is_said_to_be_one(tmp_path, capsys, command):
    import torch

    import netbuilder

    torch.save(netbuilder.build_model(netbuilder.load_graph(MLP)).state_dict(), tmp_path / "weights.pt")
    links = tmp_path / "links"
    links.mkdir()
    code, _, err = run(capsys, *command(lambda suffix: loop(links, "." + suffix), tmp_path))
    assert code in (1, 2) and LOOP in err, err
    assert "no such file" not in err and "does not exist" not in err


def test_a_loop_of_links_as_a_checkpoint_is_said_to_be_one(tmp_path):
    from netbuilder.data import digits
    from netbuilder.graph.io import load
    from netbuilder.layers import check_node

    graph = load(MLP, check_node)
    trainer = Trainer(graph, TrainConfig(epochs=2, device="cpu"), *digits(seed=0))
    with pytest.raises(TrainingError, match=LOOP):
        trainer.load_checkpoint(loop(tmp_path, ".pt"))
    with pytest.raises(TrainingError, match=LOOP):
        Trainer(graph, TrainConfig(epochs=1, device="cpu", init_from=str(loop(tmp_path, "2.pt"))), *digits(seed=0))


def test_an_empty_weights_file_says_it_is_empty(tmp_path, capsys):
    empty = tmp_path / "weights.pt"
    empty.write_bytes(b"")
    code, _, err = run(capsys, "export", MLP, "--format", "onnx", "-o", tmp_path / "net.onnx", "--weights", empty)
    assert code == 1 and "the checkpoint 'weights.pt' is empty (0 bytes" in err
    assert not err.rstrip().endswith("could not be read:")
    np_input = tmp_path / "x.csv"
    np_input.write_text(",".join(["0"] * 64) + "\n")
    code, _, err = run(capsys, "predict", MLP, "--weights", empty, np_input)
    assert code == 1 and "is empty (0 bytes" in err
    document = json.loads(MLP.read_text())
    document["meta"]["training"].update(init_from=str(empty), epochs=1)
    (tmp_path / "doc.json").write_text(json.dumps(document))
    code, _, err = run(capsys, "train", tmp_path / "doc.json", "--out", tmp_path / "run")
    assert code == 1 and "the checkpoint 'weights.pt' is empty (0 bytes" in err


def test_a_foreign_weights_file_says_why_it_cannot_be_read(tmp_path, capsys):
    junk = tmp_path / "weights.pt"
    junk.write_bytes(b"PK\x03\x04 not really a zip")
    code, _, err = run(capsys, "export", MLP, "--format", "onnx", "-o", tmp_path / "net.onnx", "--weights", junk)
    assert code == 1 and "could not be read: " in err
    reason = err.split("could not be read: ", 1)[1].strip()
    assert reason, err


@pytest.mark.parametrize("data, message", [
    ({"source": "digits", "options": {"bogus": 1}}, "digits: unknown option bogus; it takes none"),
    ({"source": "moons", "options": {"bogus": 1, "noise": 0.2}}, "moons: unknown option bogus; it takes n, noise"),
    ({"source": "mnist", "options": {"size": 3}}, "mnist: unknown option size; it takes folder"),
])
def test_dataset_options_the_source_does_not_take_are_said_by_check_and_train(tmp_path, capsys, data, message):
    document = json.loads(MLP.read_text())
    document["meta"]["data"].update(data)
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(document))
    code, _, err = run(capsys, "check", path)
    assert code == 1 and message in err
    code, _, err = run(capsys, "train", path, "--epochs", "1", "--out", tmp_path / "run")
    assert code == 1 and message in err


def test_options_of_a_csv_are_checked_against_its_reader(tmp_path, capsys):
    csv = tmp_path / "points.csv"
    csv.write_text("a,b,label\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(40)))
    document = json.loads(MLP.read_text())
    document["meta"]["data"].update(source=str(csv), options={"target": "label", "delimiter": ";"})
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(document))
    code, _, err = run(capsys, "check", path)
    assert code == 1 and "points.csv: unknown option delimiter; it takes " in err and "target" in err
    document["meta"]["data"]["options"] = {"target": "label"}
    path.write_text(json.dumps(document))
    code, _, err = run(capsys, "check", path)
    assert "unknown option" not in err
    assert os.path.exists(csv)


def test_weights_that_are_not_finite_are_named_by_predict_export_and_init_from(tmp_path, capsys):
    """A diverged run's weights predicted 'nan%' for every class, failed the ONNX check with 'differs by up to nan',
    and started a run that failed at its first step blaming the learning rate."""
    import torch

    import netbuilder

    state = netbuilder.build_model(netbuilder.load_graph(MLP)).state_dict()
    name = next(k for k in state if k.endswith("bias"))
    state[name][0] = float("nan")
    weights = tmp_path / "diverged.pt"
    torch.save({"model": state, "epoch": 3}, weights)
    said = f"the weights in 'diverged.pt' hold NaN or infinite values ({name}): the run had diverged"
    inputs = tmp_path / "x.csv"
    inputs.write_text(",".join(["0"] * 64) + "\n")
    code, out, err = run(capsys, "predict", MLP, "--weights", weights, inputs)
    assert code == 1 and said in err and "nan" not in out
    code, _, err = run(capsys, "export", MLP, "--format", "onnx", "-o", tmp_path / "net.onnx", "--weights", weights)
    assert code == 1 and said in err and not (tmp_path / "net.onnx").exists()
    document = json.loads(MLP.read_text())
    document["meta"]["training"].update(init_from=str(weights), epochs=1)
    (tmp_path / "doc.json").write_text(json.dumps(document))
    code, _, err = run(capsys, "train", tmp_path / "doc.json", "--out", tmp_path / "run")
    assert code == 1 and said in err and "learning rate" not in err
