"""The Code layer: the user's own nn.Module body gets a shape, trains, exports verbatim, names the line of its
errors, and runs only once its code is trusted."""
import json
import re
import sys

import pytest
import torch

import netbuilder
from netbuilder import GraphBuilder, GraphError
from netbuilder.analysis import Analysis
from netbuilder.cli import main
from netbuilder.compile import param_count
from netbuilder.data import digits
from netbuilder.graph import io, trust
from netbuilder.graph.edits import SetParam
from netbuilder.layers import CATALOG, check_node
from netbuilder.layers import code as code_layer
from netbuilder.layers.spec import MAX_CODE
from netbuilder.train import TrainConfig, Trainer

SWISH = '''\
def __init__(self, beta=1.0):
    super().__init__()
    self.beta = nn.Parameter(torch.tensor(float(beta)))

def forward(self, x):
    return x * torch.sigmoid(self.beta * x)
'''
# changes the shape; its __init__ gets the input's size; forward has control flow a tracer could not follow
PROJECT = '''\
def __init__(self, in_features, out=3):
    super().__init__()
    self.w = nn.Parameter(torch.randn(in_features, out) * 0.1)
    self.b = nn.Parameter(torch.zeros(out))

def forward(self, x):
    y = x @ self.w + self.b
    if x.shape[0] > 1:
        y = F.relu(y)
    return y
'''
NAME_ERROR = '''\
def __init__(self):
    super().__init__()

def forward(self, x):
    return x * scale
'''
SIDE_EFFECT = '''\
def __init__(self, log):
    super().__init__()
    self.log = log

def forward(self, x):
    with open(self.log, "a") as f:
        f.write("ran\\n")
    return x
'''


pytestmark = pytest.mark.usefixtures("fresh_code_session")  # (conftest.py)


def chain(code, args=None, shape=(8,), trusted=True):
    if trusted:
        trust.trust([code], remember=False)
    b = GraphBuilder()
    x = b.add("Input", name="x", shape=list(shape))
    h = b.add("Linear", x, name="fc", out_features=shape[-1])
    c = b.add("Code", h, name="my_layer", code=code, args=args or {})
    b.add("Output", c, name="y")
    return b.graph, c


def messages(analysis, node=None):
    return [p.message for p in analysis.problems() if node is None or p.node == node]


def test_the_output_shape_comes_from_running_the_code():
    graph, node = chain(SWISH)
    assert Analysis(graph).output(node).shape == (8,)
    graph, node = chain(PROJECT, {"out": 5})
    analysis = Analysis(graph)
    assert analysis.problems() == []
    assert analysis.output(node).shape == (5,)
    assert param_count("Code", graph.node(node).params, [analysis.output(graph.node_ids()[1])]) == (8 * 5 + 5,) * 2


def test_the_default_code_runs_without_asking():
    b = GraphBuilder()
    c = b.add("Code", b.add("Input", shape=[3, 4]))
    b.add("Output", c)
    assert Analysis(b.graph).output(c).shape == (3, 4)
    assert CATALOG["Code"].category in netbuilder.layers.CATEGORIES


@pytest.mark.parametrize("code, expected", [
    ("def forward(self, x):\n    return x +\n", "line 2: SyntaxError: invalid syntax"),
    (NAME_ERROR, "line 5: NameError: name 'scale' is not defined"),
    ("def __init__(self):\n    self.w = nn.Parameter(torch.ones(1))\n\ndef forward(self, x):\n    return x\n",
     "line 2: AttributeError: cannot assign parameters before Module.__init__() call"),
    ("w = undefined\n\ndef forward(self, x):\n    return x\n", "line 1: NameError: name 'undefined' is not defined"),
    ("def __init__(self):\n    super().__init__()\n", "the code defines no forward(self, x)"),
    ("def forward(self, x):\n    return (x, x)[:1]\n", "forward must return one tensor, not tuple"),
    ("def forward(self, x):\n    return x.sum()\n", "forward must keep the batch as the first dimension"),
])
def test_errors_are_problems_on_the_node_that_name_the_line(code, expected):
    graph, node = chain(code)
    analysis = Analysis(graph)
    assert analysis.output(node) is None
    found = messages(analysis, node)
    assert len(found) == 1 and found[0].startswith(expected), found
    with pytest.raises(GraphError, match="my_layer"):
        netbuilder.build_model(graph)


def test_an_endless_loop_is_stopped_and_named(monkeypatch):
    monkeypatch.setattr(code_layer, "TIME_LIMIT_S", 0.3)
    graph, node = chain("def forward(self, x):\n    n = 0\n    while True:\n        n += 1\n    return x\n")
    before = sys.gettrace()
    found = messages(Analysis(graph), node)
    assert len(found) == 1 and re.match(r"line [34]: TimeoutError: still running after 0.3 s", found[0]), found
    assert sys.gettrace() is before  # the time limit's tracer is gone again
    graph, node = chain("def forward(self, x):\n    while True: pass\n")  # one line, never left
    assert messages(Analysis(graph), node) == ["line 2: TimeoutError: still running after 0.3 s on an example batch"
                                               " (an endless loop?)"]


def test_code_that_meta_tensors_cannot_run_is_run_on_the_cpu():
    data_dependent = "def forward(self, x):\n    if x.sum() > 1e9:\n        return x\n    return x[:, :2]\n"
    graph, node = chain(data_dependent)
    assert Analysis(graph).output(node).shape == (2,)


def test_the_code_runs_again_only_when_its_code_args_or_input_change(tmp_path):
    log = tmp_path / "log.txt"
    graph, node = chain(SIDE_EFFECT, {"log": str(log)})
    analysis = Analysis(graph)
    runs = log.read_text().count("ran")
    assert analysis.output(node).shape == (8,) and runs >= 1
    fc = graph.node_ids()[1]
    for value in (16, 8, 16, 8):  # the Code layer's input changes each time: new, cached, cached, cached
        graph.apply(SetParam(graph, fc, "out_features", value))
    assert log.read_text().count("ran") <= 2 * runs
    graph.apply(SetParam(graph, fc, "bias", False))  # nothing the Code layer sees changes
    graph.apply(SetParam(graph, node, "args", {"log": str(log)}))
    assert log.read_text().count("ran") <= 2 * runs
    assert analysis.output(node).shape == (8,)


def test_a_code_layer_trains():
    torch.manual_seed(0)
    b = GraphBuilder()
    h = b.add("Flatten", b.add("Input", name="image", shape=[1, 8, 8]))
    trust.trust([SWISH, PROJECT], remember=False)
    h = b.add("Code", b.add("Linear", h, name="fc1", out_features=32), name="swish", code=SWISH)
    b.add("Output", b.add("Code", h, name="classes", code=PROJECT, args={"out": 10}))
    model = netbuilder.build_model(b.graph)
    assert type(model.swish).__name__ == "Swish" and type(model.classes).__name__ == "Classes"
    beta = model.swish.beta.item()
    config = TrainConfig(epochs=3, batch_size=32, lr=3e-3, seed=0)
    result = Trainer(b.graph, config, *digits(seed=0)).run()
    assert result.status == "finished"
    losses = [e.train_loss for e in result.epochs]
    assert losses[-1] < losses[0] * 0.8, losses
    assert result.epochs[-1].val_acc > 0.5
    trained = netbuilder.build_model(b.graph)
    assert beta == trained.swish.beta.item()  # a fresh build starts again from beta = 1


def test_export_writes_the_code_as_written_and_gives_the_same_outputs():
    torch.manual_seed(0)
    trust.trust([SWISH, PROJECT], remember=False)
    b = GraphBuilder()
    h = b.add("Code", b.add("Input", name="x", shape=[8]), name="my_layer", code=PROJECT, args={"out": 4})
    h = b.add("Code", h, name="act", code=SWISH, args={"beta": 0.5})
    b.add("Output", b.add("Code", h, name="act2", code=SWISH), name="y")
    graph = b.graph
    model = netbuilder.build_model(graph).eval()
    source = netbuilder.export_source(graph)
    assert code_layer.source(PROJECT, "MyLayer") in source  # the class body as the user wrote it
    assert source.count("class Act(nn.Module)") == 1  # one class for the two layers with the same code
    assert "self.act = Act(beta=0.5)" in source and "self.act2 = Act()" in source
    assert "self.my_layer = MyLayer(out=4, in_features=8)" in source
    namespace: dict = {}
    exec(compile(source, "exported.py", "exec"), namespace)
    exported = namespace["Net"]().eval()
    exported.load_state_dict(model.state_dict())
    x = torch.randn(5, 8)
    with torch.no_grad():
        assert torch.equal(model(x), exported(x))


def test_bad_parameters_are_refused_when_a_file_is_read():
    with pytest.raises(io.FileFormatError, match="'code' must be Python source text"):
        check_node("Code", {"code": "x" * (MAX_CODE + 1)})
    with pytest.raises(io.FileFormatError, match="'code' must be Python source text"):
        check_node("Code", {"code": 3})
    with pytest.raises(io.FileFormatError, match="'args' must be keyword arguments"):
        check_node("Code", {"args": {"not a name": 1}})
    with pytest.raises(io.FileFormatError, match="'args' must be keyword arguments"):
        check_node("Code", {"args": [1, 2]})
    assert check_node("Code", {"args": {"sizes": [1, 2], "mode": "a", "on": True, "none": None}})["args"]["on"]


def saved(tmp_path, code, args):
    b = GraphBuilder()
    c = b.add("Code", b.add("Input", name="x", shape=[4]), name="sneaky", code=code, args=args)
    b.add("Output", c)
    path = tmp_path / "received.json"
    io.save(b.graph, path)
    return path, c


def test_code_from_a_document_is_not_run_until_trusted(tmp_path, capsys):
    marker = tmp_path / "marker.txt"
    code = f"with open({str(marker)!r}, 'w') as f:\n    f.write('ran')\n\ndef forward(self, x):\n    return x\n"
    path, node = saved(tmp_path, code, {})
    graph = io.load(path, check_node)
    analysis = Analysis(graph)
    assert messages(analysis, node) == [code_layer.NOT_TRUSTED]
    assert analysis.output(node) is None
    with pytest.raises(GraphError, match="not been trusted"):
        netbuilder.build_model(graph)
    with pytest.raises(GraphError, match="not been trusted"):
        netbuilder.export_source(graph)
    with pytest.raises(code_layer.CodeNotTrusted):
        CATALOG["Code"].module(graph.node(node).params, [analysis.inputs(node)])
    for command in (["check", str(path)], ["train", str(path), "--epochs", "1", "--out", str(tmp_path / "run")],
                    ["export", str(path), "-o", str(tmp_path / "net.py")]):
        assert main(command) == 1
        err = capsys.readouterr().err
        assert "sneaky" in err and "--trust-code" in err and "Traceback" not in err, err
    assert not marker.exists()
    assert code_layer.untrusted_layers(graph) == [("sneaky", code)]

    assert main(["check", str(path), "--trust-code"]) == 0
    assert marker.read_text() == "ran"
    marker.unlink()
    trust.forget_session()  # --trust-code holds for that command's process only: nothing was remembered
    assert code_layer.untrusted_layers(graph) == [("sneaky", code)]


def test_trusted_code_is_remembered_in_the_config_folder(tmp_path, config_dir):
    path, node = saved(tmp_path, SWISH, {"beta": 2.0})
    graph = io.load(path, check_node)
    assert trust.code_layers(graph) == [("sneaky", SWISH)]
    trust.trust([code for _, code in trust.code_layers(graph)])
    stored = json.loads((config_dir / trust.STORE_NAME).read_text())
    assert stored["sha256"] == [trust.code_hash(SWISH)]
    trust.forget_session()  # a later session
    assert Analysis(graph).output(node).shape == (4,)
    assert code_layer.untrusted_layers(graph) == []
    (config_dir / trust.STORE_NAME).write_text("{broken")  # an unreadable store trusts nothing, and says why in the log
    trust.forget_session()
    assert code_layer.untrusted_layers(graph) == [("sneaky", SWISH)]


def test_a_code_layer_takes_and_gives_as_many_tensors_as_its_forward_names():
    code = ("def forward(self, mu, logvar):\n    std = torch.exp(0.5 * logvar)\n    return mu + std, std\n")
    b = GraphBuilder()
    mu, logvar = b.add("Input", shape=[4], name="mu"), b.add("Input", shape=[4], name="logvar")
    trust.trust([code], remember=False)
    node = b.add("Code", mu, logvar, code=code, name="sample", note="imported: exp has no layer")
    assert [e.dst_port for e in b.graph.in_edges(node)] == ["mu", "logvar"]
    b.add("Output", b.add("Linear", (node, "out0"), out_features=3))
    b.add("Output", (node, "std"))
    analysis = Analysis(b.graph)
    assert analysis.problems() == []
    assert analysis.output(node, "std").shape == (4,)
    model = netbuilder.build_model(b.graph)
    x, y = torch.randn(3, 4), torch.randn(3, 4)
    out, std = model(x, y)
    torch.testing.assert_close(std, torch.exp(0.5 * y))
    assert out.shape == (3, 3)
    assert "std = torch.exp(0.5 * logvar)" in netbuilder.export_source(b.graph)
