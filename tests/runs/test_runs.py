"""Runs on disk: a run's folder holds its graph, settings, per-step and per-epoch metrics, checkpoints and
test results; runs list and reload; a run's curves stay a fixed size however long it is."""
import math

import numpy as np
import pytest

from netbuilder import GraphBuilder
from netbuilder.graph.diff import network_differences
from netbuilder.train import Callback, TrainConfig, make_trainer
from netbuilder.runs.recorder import RunRecorder
from netbuilder.runs.history import CAPACITY, History, Series
from netbuilder.runs.run import Run, differing_settings, document_folder, list_runs


def mlp(width=32):
    b = GraphBuilder()
    h = b.add("Flatten", b.add("Input", name="image", shape=[1, 8, 8]))
    h = b.add("ReLU", b.add("Linear", h, name="fc1", out_features=width))
    b.add("Output", b.add("Linear", h, name="classes", out_features=10))
    b.graph.meta["training"] = {"epochs": 2, "batch_size": 64}
    return b.graph


def trained_run(tmp_path, graph, **settings):
    graph.meta["training"] = {**graph.meta["training"], **settings}
    run = Run.create(tmp_path, graph)
    seen = []

    class Steps(Callback):
        def on_step_end(self, trainer, step):
            seen.append(step)

    trainer, _ = make_trainer(graph, TrainConfig.from_dict(graph.meta["training"]), [RunRecorder(run), Steps()],
                              run.folder)
    result = trainer.run()
    return run, result, seen


def test_a_run_folder_holds_everything_and_reads_back(tmp_path):
    run, result, seen = trained_run(tmp_path, mlp())
    assert result.status == "finished"
    names = {p.name for p in run.folder.iterdir()}
    assert {"run.json", "graph.json", "metrics.csv", "steps.f32", "last.pt", "best.pt", "evaluation.json"} <= names
    again = Run.load(run.folder)
    assert (again.id, again.name, again.status, again.epochs_done) == (run.id, "run 1", "finished", 2)
    assert again.settings["epochs"] == 2 and again.best["val_accuracy"] == max(
        e.val_acc for e in result.epochs)
    assert network_differences(again.graph(), mlp()) == []
    steps = again.read_steps()
    assert steps.shape == (len(seen), len(again.step_columns))
    losses = steps[:, again.step_columns.index("loss")]
    assert np.allclose(losses, [s.loss for s in seen], rtol=1e-6)
    history = again.history()
    assert history.steps == len(seen) and history.epochs == 2
    epochs, accuracy = history.column("val_accuracy", by="epoch")
    assert list(epochs) == [1, 2] and list(accuracy) == [pytest.approx(e.val_acc) for e in result.epochs]
    evaluation = again.read_evaluation()
    assert evaluation.accuracy == pytest.approx(result.evaluation.accuracy)
    assert evaluation.confusion.sum() == evaluation.samples


def test_runs_list_oldest_first_and_say_which_settings_differ(tmp_path):
    trained_run(tmp_path, mlp(), lr=0.01)
    trained_run(tmp_path, mlp(), lr=0.001)
    runs = list_runs(tmp_path)
    assert [r.name for r in runs] == ["run 1", "run 2"]
    assert differing_settings(runs) == ["lr"]
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "run.json").write_text("{not json")
    assert len(list_runs(tmp_path)) == 2  # a damaged run folder is left out, not a crash


def test_a_run_that_was_killed_reads_back_as_interrupted(tmp_path):
    run = Run.create(tmp_path, mlp())
    run.owner = {**run.owner, "pid": 2**22 + 12345}  # its process is gone (no such pid)
    run.save()
    assert Run.load(run.folder).status == "interrupted"


def test_unsaved_documents_never_share_a_folder(tmp_path):
    assert document_folder(None, "a1") != document_folder(None, "b2")
    same = document_folder(str(tmp_path / "net.json"), "a1")
    assert same == document_folder(str(tmp_path / "net.json"), "b2")  # a saved document: by its path
    assert same != document_folder(str(tmp_path / "other" / "net.json"), "a1")


def test_network_differences_name_the_layers():
    before, after = mlp(32), mlp(64)
    assert network_differences(before, after) == ["fc1: out_features was 32 and is 64"]
    b = GraphBuilder(after)
    b.add("Dropout", name="drop")
    assert "drop is new" in network_differences(before, after)


def test_a_series_stays_a_fixed_size_and_keeps_its_extremes():
    series = Series(capacity=64)
    values = np.sin(np.arange(10_000) / 50.0)
    values[7777] = 5.0  # a spike must survive the summary
    for step, value in enumerate(values):
        series.add(step, value)
    x, mean, low, high = series.arrays()
    assert len(x) <= 64 and series.stride == 256
    assert high.max() == 5.0 and low.min() == pytest.approx(values.min())
    full = series.n * series.stride  # the full buckets' means are the means of their steps
    assert mean[:series.n].mean() == pytest.approx(values[:full].mean())
    assert mean[-1] == pytest.approx(values[full:].mean())  # and the bucket being filled
    bulk = Series.from_arrays(np.arange(10_000, dtype=float), values, capacity=64)
    assert bulk.stride == series.stride
    assert np.allclose(bulk.arrays()[1], series.arrays()[1]) and np.allclose(bulk.arrays()[3], series.arrays()[3])


def test_history_memory_does_not_grow_with_the_run():
    import tracemalloc

    history = History()
    tracemalloc.start()
    for step in range(100_000):
        history.add_step(step, 0.001, {"loss": 1.0 / (step + 1)})
        if step == 20_000:
            early = tracemalloc.get_traced_memory()[0]
    late = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert late < early * 1.2  # bounded: a few thousand buckets per curve however long the run
    assert len(history.series["loss"]) <= CAPACITY + 1 and math.isclose(history.series["lr"].last, 0.001)


def test_a_run_carries_pytorch_weights_or_an_onnx_model_and_says_which(tmp_path):
    run = Run.create(tmp_path, mlp(), name="int8 static of run 1")
    assert run.weights() is None and run.onnx_model() is None and not run.onnx_only
    assert run.weights_or_why("x")[1] == f"the run 'int8 static of run 1' has no checkpoint (best.pt or last.pt) in" \
                                         f" {run.folder}"
    (run.folder / "model.onnx").write_bytes(b"onnx")
    run.made_from = {"run": "run 1", "version": "int8 static"}
    run.best = {"test_accuracy": 0.9612, "test_loss": 0.1}
    run.save()
    again = Run.load(run.folder)
    assert again.onnx_only and again.onnx_model() == run.folder / "model.onnx" and again.weights() is None
    assert again.made_from == {"run": "run 1", "version": "int8 static"} and again.summary() == "test acc 0.961"
    found, why = again.weights_or_why("the Inside tab")
    assert found is None and why.startswith("the run 'int8 static of run 1' is int8 static, kept as an ONNX model"
                                            " (model.onnx) without PyTorch weights, so the Inside tab cannot use it")
    (run.folder / "last.pt").write_bytes(b"")
    assert not again.onnx_only and again.weights_or_why("x") == (run.folder / "last.pt", "")
    (run.folder / "best.pt").write_bytes(b"")
    assert again.weights() == run.folder / "best.pt"  # the best first
