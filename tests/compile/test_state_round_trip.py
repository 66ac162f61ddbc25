"""A Recurrent layer with its state (state=True: inputs and outputs h, and c for an LSTM, each
[N, layers x directions, hidden]) exports to PyTorch source and ONNX, and the exported source imports back
(`netbuilder import`) to the same document, which gives the same outputs with the same weights."""
import numpy as np
import pytest
import torch

import netbuilder
from netbuilder import GraphBuilder
from netbuilder.cli import main
from netbuilder.compile.build import _class_name
from netbuilder.deploy.formats import export_network, onnx_session
from netbuilder.deploy.predict import trained_model, weights_of


def _language_model(cell: str, bidirectional: bool, returns: str):
    """Tokens -> Embedding -> Recurrent with its state -> Linear; the state given and returned."""
    b = GraphBuilder()
    tokens = b.add("Input", name="tokens", shape=[6], dtype="int", vocab_size=20)
    layers = 2 * (2 if bidirectional else 1)
    ins = [b.add("Embedding", tokens, num_embeddings=20, embedding_dim=8, name="embed"),
           b.add("Input", name="h", shape=[layers, 10])]
    if cell == "LSTM":
        ins.append(b.add("Input", name="c", shape=[layers, 10]))
    rnn = b.add("Recurrent", *ins, cell=cell, hidden_size=10, num_layers=2, bidirectional=bidirectional, state=True,
                returns=returns, name="rnn")
    b.add("Output", b.add("Linear", rnn, out_features=20, name="decoder"), name="logits")
    b.add("Output", (rnn, "h"), name="h_next")
    if cell == "LSTM":
        b.add("Output", (rnn, "c"), name="c_next")
    return b.graph


def _rows(graph):
    """Nodes by name (Outputs by order: exported code does not keep their names) and the wires by names."""
    outputs = [n for n in graph.nodes() if n.type == "Output"]
    names = {n.id: f"output#{outputs.index(n)}" if n.type == "Output" else n.name for n in graph.nodes()}
    nodes = {names[n.id]: (n.type, n.params) for n in graph.nodes()}
    return nodes, sorted((names[e.src], e.src_port, names[e.dst], e.dst_port) for e in graph.edges())


def _outputs(module, xs):
    with torch.no_grad():
        out = module.eval()(*xs)
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _same(theirs, ours):
    assert len(theirs) == len(ours)
    for a, b in zip(theirs, ours):
        b = torch.as_tensor(np.asarray(b))
        assert list(a.shape) == list(b.shape)
        torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("cell, bidirectional, returns", [("LSTM", False, "sequence"), ("GRU", True, "last")])
def test_a_recurrent_layer_with_its_state_exports_and_imports_back(cell, bidirectional, returns, tmp_path, capsys):
    graph = _language_model(cell, bidirectional, returns)
    torch.manual_seed(3)
    model = netbuilder.build_model(graph).eval()
    weights = tmp_path / "weights.pt"
    torch.save(model.state_dict(), weights)
    xs = netbuilder.example_inputs(graph, batch_size=3)  # tokens, then the state, batch first
    theirs = _outputs(model, xs)
    assert [list(t.shape) for t in theirs[1:]] == [[3, 4 if bidirectional else 2, 10]] * (2 if cell == "LSTM" else 1)

    onnx = tmp_path / "model.onnx"
    export_network(graph, None, "onnx", onnx, weights=str(weights))
    session = onnx_session(onnx)
    assert [i.name for i in session.get_inputs()] == [n.name for n in graph.nodes() if n.type == "Input"]
    _same(theirs, session.run(None, {i.name: x.numpy() for i, x in zip(session.get_inputs(), xs)}))

    code = tmp_path / "exported.py"
    code.write_text(netbuilder.export_source(graph))
    shapes = [["--input-shape", "x".join(map(str, n.params["shape"]))] for n in graph.nodes() if n.type == "Input"]
    out = tmp_path / "back.json"
    assert main(["import", str(code), "--class", _class_name(graph, None), *sum(shapes, []), "--weights",
                 str(weights), "-o", str(out)]) == 0
    assert "outputs match the model's" in capsys.readouterr().out
    back = netbuilder.load_graph(out)
    assert _rows(back) == _rows(graph)  # the same layers, parameters (state=True) and wires (h and c ports)
    assert "Code" not in {n.type for n in back.nodes()}
    _same(theirs, _outputs(trained_model(back, weights_of(str(out), "imported weights", None)), xs))
