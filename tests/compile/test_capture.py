"""Import by torch.export: the code people write (checks on shapes and devices, sizes read from the input, noise
drawn in forward, a class of their own) comes in; what the catalog lacks as Code layers saying why; each document gives
the model's outputs at a batch size the import did not use, and so does its exported source."""
import re
import sys
from pathlib import Path

import pytest
import torch

import netbuilder
from netbuilder.analysis import Analysis
from netbuilder.cli import main
from netbuilder.compile.build import _class_name
from netbuilder.compile.importer.model import ModelImportError, import_model, load_class
from netbuilder.graph import trust
from netbuilder.layers import code as code_layer

MODELS = (Path(__file__).parent / "capture_models.py").read_text()


@pytest.fixture
def models(tmp_path):
    path = tmp_path / "models.py"
    path.write_text(MODELS)
    return path


def line_of(text: str) -> int:
    return MODELS.splitlines().index(text) + 1


def _model(path, name, **args):
    torch.manual_seed(7)
    model = load_class(path, name)(**args).eval()
    with torch.no_grad():
        for value in model.state_dict().values():
            if value.is_floating_point():
                value.add_(torch.randn_like(value) * 0.1)
    return model


def _outputs(module, xs):
    with torch.no_grad(), torch.random.fork_rng():
        torch.manual_seed(11)  # random numbers drawn alike in the model and the document (noise drawn in forward)
        out = module.eval()(*xs)
    return [t for t in torch.utils._pytree.tree_leaves(out) if t is not None]


def _same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.shape == y.shape
        torch.testing.assert_close(x, y, rtol=1e-4, atol=1e-5)


def imports_the_same(path, name, tmp_path, xs, flat=None, out_dims=(), **kw):
    """Import with the model's own weights; the document, built and exported, gives the model's outputs on `xs`
    (a batch size the import does not use: it captures with 2 and checks with 3). `flat`: the document's inputs
    when they are not `xs` (batch first, one per tensor); `out_dims`: where the batch is in the model's outputs."""
    model = _model(path, name)
    weights = tmp_path / f"{name}.pt"
    torch.save(model.state_dict(), weights)
    result = import_model(path, name, weights=weights, **kw)
    graph = result.graph
    analysis = Analysis(graph)
    assert [p for p in analysis.problems() if p.severity == "error"] == []
    analysis.close()
    built = netbuilder.build_model(graph)
    built.load_state_dict(result.state)
    flat = xs if flat is None else flat
    theirs = [t.movedim(b, 0) for t, b in zip(_outputs(model, xs), list(out_dims) + [0] * 9)]
    _same(theirs, _outputs(built, flat))
    source = tmp_path / "exported.py"
    source.write_text(netbuilder.export_source(graph))
    namespace = {"__name__": "exported"}
    exec(compile(source.read_text(), str(source), "exec"), namespace)
    exported = namespace[_class_name(graph, None)]()
    exported.load_state_dict(result.state)
    _same(theirs, _outputs(exported, flat))
    return result


def test_checks_on_shapes_devices_and_flags_are_decided_at_the_example_shape(models, tmp_path):
    result = imports_the_same(models, "Checks", tmp_path, [torch.randn(5, 8)], input_shapes=[[8]])
    assert [n.type for n in result.graph.nodes()] == ["Input", "Linear", "ReLU", "Linear", "Output"]


def test_sizes_read_from_the_input_stay_sizes(models, tmp_path):
    tokens = torch.randint(0, 20, (5, 6))
    result = imports_the_same(models, "Tagger", tmp_path, [tokens], input_shapes=[[6]])
    graph = result.graph
    assert graph.by_name("tokens").params["dtype"] == "int"
    pos = graph.by_name("pos")  # x + self.pe[:x.size(1)]: its own class, as written, its buffer loaded
    assert pos.type == "Code" and "return x + self.pe[:x.size(1)]" in pos.params["code"]
    assert pos.params["args"] == {"d_model": 8}
    at = line_of("        return x + self.pe[:x.size(1)]")
    assert pos.params["note"].startswith(f"imported as code: line {at}: indexing a tensor")
    assert "so class PositionalEncoding comes in as written" in pos.params["note"]
    first = graph.by_name("first")  # torch.zeros(tokens.size(0), 51): the batch read from the input
    assert first.type == "Code" and "torch.zeros([sym_size_int, 51])" in first.params["code"]
    assert f"# line {line_of('        first = torch.zeros(tokens.size(0), 51)')}:" in first.params["code"]


def test_noise_drawn_in_forward_is_code_drawn_alike_and_its_arithmetic_is_layers(models, tmp_path):
    result = imports_the_same(models, "Noisy", tmp_path, [torch.randn(5, 12)], input_shapes=[[12]])
    graph = result.graph
    types = {n.name: n.type for n in graph.nodes()}
    assert types["std"] == "Exp" and types["eps"] == "Code" and list(types.values()).count("Scale") == 1
    scale = next(n for n in graph.nodes() if n.type == "Scale")
    assert scale.params["scale"] == 0.5 and scale.params["shift"] == 0.0  # 0.5 * ...
    eps = graph.by_name("eps")
    assert "torch.randn_like(" in eps.params["code"]
    assert eps.params["note"] == f"imported as code: line {line_of('        eps = torch.randn_like(std)')}:" \
        " torch.randn_like, which no catalog layer does"
    assert [n.name for n in graph.nodes() if n.type == "Output"] == ["output", "output1"]


def test_a_class_of_its_own_keeps_its_source_and_weights_and_trains(models, tmp_path):
    result = imports_the_same(models, "WithSwish", tmp_path, [torch.randn(5, 6)], input_shapes=[[6]])
    act = result.graph.by_name("act")
    body = MODELS.split("class Swish(nn.Module):\n")[1].split("\n\n\n")[0]
    assert act.type == "Code" and act.params["code"] == re.sub(r"(?m)^    ", "", body) + "\n"
    assert act.params["args"] == {"beta": 0.5}
    assert result.state["act.beta"].item() != 0.5  # the model's own (changed) weight, not a fresh one
    built = netbuilder.build_model(result.graph)
    built.load_state_dict(result.state)
    optimizer = torch.optim.SGD(built.parameters(), lr=0.1)
    built(torch.randn(4, 6)).pow(2).mean().backward()
    optimizer.step()
    assert built.act.beta.item() != result.state["act.beta"].item()  # the code's weight learns


def test_imported_code_is_trusted_for_its_document(models, tmp_path):
    result = import_model(models, "WithSwish", input_shapes=[[6]])
    trust.forget_session()  # as a later session: the code is remembered as the user's own
    code_layer.clear_cache()
    assert code_layer.untrusted_layers(result.graph) == []
    analysis = Analysis(result.graph)
    assert analysis.problems() == []
    analysis.close()


def test_forward_deciding_from_values_is_refused_naming_its_line(models):
    with pytest.raises(ModelImportError) as e:
        import_model(models, "Branchy", input_shapes=[[4]])
    assert f"models.py: line {line_of('        if x.sum() > 0:')}: Branchy.forward decides what to do from the" \
        " values in a tensor" in str(e.value)
    assert "torch.where" in str(e.value)


def test_a_refusal_names_the_line_the_construct_and_what_works(models, tmp_path, capsys):
    out = tmp_path / "never.json"
    assert main(["import", str(models), "--class", "Dropped", "--input-shape", "8", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert not out.exists() and "Traceback" not in err
    at = line_of("        return self.drop(self.fc(x))")
    assert f"line {at}: self.drop: nn.Dropout2d on [N, 64], which zeroes whole channels of [N, C, H, W] images" \
        " only; on other shapes use nn.Dropout" in err


def test_a_file_that_loops_forever_while_loading_is_stopped_and_said(tmp_path, capsys, monkeypatch):
    from netbuilder.compile.importer import files

    monkeypatch.setattr(files, "LOAD_LIMIT_S", 0.3)
    looping = tmp_path / "looping.py"
    looping.write_text("import torch\n\nwhile True:\n    pass\n")
    out = tmp_path / "never.json"
    assert main(["import", str(looping), "--class", "Net", "--input-shape", "4", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert not out.exists() and "Traceback" not in err
    assert re.search(r"looping.py: line [34]: still running after 0.3 s while it is loaded \(an endless loop\?\)", err)


def test_a_language_model_with_its_state_imports_sequence_first(models, tmp_path):
    """word_language_model's shape: tokens [length, N], its LSTM sequence first, (h, c) given and returned."""
    long, f = torch.long, torch.float32
    inputs = [("input", long, [6, 20]), ("hidden", f, [2, 20, 10]), ("hidden", f, [2, 20, 10])]
    tokens, h, c = torch.randint(0, 30, (6, 5)), torch.randn(2, 5, 10), torch.randn(2, 5, 10)
    result = imports_the_same(models, "RNNModel", tmp_path, [tokens, (h, c)],
                              [tokens.T, h.transpose(0, 1), c.transpose(0, 1)], out_dims=[1, 1, 1], inputs=inputs)
    graph = result.graph
    assert [(n.type, n.params.get("shape")) for n in graph.nodes() if n.type == "Input"] == [
        ("Input", [6]), ("Input", [2, 10]), ("Input", [2, 10])]  # one sample each, the batch first
    rnn = graph.by_name("rnn")
    assert (rnn.type, rnn.params["cell"], rnn.params["state"], rnn.params["num_layers"]) == ("Recurrent", "LSTM", True, 2)
    assert [e.dst_port for e in graph.in_edges(rnn.id)] == ["in", "h", "c"]
    assert sum(n.type == "Output" for n in graph.nodes()) == 3  # the log-probabilities, then h and c
    assert "Code" not in {n.type for n in graph.nodes()}


def test_an_lstm_given_its_state_returns_it_as_outputs(models, tmp_path):
    f = torch.float32
    inputs = [("x", f, [4, 3, 5]), ("state", f, [2, 4, 7]), ("state", f, [2, 4, 7])]
    x, h, c = torch.randn(5, 3, 5), torch.randn(2, 5, 7), torch.randn(2, 5, 7)
    result = imports_the_same(models, "StateLSTM", tmp_path, [x, (h, c)], [x, h.transpose(0, 1), c.transpose(0, 1)],
                              out_dims=[0, 1, 1], inputs=inputs)
    lstm = result.graph.by_name("lstm")
    assert lstm.params["state"] is True and lstm.params["returns"] == "sequence"
    outs = [e for e in result.graph.out_edges(lstm.id)]
    assert sorted(e.src_port for e in outs) == ["c", "h", "out"]


def test_a_factory_builds_a_model_from_a_config_object(models, tmp_path):
    model = load_class(models, "Configured")  # its file's own function makes it from a dataclass
    result = import_model(models, None, {"width": 6}, [[6]], factory="make_model")
    assert result.source == "models.py, make_model()"
    assert result.graph.meta["name"] == "Configured"
    assert [n.type for n in result.graph.nodes()] == ["Input", "Linear", "GELU", "Linear", "Output"]
    assert model.__name__ == "Configured"
    with pytest.raises(ModelImportError, match=r"models.py defines no function 'missing' \(its functions: .*make_model"):
        import_model(models, None, None, [[6]], factory="missing")


def test_writes_into_views_in_place_are_not_lost(models, tmp_path):
    """h[:, 1].add_(...) changes h: the import sees it as values (select_scatter), not a result nobody uses."""
    result = imports_the_same(models, "InPlace", tmp_path, [torch.randn(5, 4)], input_shapes=[[4]])
    assert [n.type for n in result.graph.nodes()][:2] == ["Input", "Linear"]


def test_a_batch_fixed_in_forward_is_refused_naming_its_line(models, tmp_path, capsys):
    out = tmp_path / "never.json"
    assert main(["import", str(models), "--class", "FixedBatch", "--input-shape", "4", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert not out.exists() and "Traceback" not in err
    at = line_of("        return self.fc(x).view(self.batch_size, 2, 3).sum(1)")
    assert f"models.py, class FixedBatch: line {at}: the model fixes the batch size here, at the example's (2)" \
        " (`return self.fc(x).view(self.batch_size, 2, 3).sum(1)`): a number (or an attribute) stands where the" \
        " batch goes; use x.size(0), x.shape[0], or -1 in a reshape (it does not run on a batch of 3: " in err


def test_the_batch_read_by_len_stays_a_size(models, tmp_path):
    """len(x) is a Python number to torch.export's non-strict capture (which fixes the batch at 2); TorchDynamo
    reads it as a size, so the import captures again with it."""
    imports_the_same(models, "LenBatch", tmp_path, [torch.randn(5, 4)], input_shapes=[[4]])


def test_the_line_that_fixes_the_batch_is_the_one_the_capture_fixed_it_at(models):
    """The non-strict capture fixes the batch at len(x): the stack of the guard that pins it names that line (in
    the user's file as "line N", in a package's file by its name)."""
    from netbuilder.compile.importer.fixed import fixed_at, fixed_batch, guard_stacks

    model = load_class(models, "LenBatch")().eval()
    with guard_stacks() as stacks:
        program = torch.export.export(model, (torch.randn(2, 4),), dynamic_shapes=({0: torch.export.Dim.AUTO},),
                                      strict=False)
    frame = fixed_batch(program, [0], stacks)
    at = line_of("        return self.fc(x).reshape(len(x), 2, 3).sum(1)")
    assert (Path(frame.filename).name, frame.lineno) == ("models.py", at)
    assert fixed_at(frame, models, 2) == f"line {at}: the model fixes the batch size here, at the example's (2)" \
        " (`return self.fc(x).reshape(len(x), 2, 3).sum(1)`): len() of a tensor is a Python number; use x.size(0)" \
        " or x.shape[0], which stay sizes"
    assert fixed_at(frame, models.with_name("user.py"), 2).startswith(f"models.py line {at}: the model fixes")
