"""Runs of operators the catalog cannot map become Code layers without copying the model's weights: a matrix
product of the model's own weight whose result is split three ways (GPT-2's c_attn, a Conv1D) is held by one
layer, which gives the three parts or the product, and a result a Code layer gives is taken from it, not computed
again. The document then has the model's parameters, each once, and the importer says when it does not."""
import torch
from torch import nn

import netbuilder
from netbuilder.compile.importer.copies import copied, tied
from netbuilder.compile.importer.model import import_model, load_class
from netbuilder.layers.code import code_ports

MODELS = '''
import torch
from torch import nn


class Projections(nn.Module):
    def __init__(self, d=8):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(d, 3 * d) * 0.1)
        self.bias = nn.Parameter(torch.randn(3 * d) * 0.1)

    def forward(self, x):
        size = x.size()[:-1] + (self.weight.size(1),)
        h = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight).view(size)
        q, k, v = h.split(x.size(-1), dim=2)
        return torch.tanh(q) + torch.sigmoid(k) * v


class Attention(nn.Module):
    def __init__(self, d=8):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(d, 3 * d) * 0.1)
        self.bias = nn.Parameter(torch.randn(3 * d) * 0.1)
        self.fc_weight = nn.Parameter(torch.randn(d, 2 * d) * 0.1)
        self.fc_bias = nn.Parameter(torch.randn(2 * d) * 0.1)
        self.out = nn.Linear(2 * d, d)

    def forward(self, x):
        size = x.size()[:-1] + (self.weight.size(1),)
        h = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight).view(size)
        q, k, v = h.split(x.size(-1), dim=2)
        a = torch.softmax(q @ k.transpose(1, 2), -1) @ v
        size = a.size()[:-1] + (self.fc_weight.size(1),)
        f = torch.addmm(self.fc_bias, a.reshape(-1, a.size(-1)), self.fc_weight).view(size)
        g = 0.5 * f * (1.0 + torch.tanh(f + 0.044715 * torch.pow(f, 3.0)))
        return self.out(g)


SCALE = 0.5


class Mix(nn.Module):
    def __init__(self, d=8):
        super().__init__()
        self.norm = nn.LayerNorm(d)
        self.weight = nn.Parameter(torch.randn(d, 2 * d) * 0.1)
        self.bias = nn.Parameter(torch.randn(2 * d) * 0.1)

    def forward(self, x):  # SCALE, a name of its file: its source cannot be a Code layer alone
        size = x.size()[:-1] + (self.weight.size(1),)
        h = self.norm(x)
        h = torch.addmm(self.bias, h.view(-1, h.size(-1)), self.weight).view(size)
        a, b = h.split(x.size(-1), dim=2)
        return x + torch.tanh(a) * torch.sigmoid(b) * SCALE


class Stack(nn.Module):
    def __init__(self, n=3):
        super().__init__()
        self.blocks = nn.ModuleList([Mix() for _ in range(n)])

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return x
'''


def _imported(tmp_path, name):
    path = tmp_path / "models.py"
    path.write_text(MODELS)
    torch.manual_seed(0)
    model = load_class(path, name)().eval()
    torch.save(model.state_dict(), tmp_path / "weights.pt")
    result = import_model(path, name, None, [[5, 8]], tmp_path / "weights.pt")
    built = netbuilder.build_model(result.graph).eval()
    built.load_state_dict(result.state)
    x = torch.randn(3, 5, 8)
    with torch.no_grad():
        torch.testing.assert_close(built(x), model(x), rtol=1e-4, atol=1e-5)
    return model, result, built


def _count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_a_weight_split_three_ways_is_held_by_one_code_layer_giving_the_three_parts(tmp_path):
    model, result, built = _imported(tmp_path, "Projections")
    assert _count(built) == _count(model) == 8 * 24 + 24
    assert result.notes == []
    codes = [n for n in result.graph.nodes() if n.type == "Code"]
    assert len(codes) == 1
    assert len(code_ports(codes[0].params["code"])[1]) == 3
    assert len({(e.src, e.src_port) for e in result.graph.edges() if e.src == codes[0].id}) == 3


def test_results_needing_each_other_take_the_weights_product_from_the_layer_giving_it(tmp_path):
    """q @ k.T needs k transposed by a layer, so q, k and v cannot come from one layer: the layer computing h
    gives it to the three, and gelu's x**3 takes f from the layer giving f."""
    model, result, built = _imported(tmp_path, "Attention")
    assert _count(built) == _count(model)
    assert result.notes == []
    holders = [n.name for n in result.graph.nodes() if n.type == "Code" and "self.weight" in n.params["code"]]
    assert holders == ["h"]
    pow_layer = next(n for n in result.graph.nodes() if n.type == "Code" and "pow" in n.params["code"])
    assert "addmm" not in pow_layer.params["code"]


def test_a_weight_held_by_more_layers_than_in_the_model_is_said_and_a_module_of_two_names_is_not_tied():
    model = nn.Module()
    model.fc, model.emb, model.head = nn.Linear(3, 4), nn.Embedding(5, 4), nn.Linear(4, 5, bias=False)
    model.head.weight = model.emb.weight  # tied: one tensor in two layers
    model.alias = model.fc  # one layer under two names
    theirs = model.state_dict()
    one_each = {"fc.weight": theirs["fc.weight"], "fc.bias": theirs["fc.bias"], "emb.weight": theirs["emb.weight"],
                "head.weight": theirs["head.weight"]}
    assert copied(model, one_each) == []
    assert tied(model, "M") == ["'emb.weight' and 'head.weight' are one tensor in M (tied weights); here each layer"
                                " has its own copy, equal now but trained apart."]
    twice = {**one_each, "code1.w": theirs["fc.weight"]}
    assert copied(model, twice) == ["'fc.weight' of the model is held by 2 layers here (fc, code1): copies, trained"
                                    " apart."]


def test_a_class_used_three_times_whose_run_is_code_is_one_block(tmp_path):
    """The Code layers made in each use of Mix name its weights and the layers they take relative to the use
    (weight, norm, not blocks_1_weight, blocks_1_norm) and read the batch size from what they take, not from the
    model's input: the three uses are one block, stacked three times, each with its own weights."""
    model, result, built = _imported(tmp_path, "Stack")
    assert _count(built) == _count(model)
    assert list(result.graph.blocks) == ["Mix"]
    (use,) = [n for n in result.graph.nodes() if n.type == "Block"]
    assert use.params["repeat"] == 3
    (code,) = [n for n in result.graph.blocks["Mix"].nodes() if n.type == "Code"]
    assert "self.weight" in code.params["code"] and "blocks_" not in code.params["code"]
    assert "def forward(self, norm):" in code.params["code"]
