"""The command line: check and export on saved graphs, clear errors on bad ones."""
import subprocess
import sys

from netbuilder import GraphBuilder
from netbuilder.cli import main


def saved(tmp_path, flatten=True):
    b = GraphBuilder()
    x = b.add("Input", shape=[1, 8, 8])
    if flatten:
        x = b.add("Flatten", x)
    b.add("Output", b.add("Linear", x, out_features=10, name="fc"))
    path = tmp_path / "net.json"
    b.graph.save(path)
    return path


def test_check_prints_shapes_and_counts(tmp_path, capsys):
    assert main(["check", str(saved(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "fc" in out and "[N, 10]" in out and "650" in out
    assert "total parameters: 650 (650 trainable)" in out


def test_check_lists_problems_and_exits_1(tmp_path, capsys):
    assert main(["check", str(saved(tmp_path, flatten=False))]) == 1
    err = capsys.readouterr().err
    assert "fc: Linear expects [N, features] but receives [N, 1, 8, 8] (fix: insert Flatten)" in err


def test_check_bad_file(tmp_path, capsys):
    path = tmp_path / "x.json"
    path.write_text("{")
    assert main(["check", str(path)]) == 2
    assert "invalid JSON" in capsys.readouterr().err


def test_export_writes_source(tmp_path):
    out = tmp_path / "net.py"
    assert main(["export", str(saved(tmp_path)), "--format", "py", "-o", str(out)]) == 0
    assert "class Net(nn.Module)" in out.read_text()


def test_entry_point_runs(tmp_path):
    result = subprocess.run([sys.executable, "-m", "netbuilder", "check", str(saved(tmp_path))],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "total parameters" in result.stdout
