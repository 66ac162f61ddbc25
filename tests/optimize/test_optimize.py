"""Quantized and pruned versions of trained digits networks: they agree with the original to a stated share of
the test set and keep its accuracy within stated points; the pruned network is a document that checks clean,
has fewer channels and gives the pruned model's outputs; the command prints the table."""
from pathlib import Path

import pytest
import torch

from netbuilder import build_model, load_graph
from netbuilder.analysis import Analysis
from netbuilder.cli import main
from netbuilder.optimize.prune import prune
from netbuilder.optimize.report import Plan, optimize_run
from netbuilder.optimize.source import OptimizeError
from netbuilder.runs.run import list_runs, document_folder

from optimize_helpers import trained as _trained

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
INT8_AGREES = 0.97  # an int8 version gives the original's class on at least this share of the test samples
INT8_POINTS = 0.02  # and loses at most 2 points of accuracy
PRUNED_POINTS = 0.05  # 50% pruned and fine-tuned 3 epochs: at most 5 points lost


def test_static_int8_and_pruning_of_the_cnn(cnn, tmp_path):
    doc, run = cnn
    report = optimize_run(str(doc), str(run), Plan("static", 0.5, 3, repeats=3), tmp_path / "out")
    assert [r.variant.name for r in report.rows] == ["original", "original", "int8 static", "pruned 50% +3 ep",
                                                     "pruned 50% +3 ep, int8 static"]
    original, onnx, int8, pruned, both = report.rows
    assert original.accuracy >= 0.93 and original.agreement == 1.0
    assert onnx.agreement == 1.0 and abs(onnx.accuracy - original.accuracy) < 1e-9  # the same network in ORT
    assert int8.agreement >= INT8_AGREES and int8.accuracy >= original.accuracy - INT8_POINTS
    assert pruned.accuracy >= original.accuracy - PRUNED_POINTS and pruned.agreement >= 0.9
    assert both.agreement >= 0.9
    assert int8.size < onnx.size / 2 and pruned.size < original.size / 2  # int8 weights; half the channels
    assert pruned.variant.parameters < original.variant.parameters / 2
    assert all(r.latency_1 > 0 and r.latency_64 > 0 for r in report.rows)
    # the pruned network is a document: it checks clean, its layers are narrower, it gives the pruned outputs
    narrower = load_graph(tmp_path / "out" / "pruned.json")
    assert not [p for p in Analysis(narrower).problems() if p.severity == "error"]
    widths = {n.name: n.params.get("out_channels", n.params.get("out_features")) for n in narrower.nodes()}
    assert widths["conv1"] == 8 and widths["conv2"] == 16 and widths["fc1"] == 32 and widths["fc2"] == 10
    model = build_model(narrower).eval()
    model.load_state_dict(torch.load(tmp_path / "out" / "pruned-finetuned.pt", weights_only=True))
    x = report.trained.test[0]
    with torch.no_grad():
        assert torch.allclose(model(x), pruned.variant.module(x), atol=1e-6)
    # the fine-tuning is a run of the pruned document, listed with it
    kept = list_runs(document_folder(str(tmp_path / "out" / "pruned.json"), ""))
    tuned = [r for r in kept if not r.onnx_only]
    assert [r.status for r in tuned] == ["finished"] and tuned[0].epochs_done == 3
    assert tuned[0].made_from["version"] == "pruned 50% +3 ep"
    assert [r.name for r in kept if r.onnx_only] == [f"pruned 50% +3 ep, int8 static of {report.trained.run.name}"]
    text = (tmp_path / "out" / "table.txt").read_text()
    assert "int8 static" in text and "1 thread(s)" in text and "269 test samples" in text
    assert len((tmp_path / "out" / "table.csv").read_text().splitlines()) == 6


def test_dynamic_int8_of_the_mlp_through_the_command(mlp, tmp_path, capsys):
    doc, run = mlp
    capsys.readouterr()
    assert main(["optimize", str(doc), "--run", str(run), "--quantize", "auto", "--out", str(tmp_path / "o"),
                 "--repeats", "3"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith(("original", "int8"))]
    assert [line.split()[0:2] for line in lines] == [["original", "PyTorch"], ["original", "ONNX"], ["int8", "dynamic"]]
    agrees = float(lines[-1].split()[-1].rstrip("%")) / 100
    accuracy = [float(line.split("Runtime" if "Runtime" in line else "PyTorch")[1].split()[0].rstrip("%")) / 100
                for line in lines]
    assert agrees >= INT8_AGREES and accuracy[2] >= accuracy[0] - INT8_POINTS and accuracy[0] >= 0.9
    assert (tmp_path / "o" / "int8-dynamic.onnx").is_file()


def test_what_cannot_be_done_is_said(mlp, tmp_path, capsys):
    doc, run = mlp
    capsys.readouterr()
    assert main(["optimize", str(doc), "--run", str(run), "--out", str(tmp_path / "o")]) == 1
    assert "say what to do: quantize" in capsys.readouterr().err
    assert main(["optimize", str(doc), "--run", str(run), "--prune", "1.5", "--out", str(tmp_path / "o")]) == 1
    assert "above 0 and below 1, not 1.5" in capsys.readouterr().err
    assert main(["optimize", str(doc), "--run", "nope", "--prune", "0.5", "--out", str(tmp_path / "o")]) == 1
    assert "no run called 'nope'" in capsys.readouterr().err


def test_pruning_keeps_the_answer_and_leaves_blocks_alone():
    graph = load_graph(TEMPLATES / "mlp_digits.json")
    model = build_model(graph).eval()
    done = prune(graph, model, torch.randn(2, 1, 8, 8), 0.25)
    assert done.widths == {"hidden": (64, 48)}  # the layer that gives the Output keeps its 10 classes
    resnet = load_graph(TEMPLATES / "resnet_digits.json")
    with pytest.raises(OptimizeError, match="outside blocks"):  # its stem is tied to the blocks' residual sums
        prune(resnet, build_model(resnet).eval(), torch.randn(2, 1, 8, 8), 0.5)


def test_a_recurrent_network_is_quantized_dynamically_and_its_pruning_refusal_said(tmp_path):
    doc, run = _trained(tmp_path, "lstm_digits_rows", 5)
    report = optimize_run(str(doc), str(run), Plan("auto", 0.5, repeats=2), tmp_path / "out")
    original, onnx, int8 = report.rows  # the Recurrent layer cannot be pruned: the int8 versions still are made
    assert int8.variant.name == "int8 dynamic" and int8.agreement >= INT8_AGREES
    assert int8.accuracy >= original.accuracy - INT8_POINTS and int8.size < onnx.size / 2
    assert report.notes and report.notes[0].startswith("not pruned: no layer could be pruned")


def test_the_zeros_lesson_keeps_size_and_speed_and_says_so(mlp, tmp_path, capsys):
    doc, run = mlp
    report = optimize_run(str(doc), str(run), Plan(sparsify=0.8, repeats=2), tmp_path / "z")
    original, zeros = report.rows
    assert zeros.variant.name == "zeros 80%" and zeros.variant.runtime == "PyTorch"
    assert abs(zeros.size - original.size) < 0.02 * original.size  # the same file, zeros stored like any number
    assert zeros.variant.parameters < original.variant.parameters * 0.3  # 80% of the weights (not the biases)
    assert zeros.agreement < 1.0  # zeros are not free: the answers change
    state = torch.load(tmp_path / "z" / "sparsified.pt", weights_only=True)
    assert float((state["hidden.weight"] == 0).float().mean()) == pytest.approx(0.8, abs=0.01)
    assert [r.name for r in report.runs] == [f"zeros 80% of {report.trained.run.name}"]
    capsys.readouterr()
    assert main(["optimize", str(doc), "--run", str(run), "--sparsify", "0.5", "--global", "--out",
                 str(tmp_path / "o"), "--repeats", "1"]) == 0
    assert "zeros 50%: zeros only: the smallest weights set to zero (torch.nn.utils.prune); the same size on disk" \
        in capsys.readouterr().out
    assert main(["optimize", str(doc), "--run", str(run), "--sparsify", "1", "--out", str(tmp_path / "o")]) == 1
    assert "share of weights set to zero is above 0 and below 1, not 1.0" in capsys.readouterr().err


def test_in_the_app_torchs_thread_count_is_left_alone(mlp, tmp_path, monkeypatch):
    """torch's thread count is the process's, shared with a training run: only the command (its own process)
    sets it; in the app the table says what it was."""
    doc, run = mlp
    calls, real = [], torch.set_num_threads
    real(1)
    monkeypatch.setattr(torch, "set_num_threads", lambda n: (calls.append(n), real(n)))
    report = optimize_run(str(doc), str(run), Plan("dynamic", repeats=1, threads=2), tmp_path / "o")
    assert calls == []
    assert "PyTorch on 1 thread(s) (the process's count, shared with training: left as it was), ONNX Runtime on 2" \
        in report.text()
    report = optimize_run(str(doc), str(run), Plan("dynamic", repeats=1, threads=2, set_torch_threads=True),
                          tmp_path / "p")
    assert calls == [2, 1] and "2 thread(s) each for PyTorch and ONNX Runtime" in report.text()
