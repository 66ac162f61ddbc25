"""ONNX and TorchScript export (netbuilder.deploy.formats, `netbuilder export --format onnx|torchscript`): every
template's file gives the compiled module's outputs, a run's weights are the ones exported, and bad input is
refused with a message and no file."""
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import torch
from torch import nn

import netbuilder
from netbuilder import GraphBuilder
from netbuilder.cli import main
from netbuilder.compile import build_model, example_inputs
from netbuilder.errors import UserError
from netbuilder.graph.edits import Rename
from netbuilder.graph.model import EditError, name_problem
from netbuilder.deploy import formats as deploy
from netbuilder.runs.run import Run, document_folder

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "templates").glob("*.json"))


def outputs(value):
    return list(value) if isinstance(value, (tuple, list)) else [value]


def run_onnx(path, inputs):
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session, [torch.from_numpy(a) for a in
                     session.run(None, {i.name: x.numpy() for i, x in zip(session.get_inputs(), inputs)})]


def assert_same(got, model, inputs):
    with torch.no_grad():
        want = outputs(model(*inputs))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape
        torch.testing.assert_close(g, w, atol=1e-4, rtol=1e-3)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.stem)
def test_every_template_exports_to_onnx_and_torchscript(template, tmp_path):
    """The written files, read back here, give what the compiled module with the same weights gives, on a batch
    size the export never saw."""
    graph = netbuilder.load_graph(template)
    model = build_model(graph).eval()
    torch.save(model.state_dict(), tmp_path / "weights.pt")
    inputs = example_inputs(graph, 3, generator=torch.Generator().manual_seed(1))

    done = deploy.export_network(graph, str(template), "onnx", tmp_path / "net.onnx", weights=tmp_path / "weights.pt")
    assert done.summary().startswith("ONNX: outputs match, max difference ")
    assert done.difference < 1e-4
    session, got = run_onnx(tmp_path / "net.onnx", inputs)
    assert_same(got, model, inputs)
    names = [n.name for n in graph.nodes() if n.type == "Input"]
    assert sorted(i.name for i in session.get_inputs()) == sorted(names)
    assert all(isinstance(i.shape[0], str) and i.shape[0].startswith("batch") for i in session.get_inputs())

    done = deploy.export_network(graph, str(template), "torchscript", tmp_path / "net.pt",
                                 weights=tmp_path / "weights.pt")
    assert done.summary().startswith("TorchScript: outputs match")
    loaded = torch.jit.load(tmp_path / "net.pt")
    with torch.no_grad():
        assert_same(outputs(loaded(*inputs)), model, inputs)


def test_a_layer_that_cannot_be_scripted_is_traced(tmp_path):
    """Causal self-attention builds its mask in a way TorchScript cannot compile: that layer alone is traced,
    and the file still takes any batch size."""
    b = GraphBuilder()
    x = b.add("Input", shape=[5, 8])
    b.add("Output", b.add("Linear", b.add("MultiheadSelfAttention", x, name="attn", num_heads=2, causal=True),
                          name="head", out_features=3))
    model = build_model(b.graph).eval()
    torch.save(model.state_dict(), tmp_path / "w.pt")
    done = deploy.export_network(b.graph, None, "torchscript", tmp_path / "net.pt", weights=tmp_path / "w.pt")
    assert done.traced == ["attn (MultiheadSelfAttention)"]
    assert "traced" in done.how and "attn" in done.how
    loaded = torch.jit.load(tmp_path / "net.pt")
    inputs = example_inputs(b.graph, 4)
    with torch.no_grad():
        assert_same([loaded(*inputs)], model, inputs)


def test_an_adaptive_pool_whose_size_does_not_divide_its_input_exports_to_onnx(tmp_path):
    """Why the torch.export-based exporter: the TorchScript-based one refuses this pooling (7x7 to 3x3)."""
    b = GraphBuilder()
    x = b.add("Input", shape=[2, 7, 7])
    b.add("Output", b.add("Flatten", b.add("AdaptiveAvgPool2d", x, output_size=3)))
    model = build_model(b.graph).eval()
    torch.save(model.state_dict(), tmp_path / "w.pt")
    deploy.export_network(b.graph, None, "onnx", tmp_path / "net.onnx", weights=tmp_path / "w.pt")
    inputs = example_inputs(b.graph, 3)
    assert_same(run_onnx(tmp_path / "net.onnx", inputs)[1], model, inputs)


def trained_document(tmp_path) -> tuple[Path, nn.Module]:
    """The MLP template saved as a document, with a run whose best.pt holds weights unlike fresh ones."""
    doc = tmp_path / "mlp.json"
    graph = netbuilder.load_graph(ROOT / "templates" / "mlp_digits.json")
    graph.save(doc)
    model = build_model(graph).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p))  # far from any initialisation
    run = Run.create(document_folder(str(doc), ""), graph, name="tuned")
    torch.save({"model": model.state_dict(), "epoch": 1}, run.folder / "best.pt")
    return doc, model


def test_the_runs_weights_are_the_ones_exported(tmp_path, capsys):
    doc, model = trained_document(tmp_path)
    graph = netbuilder.load_graph(doc)
    inputs = example_inputs(graph, 4)
    assert main(["export", str(doc), "--format", "onnx", "-o", str(tmp_path / "net.onnx"), "--run", "tuned"]) == 0
    printed = capsys.readouterr().out
    assert "weights: run 'tuned'" in printed and "best.pt" in printed
    assert "ONNX: outputs match, max difference" in printed
    _, got = run_onnx(tmp_path / "net.onnx", inputs)
    assert_same(got, model, inputs)
    fresh = build_model(graph).eval()
    with torch.no_grad():
        assert (got[0] - fresh(*inputs)).abs().max() > 1e-2  # not the fresh weights

    assert main(["export", str(doc), "--format", "torchscript", "-o", str(tmp_path / "net.pt"), "--run",
                 "tuned"]) == 0
    assert "TorchScript: outputs match" in capsys.readouterr().out
    with torch.no_grad():
        assert_same([torch.jit.load(tmp_path / "net.pt")(*inputs)], model, inputs)


def test_without_weights_the_output_says_they_are_fresh(tmp_path, capsys):
    template = ROOT / "templates" / "cnn_digits.json"
    assert main(["export", str(template), "--format", "torchscript", "-o", str(tmp_path / "net.pt")]) == 0
    out = capsys.readouterr().out
    assert "freshly initialised weights" in out
    assert f"wrote {tmp_path / 'net.pt'} (TorchScript, scripted)" in out
    assert "TorchScript: outputs match, max difference 0" in out


def test_one_network_of_a_document_with_a_runs_weights(tmp_path):
    """--network: the generator of the GAN alone, its weights taken from a checkpoint of the whole document."""
    graph = netbuilder.load_graph(ROOT / "templates" / "gan_digits.json")
    whole = build_model(graph).eval()
    torch.save(whole.state_dict(), tmp_path / "gan.pt")
    output = next(n.name for n in graph.nodes() if n.type == "Output")
    deploy.export_network(graph, None, "onnx", tmp_path / "g.onnx", weights=tmp_path / "gan.pt", network=output)
    part = build_model(graph, output).eval()
    part.load_state_dict({k: v for k, v in whole.state_dict().items() if k in part.state_dict()})
    inputs = example_inputs(graph, 2, output)
    session, got = run_onnx(tmp_path / "g.onnx", inputs)
    assert len(session.get_inputs()) == 1
    assert_same(got, part, inputs)


@pytest.mark.parametrize("how, message", [
    (dict(run="nope"), "the document has no run called 'nope' (its runs: 'tuned')"),
    (dict(weights="missing.pt"), "does not exist"),
    (dict(weights="other.pt"), "are not this network's"),
    (dict(output="no/such/folder/net.onnx"), "the folder"),
    (dict(output="mlp.json/net.onnx"), "is a file, not a folder"),
    (dict(output="."), "is a folder: give a file name"),
    (dict(network="nothing"), "no network named 'nothing'"),
])
def test_bad_input_is_refused_with_a_message_and_no_file(tmp_path, monkeypatch, how, message):
    doc, _ = trained_document(tmp_path)
    monkeypatch.chdir(tmp_path)
    torch.save(build_model(netbuilder.load_graph(ROOT / "templates" / "cnn_digits.json")).state_dict(), "other.pt")
    args = dict(output="net.onnx", run=None, weights=None, network=None) | how
    graph = netbuilder.load_graph(doc)
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace(")", r"\)")):
        deploy.export_network(graph, str(doc), "onnx", args["output"], args["run"], args["weights"], args["network"])
    assert not (tmp_path / "net.onnx").exists()
    assert not list(tmp_path.glob(".net.onnx*"))  # no temporary file left either


def test_cli_says_what_is_wrong_without_a_traceback(tmp_path, capsys):
    template = str(ROOT / "templates" / "mlp_digits.json")
    assert main(["export", template, "--format", "onnx", "-o", str(tmp_path / "net.onnx"), "--run", "nope"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: the document has no run called 'nope'") and "Traceback" not in err
    assert main(["export", template, "--format", "py", "-o", str(tmp_path / "net.py"), "--run", "x"]) == 1
    assert "--run and --weights go with --format onnx or torchscript" in capsys.readouterr().err
    assert main(["export", template, "--format", "onnx", "-o", str(tmp_path / "none" / "net.onnx")]) == 1
    assert "the folder" in capsys.readouterr().err
    assert not (tmp_path / "net.onnx").exists() and not (tmp_path / "net.py").exists()


class Branchy(nn.Module):
    """Decides on the values of its input: no graph (ONNX) can hold that."""

    def forward(self, x):
        if x.sum() > 0:
            return x * 2
        return x


class ThroughNumpy(nn.Module):
    """Leaves torch for NumPy: TorchScript cannot compile it, and a trace keeps the example's values."""

    def forward(self, x):
        return torch.from_numpy(np.abs(x.detach().numpy()))


def with_layer(monkeypatch, module: nn.Module):
    """The compiler gives the network `module` in place of its layer 'act' (no catalog layer fails to export)."""
    real = deploy.build_model

    def build(graph, network=None):
        model = real(graph, network)
        model.act = module
        return model
    monkeypatch.setattr(deploy, "build_model", build)
    b = GraphBuilder()
    b.add("Output", b.add("ReLU", b.add("Linear", b.add("Input", shape=[4]), out_features=3), name="act"))
    return b.graph


def test_a_layer_that_cannot_be_exported_is_named_with_the_reason(tmp_path, monkeypatch):
    graph = with_layer(monkeypatch, Branchy())
    with pytest.raises(UserError) as error:
        deploy.export_network(graph, None, "onnx", tmp_path / "net.onnx")
    assert str(error.value).startswith("the layer 'act' (ReLU) cannot be exported to ONNX: torch.export cannot"
                                       " capture it: its forward decides on the values in a tensor")
    assert not (tmp_path / "net.onnx").exists()


def test_an_export_that_does_not_give_the_same_outputs_is_not_written(tmp_path, monkeypatch):
    graph = with_layer(monkeypatch, ThroughNumpy())
    (tmp_path / "net.pt").write_bytes(b"the old file")
    with pytest.raises(UserError, match="TorchScript: the exported model gives 'output1' as .* nothing was written"):
        deploy.export_network(graph, None, "torchscript", tmp_path / "net.pt")
    assert (tmp_path / "net.pt").read_bytes() == b"the old file"


def test_a_code_layer_that_decides_on_values_is_refused_by_name(tmp_path):
    """A Code layer (the user's own Python) with data-dependent control flow: ONNX names it; TorchScript can
    only trace it, the trace keeps one branch, and the check refuses the file."""
    from netbuilder.graph import trust

    # the batch of 2 the export traces sums to about 6.4 in size, the check's batch of 5 to about 16
    code = ("def __init__(self):\n    super().__init__()\n\n"
            "def forward(self, x):\n    if x.abs().sum() > 10:\n        return x * 2\n    return x\n")
    trust.trust([code], remember=False)
    b = GraphBuilder()
    b.add("Output", b.add("Code", b.add("Input", shape=[4]), name="gate", code=code))
    with pytest.raises(UserError, match="the layer 'gate' \\(Code\\) cannot be exported to ONNX: .* data-dependent"):
        deploy.export_network(b.graph, None, "onnx", tmp_path / "net.onnx")
    with pytest.raises(UserError, match="nothing was written .*cannot compile gate \\(Code\\), so it was traced"):
        deploy.export_network(b.graph, None, "torchscript", tmp_path / "net.pt")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("name", ["input", "len", "type", "lambda"])
def test_an_input_named_after_a_python_builtin_or_keyword_exports_to_onnx(name, tmp_path):
    """forward(self, input) is what most PyTorch code writes: torch.fx names that placeholder input_1, and the
    exporter must ask for the argument's own name. Keywords and names torch reserves cannot name a layer at all:
    the document says so before anything is exported."""
    b = GraphBuilder()
    x = b.add("Input", shape=[4], name="x")
    b.add("Output", b.add("Linear", x, out_features=3))
    problem = name_problem(name)
    if problem is not None:
        assert name in ("type", "lambda") and "reserved" in problem
        with pytest.raises(EditError, match="reserved"):
            b.graph.apply(Rename(b.graph, x, name))
        return
    b.graph.apply(Rename(b.graph, x, name))
    model = build_model(b.graph).eval()
    torch.save(model.state_dict(), tmp_path / "w.pt")
    deploy.export_network(b.graph, None, "onnx", tmp_path / "net.onnx", weights=tmp_path / "w.pt")
    inputs = example_inputs(b.graph, 3)
    session, got = run_onnx(tmp_path / "net.onnx", inputs)
    assert [i.name for i in session.get_inputs()] == [name]
    assert_same(got, model, inputs)
