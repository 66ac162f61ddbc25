"""`netbuilder import --factory NAME` (a function of the user's file builds the model, config objects and all)
and `--input NAME:DTYPE:SHAPE` (a dtype and the whole shape of each input); bad values name the option."""
import pytest
import torch

import netbuilder
from netbuilder.cli import main
from netbuilder.compile.importer.inputs import parse_input
from netbuilder.compile.importer.model import ModelImportError, import_model

CODE = '''
from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class Config:
    vocab: int = 30
    width: int = 8
    classes: int = 3


class Tagger(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.embed = nn.Embedding(config.vocab, config.width)
        self.fc = nn.Linear(config.width, config.classes)

    def forward(self, tokens):
        return self.fc(self.embed(tokens))


def small(width=8):
    return Tagger(Config(width=width))


def broken():
    return Tagger(Config(vocab=-1))


def not_a_model():
    return Config()


class SeqFirstLm(nn.Module):  # as pytorch/examples' word language model: sequence-first, given its (h, c)
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(30, 8)
        self.rnn = nn.LSTM(8, 12, 2)
        self.head = nn.Linear(12, 30)

    def forward(self, tokens, hidden):
        out, hidden = self.rnn(self.embed(tokens), hidden)
        return self.head(out), hidden


class TiedLm(SeqFirstLm):  # the embedding and the output layer share one weight (weight tying)
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(8, 8, batch_first=True)
        self.head = nn.Linear(8, 30, bias=False)
        self.head.weight = self.embed.weight

    def forward(self, tokens):
        return self.head(self.rnn(self.embed(tokens))[0])
'''


@pytest.fixture
def code(tmp_path):
    path = tmp_path / "tagger.py"
    path.write_text(CODE)
    return path


def test_a_factory_builds_a_model_from_a_config_object(code, tmp_path, capsys):
    out = tmp_path / "tagger.json"
    assert main(["import", str(code), "--factory", "small", "--args", '{"width": 6}',
                 "--input", "tokens:int64:2,5", "-o", str(out)]) == 0
    assert "from tagger.py, small()" in capsys.readouterr().out
    graph = netbuilder.load_graph(out)
    tokens = graph.by_name("tokens")
    assert tokens.params["dtype"] == "int" and tokens.params["shape"] == [5]
    assert graph.by_name("embed").params["embedding_dim"] == 6 and graph.meta["name"] == "Tagger"


def test_a_factory_model_computes_what_the_factory_gives(code):
    result = import_model(code, factory="small", args={"width": 4}, inputs=[("tokens", torch.int64, [3, 7])])
    built = netbuilder.build_model(result.graph).eval()
    built.load_state_dict(result.state)
    assert result.difference <= 1e-5 and result.source == "tagger.py, small()"
    assert sum(p.numel() for p in built.parameters()) == 30 * 4 + 4 * 3 + 3


@pytest.mark.parametrize("text, expected", [
    ("tokens:int64:35,20", ("tokens", torch.int64, [35, 20])),
    ("state:float32:2,20,200", ("state", torch.float32, [2, 20, 200])),
    ("x:torch.long:4x1x28x28", ("x", torch.int64, [4, 1, 28, 28])),
    (" mask : bool : [2, 3] ", ("mask", torch.bool, [2, 3])),
])
def test_inputs_are_read_with_their_dtype_and_whole_shape(text, expected):
    assert parse_input(text) == expected


def _fails(capsys, tmp_path, *argv):
    out = tmp_path / "out.json"
    assert main(["import", *map(str, argv), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert not out.exists() and "Traceback" not in err and err.startswith("error: ")
    assert "internal error" not in err
    return err


@pytest.mark.parametrize("argv, expected", [
    (["--input-shape", "5"], "give --class NAME (an nn.Module class of the file) or --factory NAME"),
    (["--class", "Tagger", "--factory", "small", "--input-shape", "5"], "one of the two"),
    (["--factory", "missing", "--input-shape", "5"], "defines no function 'missing' (its functions: small,"
                                                      " broken, not_a_model)"),
    (["--factory", "Config", "--input-shape", "5"], "defines no function 'Config'"),
    (["--factory", "not_a_model", "--input-shape", "5"], "not_a_model() returns Config, not an nn.Module"),
    (["--factory", "broken", "--input-shape", "5"], "line 18: broken(no arguments) raises RuntimeError"),
    (["--factory", "small", "--args", '{"depth": 2}', "--input-shape", "5"], "small(depth=2) raises TypeError"),
    (["--factory", "small", "--input", "tokens:int64"], "--input 'tokens:int64' is not NAME:DTYPE:SHAPE"),
    (["--factory", "small", "--input", "tokens:integer:2,5"], "'integer' is not a dtype; use one of"),
    (["--factory", "small", "--input", "tokens:int64:2,five"], "the shape '2,five' is not 1 to 8 positive"),
    (["--factory", "small", "--input", "tokens:int64:0,5"], "the shape '0,5' is not 1 to 8 positive"),
    (["--factory", "small", "--input", "2x:int64:2,5"], "'2x' is not a name of forward's argument"),
    (["--factory", "small", "--input", "tokens:int64:2,5", "--input-shape", "5"], "with --input NAME:DTYPE:SHAPE"
                                                                                  " or with --input-shape SHAPE"),
])
def test_bad_factories_and_inputs_are_named_and_nothing_is_written(code, tmp_path, capsys, argv, expected):
    assert expected in _fails(capsys, tmp_path, code, *argv)


def test_the_python_api_says_the_same(code):
    with pytest.raises(ModelImportError, match=r"name the model's class \(--class\) or a function returning it"):
        import_model(code, input_shapes=[[4]])
    with pytest.raises(ModelImportError, match="'float99' is not a dtype"):
        parse_input("x:float99:4")


def test_a_tuple_state_given_as_one_tensor_is_said_with_the_shapes_as_given(code, tmp_path, capsys):
    err = _fails(capsys, tmp_path, code, "--class", "SeqFirstLm", "--input", "tokens:int64:7,3",
                 "--input", "hidden:float32:2,3,12")
    assert "does not run on inputs tokens [7, 3], hidden [2, 3, 12]" in err
    assert "one --input per tensor under the same name" in err
    out = tmp_path / "lm.json"
    assert main(["import", str(code), "--class", "SeqFirstLm", "--input", "tokens:int64:7,3",
                 "--input", "hidden:float32:2,3,12", "--input", "hidden:float32:2,3,12", "-o", str(out)]) == 0
    assert "outputs match" in capsys.readouterr().out


def test_tied_weights_are_said_untied_in_the_document(code, tmp_path, capsys):
    out = tmp_path / "tied.json"
    assert main(["import", str(code), "--class", "TiedLm", "--input", "tokens:int64:2,6", "-o", str(out)]) == 0
    said = "'embed.weight' and 'head.weight' are one tensor in TiedLm (tied weights); here each layer has its own copy"
    assert f"note: {said}" in capsys.readouterr().out
    assert said in netbuilder.load_graph(out).meta["description"]
