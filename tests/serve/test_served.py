"""What the service serves, without a server: a run, a weights file or an ONNX file give the same answers, and
what cannot be served is said."""
from pathlib import Path

import numpy as np
import pytest
import torch

from netbuilder import load_graph
from netbuilder.cli import main
from netbuilder.deploy.formats import export_network
from netbuilder.serve.model import ServeError, served
from netbuilder.serve.service import answers

MLP = Path(__file__).resolve().parents[2] / "templates" / "mlp_digits.json"


def test_a_run_and_its_onnx_file_answer_alike(tmp_path, capsys):
    doc = tmp_path / "mlp.json"
    doc.write_text(MLP.read_text())
    torch.set_num_threads(1)
    assert main(["train", str(doc), "--epochs", "2", "--out", str(tmp_path / "run")]) == 0
    graph = load_graph(doc)
    onnx = export_network(graph, str(doc), "onnx", tmp_path / "mlp.onnx", run=str(tmp_path / "run")).path
    by_run, by_onnx = served(str(doc), graph, run=str(tmp_path / "run")), served(str(doc), graph, onnx=str(onnx))
    assert by_run.classes == [str(i) for i in range(10)] and by_run.reference.shape[1:] == (1, 8, 8)
    assert by_run.describe()["runtime"] == "PyTorch" and by_onnx.describe()["runtime"] == "ONNX Runtime"
    x = by_run.normalise(by_run.reference[:7])
    a, b = by_run.load()(x), by_onnx.load()(x)
    assert np.abs(a - b).max() < 1e-4
    said = answers(a, by_run)
    assert len(said) == 7 and abs(sum(said[0]["probabilities"]) - 1) < 1e-4
    with pytest.raises(ServeError, match="say what to serve"):
        served(str(doc), graph)
    (tmp_path / "bad.onnx").write_bytes(b"not a model")
    with pytest.raises(ServeError, match="ONNX Runtime cannot load it"):
        served(str(doc), graph, onnx=str(tmp_path / "bad.onnx"))
    assert main(["serve", str(doc), "--run", str(tmp_path / "run"), "--host", "example.com"]) == 1
    assert "--host is one of 127.0.0.1, 0.0.0.0, ::" in capsys.readouterr().err
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", str(doc), "--run", str(tmp_path / "run"), "--port", str(port)]) == 1
    assert f"port {port} on 127.0.0.1 cannot be used" in capsys.readouterr().err


def test_a_tied_service_stops_when_its_pipe_closes(tmp_path):
    """The app's Serve This Run: the service reads its stdin and stops its process group at the end of it."""
    import time

    from netbuilder.serve.process import ServiceProcess

    graph_file = tmp_path / "mlp.json"
    graph_file.write_text(MLP.read_text())
    weights = tmp_path / "w.pt"
    from netbuilder import build_model
    torch.save(build_model(load_graph(graph_file)).state_dict(), weights)
    service = ServiceProcess(str(graph_file), ["--weights", str(weights)], log=tmp_path / "log")
    service.start()
    try:
        service.wait_ready(180)
        service.process.stdin.close()  # as when the app ends, however it ends
        deadline = time.monotonic() + 60
        while service.running() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not service.running()
    finally:
        service.stop()


def test_answers_of_a_regression_and_of_a_single_logit():
    from netbuilder.serve.model import Served

    regression = Served(load_graph(MLP), (1, 8, 8), classifies=False)
    assert answers(np.array([[1.5, -2.0]]), regression) == [{"outputs": [1.5, -2.0]}]
    binary = Served(load_graph(MLP), (1, 8, 8), classes=["no", "yes"])
    said = answers(np.array([[0.0], [3.0]]), binary)
    assert [s["class"] for s in said] == ["no", "yes"] and said[0]["probabilities"] == [0.5, 0.5]
