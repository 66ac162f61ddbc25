"""What `netbuilder import` says when the model does not fit what it is told: only its own line (no torch
traceback logged on the terminal), the constructor's call as Python writes it, and how to give a tuple input."""
from netbuilder.cli import main

MODEL = '''import torch
from torch import nn


class Net(nn.Module):
    def __init__(self, width, depth=1):
        super().__init__()
        self.fc = nn.Linear(4, width)

    def forward(self, x):
        return self.fc(x)


class Recurrent(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(3, 5)

    def forward(self, x, hidden):
        out, _ = self.rnn(x, hidden)
        return out
'''


def _fails(capfd, tmp_path, *args) -> str:
    model = tmp_path / "models.py"
    model.write_text(MODEL)
    out = tmp_path / "never.json"
    capfd.readouterr()
    assert main(["import", str(model), *args, "-o", str(out)]) == 1
    captured = capfd.readouterr()
    assert not out.exists() and captured.out == ""
    return captured.err


def test_a_wrong_shape_prints_one_line_and_no_torch_traceback(capfd, tmp_path):
    err = _fails(capfd, tmp_path, "--class", "Net", "--args", "[8]", "--input-shape", "5")
    assert err.startswith("error: models.py") and "Net does not run on inputs of shape [5]" in err
    assert "Traceback" not in err and "fake_tensor" not in err and len(err.strip().splitlines()) == 1


def test_the_constructor_is_shown_called_as_python_writes_it(capfd, tmp_path):
    err = _fails(capfd, tmp_path, "--class", "Net", "--args", '[8, 2, 3]', "--input-shape", "4")
    assert "Net(8, 2, 3) raises TypeError" in err
    err = _fails(capfd, tmp_path, "--class", "Net", "--args", '{"width": 8, "deep": "yes"}', "--input-shape", "4")
    assert 'Net(width=8, deep="yes") raises TypeError' in err


def test_a_tuple_input_is_said_to_take_the_arguments_name_once_per_tensor(capfd, tmp_path):
    err = _fails(capfd, tmp_path, "--class", "Recurrent", "--input", "x:float32:7,2,3",
                 "--input", "h:float32:1,2,5", "--input", "c:float32:1,2,5")
    assert "forward takes 2 input(s) (x, hidden) and 3 were given (x, h, c)" in err
    assert "one --input per tensor under the argument's name (hidden:float32:... once per tensor)" in err
