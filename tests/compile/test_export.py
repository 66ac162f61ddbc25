"""Compiled modules run, and exported source gives identical outputs with the same weights."""
import pytest
import torch

import netbuilder
from netbuilder import GraphBuilder, GraphError


def residual():
    b = GraphBuilder()
    x = b.add("Input", name="image", shape=[3, 8, 8])
    h = b.add("ReLU", b.add("BatchNorm2d", b.add("Conv2d", x, out_channels=8, padding=1)))
    r = b.add("BatchNorm2d", b.add("Conv2d", h, out_channels=8, padding=1, init="xavier"))
    h = b.add("ReLU", b.add("Add", h, r))
    h = b.add("GlobalAvgPool", h)
    h = b.add("Dropout", h, p=0.2)
    b.add("Output", b.add("Linear", h, out_features=5, trainable=False), name="logits")
    return b.graph


def two_inputs_two_outputs():
    b = GraphBuilder()
    t = b.add("Input", name="tokens", shape=[6], dtype="int", vocab_size=20)
    e = b.add("PositionalEncoding", b.add("Embedding", t, num_embeddings=20, embedding_dim=8))
    e = b.add("TransformerEncoderLayer", e, nhead=2, dim_feedforward=16)
    s = b.add("LSTM", e, hidden_size=4, returns="last", bidirectional=True)
    f = b.add("Input", name="features", shape=[3])
    j = b.add("Concatenate", s, b.add("Linear", f, out_features=2))
    b.add("Output", j, name="joint")
    b.add("Output", b.add("Softmax", b.add("Linear", j, out_features=3)), name="probs")
    return b.graph


def denoiser():
    """A denoising network: the step as sines and cosines, added per channel onto image features."""
    b = GraphBuilder()
    x = b.add("Input", name="noisy", shape=[2, 8, 8])
    t = b.add("Input", name="step", shape=[1], dtype="int", vocab_size=100)
    e = b.add("SiLU", b.add("Linear", b.add("TimestepEmbedding", t, dim=16), out_features=4))
    h = b.add("GroupNorm", b.add("Conv2d", x, out_channels=4, padding=1), num_groups=2)
    h = b.add("Add", h, b.add("Reshape", e, shape=[4, 1, 1]))
    b.add("Output", b.add("Conv2d", h, out_channels=2, kernel_size=1), name="noise")
    return b.graph


@pytest.mark.parametrize("make", [residual, two_inputs_two_outputs, denoiser])
def test_export_gives_identical_outputs(make):
    torch.manual_seed(0)
    graph = make()
    model = netbuilder.build_model(graph).eval()
    source = netbuilder.export_source(graph)
    namespace: dict = {}
    exec(compile(source, "exported.py", "exec"), namespace)
    exported = namespace["Net"]().eval()
    exported.load_state_dict(model.state_dict())
    inputs = netbuilder.example_inputs(graph, batch_size=4)
    with torch.no_grad():
        a, b = model(*inputs), exported(*inputs)
    a = a if isinstance(a, tuple) else (a,)
    b = b if isinstance(b, tuple) else (b,)
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert torch.equal(x, y)


def test_compiled_module_is_generated_code():
    graph = residual()
    model = netbuilder.build_model(graph)
    assert isinstance(model, torch.fx.GraphModule)
    names = {n.name for n in graph.nodes() if n.type not in ("Input", "Output", "Add")}
    assert names <= {name for name, _ in model.named_children()}
    assert "def forward(self, image)" in model.code
    frozen = model.get_submodule("linear1")
    assert not any(p.requires_grad for p in frozen.parameters())
    assert all(p.requires_grad for p in model.get_submodule("conv2d1").parameters())


def test_graph_with_problems_does_not_compile():
    b = GraphBuilder()
    x = b.add("Input", shape=[1, 8, 8])
    b.add("Output", b.add("Linear", x, out_features=3))
    with pytest.raises(GraphError, match=r"linear1: Linear expects \[N, features\].*insert Flatten"):
        netbuilder.build_model(b.graph)


def test_one_network_of_several():
    b = GraphBuilder()
    z = b.add("Input", name="noise", shape=[4])
    b.add("Output", b.add("Tanh", b.add("Linear", z, out_features=6)), name="generator")
    x = b.add("Input", name="sample", shape=[6])
    b.add("Output", b.add("Linear", x, out_features=1), name="discriminator")
    g = netbuilder.build_model(b.graph, network="generator")
    d = netbuilder.build_model(b.graph, network="discriminator")
    fake = g(*netbuilder.example_inputs(b.graph, 3, network="generator"))
    assert d(fake).shape == (3, 1)
    both = netbuilder.build_model(b.graph)
    outs = both(*netbuilder.example_inputs(b.graph, 3))
    assert [o.shape for o in outs] == [(3, 6), (3, 1)]
    with pytest.raises(KeyError, match="no network named 'critic'"):
        netbuilder.build_model(b.graph, network="critic")
