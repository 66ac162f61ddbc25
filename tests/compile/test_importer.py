"""Import of PyTorch models: hand-written models become documents that check clean and compute what the
models compute with their weights; every template comes back from its exported source; bad input is named."""
import re
from pathlib import Path

import pytest
import torch

import netbuilder
from netbuilder import GraphBuilder
from netbuilder.analysis import Analysis
from netbuilder.cli import main
from netbuilder.compile.build import _class_name
from netbuilder.compile.importer.model import ModelImportError, import_model, load_class, parse_shape
from netbuilder.graph.edits import SetParam
from netbuilder.graph.io import load
from netbuilder.layers import check_node
from netbuilder.deploy.predict import trained_model, weights_of

TEMPLATES = sorted((Path(__file__).resolve().parents[2] / "templates").glob("*.json"))

MODELS = '''
import torch
from torch import nn
import torch.nn.functional as F


class LeNet(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(x.size(0), -1)
        x = F.relu(self.fc1(x))
        x = F.dropout(F.relu(self.fc2(x)), 0.25, self.training)
        return self.fc3(x)


class Block(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding="same", bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + x)


class ResNet(nn.Module):
    def __init__(self, channels=8, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, channels, 3, padding=1), nn.BatchNorm2d(channels), nn.ReLU())
        self.block1 = Block(channels)
        self.block2 = Block(channels)
        self.head = nn.Linear(channels, classes)

    def forward(self, x):
        x = self.block2(self.block1(self.stem(x)))
        return self.head(x.mean(dim=(2, 3)))


class LSTMClassifier(nn.Module):
    def __init__(self, features=8, hidden=16, classes=10):
        super().__init__()
        self.lstm = nn.LSTM(features, hidden, num_layers=2, batch_first=True)
        self.out = nn.Linear(hidden, classes)

    def forward(self, rows):
        _, (h, _) = self.lstm(rows)
        return self.out(h[-1])


class GRUTagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(30, 8)
        self.gru = nn.GRU(8, 12, batch_first=True)
        self.tag = nn.Linear(12, 5)

    def forward(self, tokens):
        out, _ = self.gru(self.embed(tokens))
        return torch.log_softmax(self.tag(out[:, -1]), dim=-1)


class Encoder(nn.Module):
    def __init__(self, features=8, d_model=16, classes=10, length=8):
        super().__init__()
        self.embed = nn.Linear(features, d_model)
        self.pos = nn.Parameter(torch.randn(1, length, d_model) * 0.02)
        layer = nn.TransformerEncoderLayer(d_model, 4, 32, dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.classify = nn.Linear(d_model, classes)

    def forward(self, tokens):
        x = self.embed(tokens) + self.pos
        x = self.encoder(x)
        return self.classify(x.mean(dim=1))


class AttentionBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(8, 2, batch_first=True)
        self.norm = nn.LayerNorm(8)

    def forward(self, x):
        y, _ = self.attn(x, x, x)
        return self.norm(x + y)


class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        if x.sum() > 0:
            return self.fc(x)
        return x


class Odd(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.norm = nn.RMSNorm(4)

    def forward(self, x):
        y = self.fc(x)
        return self.norm(y) * 2


class Two(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc = nn.Linear(4, width)

    def forward(self, a, b):
        return torch.cat([self.fc(a), F.gelu(b)], dim=1)


class Forgetful(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        x = self.fc(x)
'''


@pytest.fixture
def models(tmp_path):
    path = tmp_path / "models.py"
    path.write_text(MODELS)
    return path


def _outputs(module, xs):
    with torch.no_grad():
        out = module.eval()(*xs)
    return list(out) if isinstance(out, tuple) else [out]


def _same_outputs(a, b, xs):
    for x, y in zip(_outputs(a, xs), _outputs(b, xs)):
        assert x.shape == y.shape
        torch.testing.assert_close(x, y, rtol=1e-4, atol=1e-5)


def _trained_weights(models, name, tmp_path, **args):
    """The class with random (not default) weights and statistics, saved as a state dict."""
    torch.manual_seed(1)
    model = load_class(models, name)(**args)
    with torch.no_grad():
        for key, value in model.state_dict().items():
            if value.is_floating_point():
                value.copy_(torch.randn_like(value) * 0.3)
            if key.endswith("running_var"):
                value.abs_().add_(0.5)
    path = tmp_path / f"{name}.pt"
    torch.save(model.state_dict(), path)
    return model, path


@pytest.mark.parametrize("name, shape, types", [
    ("LeNet", [1, 28, 28], {"Conv2d": 2, "MaxPool2d": 2, "Flatten": 1, "Linear": 3, "ReLU": 4, "Dropout": 1}),
    ("ResNet", [1, 8, 8], {"Conv2d": 5, "BatchNorm2d": 5, "Add": 2, "GlobalAvgPool": 1}),
    ("LSTMClassifier", [8, 8], {"Recurrent": 1, "Linear": 1}),
    ("GRUTagger", [6], {"Embedding": 1, "Recurrent": 1, "LogSoftmax": 1}),
    ("Encoder", [8, 8], {"PositionalEncoding": 1, "TransformerEncoderLayer": 2, "Permute": 1, "GlobalAvgPool": 1}),
    ("AttentionBlock", [5, 8], {"MultiheadSelfAttention": 1, "Add": 1, "LayerNorm": 1}),
])
def test_hand_written_models_import_clean_with_the_same_outputs(models, tmp_path, name, shape, types):
    model, weights = _trained_weights(models, name, tmp_path)
    result = import_model(models, name, {}, [shape], weights)
    graph = result.graph
    analysis = Analysis(graph)
    assert [p for p in analysis.problems() if p.severity == "error"] == []
    analysis.close()
    found = _layer_counts(graph)
    assert {t: found.get(t, 0) for t in types} == types
    built = netbuilder.build_model(graph)
    built.load_state_dict(result.state)
    torch.manual_seed(2)
    _same_outputs(model, built, netbuilder.example_inputs(graph, batch_size=4))


def _layer_counts(graph, times=1, found=None):
    """How many layers of each type the network computes with (a block's once per use)."""
    found = {} if found is None else found
    for node in graph.nodes():
        if node.type == "Block":
            _layer_counts(graph.blocks[node.params["block"]], times * node.params["repeat"], found)
        else:
            found[node.type] = found.get(node.type, 0) + times
    return found


def test_recurrent_and_encoder_parameters_come_along(models):
    lstm = import_model(models, "LSTMClassifier", {"hidden": 12}, [[5, 8]]).graph.by_name("lstm")
    assert lstm.type == "Recurrent" and lstm.params["cell"] == "LSTM" and lstm.params["hidden_size"] == 12
    assert lstm.params["num_layers"] == 2 and lstm.params["returns"] == "last"
    gru = import_model(models, "GRUTagger", None, [[6]]).graph
    assert gru.by_name("tokens").params["dtype"] == "int" and gru.by_name("tokens").params["vocab_size"] == 30
    assert gru.by_name("gru").params["cell"] == "GRU"
    encoder = import_model(models, "Encoder", None, [[8, 8]]).graph
    first = encoder.by_name("encoder1")
    assert (first.params["nhead"], first.params["dim_feedforward"], first.params["dropout"]) == (4, 32, 0.1)
    residual = import_model(models, "ResNet", None, [[1, 8, 8]]).graph
    assert [(n.name, n.params) for n in residual.nodes() if n.type == "Block"] == [
        ("block1", {"block": "Block1", "repeat": 1}), ("block2", {"block": "Block1", "repeat": 1})]  # class Block
    block = residual.blocks["Block1"]  # ("Block" itself is reserved)
    add = block.by_name("add1")
    wires = sorted((block.node(e.src).name, e.dst_port) for e in block.in_edges(add.id))
    assert wires == [("bn2", "in0"), ("x", "in1")]  # out + x, the skip from the block's input
    assert block.by_name("conv2").params["padding"] == 1  # padding="same"


def _graph_rows(graph):
    """Nodes by name (Outputs by order: exported code does not keep their names) and the wires by names."""
    names, outputs = {}, [n for n in graph.nodes() if n.type == "Output"]
    for node in graph.nodes():
        names[node.id] = f"output#{outputs.index(node)}" if node.type == "Output" else node.name
    nodes = {names[n.id]: (n.type, n.params) for n in graph.nodes()}
    edges = sorted((names[e.src], e.src_port, names[e.dst], e.dst_port) for e in graph.edges())
    return nodes, edges


def _two_inputs_two_outputs():
    b = GraphBuilder()
    t = b.add("Input", name="tokens", shape=[6], dtype="int", vocab_size=20)
    e = b.add("PositionalEncoding", b.add("Embedding", t, num_embeddings=20, embedding_dim=8, name="embed"))
    e = b.add("MultiheadSelfAttention", e, num_heads=2, causal=True, name="attend")
    s = b.add("Recurrent", e, cell="RNN", hidden_size=4, returns="last", bidirectional=True, nonlinearity="relu")
    f = b.add("Input", name="features", shape=[3])
    j = b.add("Concatenate", s, b.add("Linear", f, out_features=2, trainable=False), b.add("Linear", f, out_features=3))
    b.add("Output", j, name="joint")
    b.add("Output", b.add("Softmax", b.add("Linear", j, out_features=3, init="xavier")), name="probs")
    return b.graph


@pytest.mark.parametrize("source", TEMPLATES + ["two inputs, two outputs"], ids=lambda p: getattr(p, "stem", p))
def test_exported_source_comes_back_the_same(source, tmp_path):
    graph = _two_inputs_two_outputs() if isinstance(source, str) else load(source, check_node)
    torch.manual_seed(3)
    model = netbuilder.build_model(graph).eval()
    weights = tmp_path / "weights.pt"
    torch.save(model.state_dict(), weights)
    code = tmp_path / "exported.py"
    code.write_text(netbuilder.export_source(graph))
    shapes = [n.params["shape"] for n in graph.nodes() if n.type == "Input"]
    result = import_model(code, _class_name(graph, None), None, shapes, weights)
    assert _graph_rows(result.graph) == _graph_rows(graph)
    for name, block in graph.blocks.items():  # a block's class comes back as a block, its uses stacked again
        assert _graph_rows(result.graph.blocks[name]) == _graph_rows(block)
    built = netbuilder.build_model(result.graph)
    built.load_state_dict(result.state)
    torch.manual_seed(4)
    _same_outputs(model, built, netbuilder.example_inputs(graph, batch_size=3))


def test_cli_writes_the_document_and_its_weights_as_a_run(models, tmp_path, capsys):
    model, weights = _trained_weights(models, "LeNet", tmp_path)
    out = tmp_path / "lenet.json"
    assert main(["import", str(models), "--class", "LeNet", "--args", '{"classes": 10}', "--input-shape",
                 "1x28x28", "--weights", str(weights), "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert f"wrote {out}: 13 layers from models.py, class LeNet" in text and "run 'imported weights'" in text
    graph = netbuilder.load_graph(out)
    checkpoint = weights_of(str(out), "imported weights", None)
    assert checkpoint.name == "best.pt" and not (checkpoint.parent / "last.pt").exists()
    x = torch.rand(2, 1, 28, 28)
    _same_outputs(model, trained_model(graph, checkpoint), [x])
    assert main(["runs", str(out)]) == 0
    assert "imported weights  finished" in capsys.readouterr().out


def _fails(capsys, tmp_path, *args):
    out = tmp_path / "never.json"
    assert main(["import", *map(str, args), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert not out.exists() and "Traceback" not in err
    assert err.startswith("error: ") and "internal error" not in err
    return err


def test_bad_input_is_named_and_nothing_is_written(models, tmp_path, capsys):
    err = _fails(capsys, tmp_path, models, "--class", "Missing", "--input-shape", "4")
    assert "models.py defines no class 'Missing' (its nn.Module classes: LeNet, Block, ResNet" in err
    err = _fails(capsys, tmp_path, models, "--class", "Branchy", "--input-shape", "4")
    line = MODELS.splitlines().index("        if x.sum() > 0:") + 1
    assert f"models.py: line {line}: Branchy.forward decides what to do from the values in a tensor" in err
    err = _fails(capsys, tmp_path, models, "--class", "Two", "--args", '{"width": 3}')
    assert "forward takes 2 input(s) (a, b) and no shape was given" in err
    err = _fails(capsys, tmp_path, models, "--class", "Two", "--args", '{"width": 3}', "--input-shape", "4")
    assert "1 shape(s) were given" in err
    err = _fails(capsys, tmp_path, models, "--class", "Two", "--input-shape", "4", "--input-shape", "4")
    assert "Two(no arguments) raises TypeError" in err
    err = _fails(capsys, tmp_path, models, "--class", "Two", "--args", "{width: 3}", "--input-shape", "4")
    assert "--args is not JSON" in err
    err = _fails(capsys, tmp_path, models, "--class", "LeNet", "--input-shape", "1x27x27")
    assert "LeNet does not run on inputs of shape [1, 27, 27]" in err and "check --input-shape" in err
    err = _fails(capsys, tmp_path, models, "--class", "Forgetful", "--input-shape", "4")
    assert "Forgetful.forward returns nothing (None): end it with `return` and its result" in err
    err = _fails(capsys, tmp_path, models, "--class", "LeNet", "--input-shape", "1xtwox28")
    assert "input shape '1xtwox28' is not" in err


def test_what_the_catalog_lacks_comes_in_as_code_and_shared_weights_are_refused(models, tmp_path, capsys):
    result = import_model(models, "Odd", None, [[4]])  # nn.RMSNorm has no layer: code; * 2 is a Scale
    at = MODELS.splitlines().index("        return self.norm(y) * 2") + 1
    norm = result.graph.by_name("norm")
    assert norm.type == "Code" and "self.m = nn.RMSNorm(normalized_shape=[4]" in norm.params["code"]
    assert norm.params["note"].startswith(f"imported as code: line {at}: self.norm: nn.RMSNorm")
    assert [n.type for n in result.graph.nodes()] == ["Input", "Linear", "Code", "Scale", "Output"]
    assert "(1 Code layer (norm): what the catalog has no layer for" in result.graph.meta["description"]
    shared = tmp_path / "shared.py"
    shared.write_text("from torch import nn\n\n\nclass Shared(nn.Module):\n    def __init__(self):\n"
                      "        super().__init__()\n        self.fc = nn.Linear(4, 4)\n\n"
                      "    def forward(self, x):\n        return self.fc(self.fc(x))\n")
    err = _fails(capsys, tmp_path, shared, "--class", "Shared", "--input-shape", "4")
    assert "line 10: self.fc is called more than once: its weights would be shared" in err
    assert "give each call a module of its own" in err


def test_weights_that_do_not_fit_and_files_that_do_not_load(models, tmp_path, capsys):
    wrong = tmp_path / "wrong.pt"
    torch.save({"fc1.weight": torch.zeros(3)}, wrong)
    err = _fails(capsys, tmp_path, models, "--class", "LeNet", "--input-shape", "1x28x28", "--weights", wrong)
    assert "wrong.pt does not fit LeNet: fc1.weight is [3] there and [120, 400] here; conv1.weight is missing" in err
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    err = _fails(capsys, tmp_path, models, "--class", "LeNet", "--input-shape", "1x28x28", "--weights", junk)
    assert "junk.pt: not a readable state dict" in err
    raising = tmp_path / "raising.py"
    raising.write_text("import torch\n\nraise RuntimeError('needs a GPU')\n")
    err = _fails(capsys, tmp_path, raising, "--class", "Net", "--input-shape", "4")
    assert "raising.py: line 3: raises RuntimeError: needs a GPU when it is loaded" in err
    broken = tmp_path / "broken.py"
    broken.write_text("def f(:\n    pass\n")
    assert "broken.py: line 1: a syntax error" in _fails(capsys, tmp_path, broken, "--class", "Net", "--input-shape", "4")
    assert "no such file" in _fails(capsys, tmp_path, tmp_path / "absent.py", "--class", "Net", "--input-shape", "4")
    plain = tmp_path / "plain.py"
    plain.write_text("x = 1\n")
    assert "plain.py defines no nn.Module class" in _fails(capsys, tmp_path, plain, "--class", "Net",
                                                           "--input-shape", "4")


def test_shapes_are_read_as_written():
    assert parse_shape("1x28x28") == [1, 28, 28] and parse_shape("[8, 8]") == [8, 8] and parse_shape("10") == [10]
    assert parse_shape("(4,)") == [4] and parse_shape("1X28 x 28") == [1, 28, 28] and parse_shape("2 5") == [2, 5]
    for bad in ("", "0x3", "-1", "1x2x3x4x5x6x7x8x9", "4x", "x4", "4,,28", "1x28x", "(1,28"):
        with pytest.raises(ModelImportError, match=re.escape(f"input shape '{bad}'")):
            parse_shape(bad)


BIDIRECTIONAL = '''
import torch
from torch import nn


class BiGRU(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(4, 6, num_layers=2, bidirectional=True, batch_first=True)
        self.head = nn.Sequential(nn.Linear(12, 8), nn.Tanh(), nn.Linear(8, 2))

    def forward(self, x):
        _, h = self.gru(x)
        return self.head(torch.cat((h[-2], h[-1]), dim=1))
'''


def test_both_directions_last_states_and_unnamed_layers(tmp_path):
    path = tmp_path / "bigru.py"
    path.write_text(BIDIRECTIONAL)
    result = import_model(path, "BiGRU", None, [[7, 4]])
    graph = result.graph
    gru = graph.by_name("gru")
    assert (gru.params["bidirectional"], gru.params["returns"], gru.params["num_layers"]) == (True, "last", 2)
    assert [n.name for n in graph.nodes()] == ["x", "gru", "head_0", "head_1", "head_2", "output"]
    assert result.difference < 1e-5


STAGES = '''
import torch
from torch import nn


class Unit(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc = nn.Linear(width, width)
        self.act = nn.GELU()

    def forward(self, x):
        return self.act(self.fc(x)) + x


class Both(nn.Module):
    """Used twice, but two results leave it: it stays as its layers."""
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(6, 6)

    def forward(self, x):
        return self.a(x), torch.relu(x)


class Stages(nn.Module):
    def __init__(self):
        super().__init__()
        self.widen = nn.Linear(4, 6)
        self.first = Unit(6)
        self.body = nn.Sequential(Unit(6), Unit(6), Unit(6))
        self.side = Unit(6)
        self.p = Both()
        self.q = Both()

    def forward(self, x):
        h = self.side(self.body(self.first(self.widen(x))))
        a, b = self.p(h)
        c, d = self.q(a + b)
        return c + d
'''


def test_a_class_used_several_times_comes_in_as_a_block(tmp_path):
    path = tmp_path / "stages.py"
    path.write_text(STAGES)
    torch.manual_seed(0)
    result = import_model(path, "Stages", None, [[4]])
    graph = result.graph
    assert sorted(graph.blocks) == ["Unit"]
    uses = {n.name: n.params for n in graph.nodes() if n.type == "Block"}
    assert uses == {"first": {"block": "Unit", "repeat": 1}, "body": {"block": "Unit", "repeat": 3},
                    "side": {"block": "Unit", "repeat": 1}}  # the Sequential's three: one use stacked 3 times
    assert {"p_a", "q_a"} <= {n.name for n in graph.nodes()}  # Both gives two results: left as its layers
    namespace = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    torch.manual_seed(5)
    model = namespace["Stages"]().eval()
    torch.save(model.state_dict(), tmp_path / "w.pt")
    result = import_model(path, "Stages", None, [[4]], tmp_path / "w.pt")
    built = netbuilder.build_model(result.graph)
    built.load_state_dict(result.state)
    _same_outputs(model, built, [torch.randn(3, 4)])
    assert result.difference < 1e-5


def test_a_block_used_once_or_in_two_sizings_comes_back_from_its_export(tmp_path):
    resnet = load(TEMPLATES[0].parent / "resnet_digits.json", check_node)
    resnet.apply(SetParam(resnet, resnet.by_name("blocks").id, "repeat", 1))  # its class is used once
    inner = GraphBuilder()
    inner.add("Output", inner.add("ReLU", inner.add("Linear", inner.add("Input", name="x", shape=[4]), name="fc",
                                                    out_features=8), name="act"), name="out")
    b = GraphBuilder()
    b.define("Dense", inner)
    h = b.add("Block", b.add("Input", name="features", shape=[4]), block="Dense", name="first")
    b.add("Output", b.add("Block", h, block="Dense", name="second"), name="y")  # 4 -> 8, then 8 -> 8
    for graph, shape in ((resnet, [1, 8, 8]), (b.graph, [4])):
        code = tmp_path / "exported.py"
        code.write_text(netbuilder.export_source(graph))
        assert graph is resnet or "class Dense2(nn.Module)" in code.read_text()  # a class per sizing
        result = import_model(code, _class_name(graph, None), None, [shape])
        assert _graph_rows(result.graph) == _graph_rows(graph)
        for name, block in graph.blocks.items():
            assert _graph_rows(result.graph.blocks[name]) == _graph_rows(block)
