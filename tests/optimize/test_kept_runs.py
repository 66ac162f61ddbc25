"""Each optimised version is a run of its document: an int8 version is a run whose model is its ONNX file (listed,
evaluated and served from it), and whatever needs PyTorch weights says that it is ONNX only instead of failing;
the pruned network is a run of the pruned document with its weights; optimising again replaces them."""
import numpy as np
import pytest
import torch

from netbuilder import load_graph
from netbuilder.cli import main
from netbuilder.deploy.predict import PredictError, weights_of
from netbuilder.insight.anomaly import AnomalyError, run_weights
from netbuilder.optimize.quantize import OnnxModule
from netbuilder.optimize.report import Plan, optimize_run
from netbuilder.runs.run import Run, document_folder, list_runs
from netbuilder.runs.start_from import start_from_run
from netbuilder.serve.model import served
from netbuilder.train.transfer import TransferError


@pytest.fixture(scope="module")
def optimized(mlp, tmp_path_factory):
    """The MLP in int8 and pruned, its runs in a settings folder of the module's own (not the user's)."""
    doc, run = mlp
    out, config = tmp_path_factory.mktemp("versions"), tmp_path_factory.mktemp("config")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NETBUILDER_CONFIG_DIR", str(config))
        return doc, optimize_run(str(doc), str(run), Plan("dynamic", 0.5, 0, repeats=2), out), config


@pytest.fixture(autouse=True)
def same_config(optimized, monkeypatch):
    monkeypatch.setenv("NETBUILDER_CONFIG_DIR", str(optimized[2]))


def test_each_version_is_a_run_of_its_document(optimized):
    doc, report, _ = optimized
    source = report.trained.run.name
    int8, pruned, both = report.runs
    assert [r.name for r in report.runs] == [f"int8 dynamic of {source}", f"pruned 50% of {source}",
                                             f"pruned 50%, int8 dynamic of {source}"]
    assert int8.folder.parent == document_folder(str(doc), "")  # listed with the original's runs
    assert int8.name in [r.name for r in list_runs(document_folder(str(doc), ""))]
    pruned_document = str(report.folder / "pruned.json")
    assert {r.name for r in list_runs(document_folder(pruned_document, ""))} == {pruned.name, both.name}
    assert int8.onnx_only and both.onnx_only and not pruned.onnx_only
    assert int8.weights() is None and int8.onnx_model().read_bytes() == report.rows[2].variant.file.read_bytes()
    assert pruned.weights().name == "best.pt" and pruned.onnx_model() is None
    assert int8.made_from == {"run": source, "run_id": report.trained.run.id, "version": "int8 dynamic",
                              "runtime": "ONNX Runtime"}
    # its test results are the comparison's, in the run list's words and the Test set tab's file
    row = report.rows[2]
    again = Run.load(int8.folder)
    assert again.onnx_only and again.status == "finished" and again.summary() == f"test acc {row.accuracy:.3f}"
    assert again.read_evaluation().confusion.sum() == row.evaluation.samples
    # the pruned run's weights are the pruned document's network, narrower
    assert pruned.graph().by_name("hidden").params["out_features"] == 32
    assert load_graph(pruned_document).by_name("hidden").params["out_features"] == 32
    state = torch.load(pruned.weights(), weights_only=True)["model"]
    assert state["hidden.weight"].shape == (32, 64)


def test_evaluate_and_serve_take_an_onnx_run(optimized, capsys):
    doc, report, _ = optimized
    int8, row = report.runs[0], report.rows[2]
    capsys.readouterr()
    assert main(["evaluate", str(doc), "--run", int8.name]) == 0
    assert f"accuracy {row.accuracy:.4f}" in capsys.readouterr().out
    found = served(str(doc), load_graph(doc), run=int8.name)
    assert found.onnx == int8.onnx_model() and found.weights is None and found.run == int8.name
    assert found.describe()["runtime"] == "ONNX Runtime"
    x = report.trained.test[0][:16]
    expected = OnnxModule(int8.onnx_model())(x).numpy()
    assert np.allclose(found.load()(x.numpy()), expected)


def test_what_needs_pytorch_weights_says_the_run_is_onnx_only(optimized, capsys, tmp_path):
    doc, report, _ = optimized
    int8 = report.runs[0]
    with pytest.raises(PredictError, match=r"is int8 dynamic, kept as an ONNX model \(model.onnx\) without PyTorch"
                                           r" weights, so the Inside tab cannot use it: serve it"):
        weights_of(str(doc), int8.name, None, "the Inside tab")
    with pytest.raises(TransferError, match="so starting a new network from it cannot use it"):
        start_from_run(int8)
    with pytest.raises(AnomalyError, match="kept as an ONNX model"):
        run_weights(int8)
    capsys.readouterr()
    np.save(tmp_path / "one.npy", np.zeros((1, 1, 8, 8), dtype=np.float32))
    for command in (["export", str(doc), "--run", int8.name, "--format", "onnx", "-o", str(tmp_path / "x.onnx")],
                    ["optimize", str(doc), "--run", int8.name, "--quantize", "dynamic", "--out", str(tmp_path / "o")],
                    ["predict", str(doc), str(tmp_path / "one.npy"), "--run", int8.name]):
        capsys.readouterr()
        assert main(command) == 1
        err = capsys.readouterr().err
        assert "kept as an ONNX model" in err and "Traceback" not in err


def test_optimizing_again_replaces_the_versions_runs(optimized, tmp_path):
    doc, report, _ = optimized
    before = {r.id for r in list_runs(document_folder(str(doc), ""))}
    again = optimize_run(str(doc), str(report.trained.run.folder), Plan("dynamic", repeats=1), tmp_path / "again")
    assert {r.id for r in list_runs(document_folder(str(doc), ""))} == before
    assert again.runs[0].folder == report.runs[0].folder and again.runs[0].onnx_only
