"""Sweeps with Optuna: what to vary is parsed and checked against the document, trials are runs of it,
the best values apply as one edit, pruning and failures are recorded, and a sweep goes on from its storage."""
import os
from pathlib import Path

import optuna
import pytest
import torch
from optuna.trial import TrialState

from netbuilder import GraphBuilder
from netbuilder.graph import io
from netbuilder.graph.edits import insert_between
from netbuilder.graph.model import Node
from netbuilder.layers import check_node
from netbuilder.runs.pictures import read_pictures
from netbuilder.runs.run import list_runs
from netbuilder.train.callbacks.pictures import Pictures
from netbuilder.tune.sweep import Sweep, SweepError, SweepSpec, apply_edit, parse_vary, records, train_trial

optuna.logging.set_verbosity(optuna.logging.WARNING)


def mlp():
    b = GraphBuilder()
    h = b.add("Linear", b.add("Flatten", b.add("Input", shape=[1, 8, 8])), name="hidden", out_features=16)
    b.add("Output", b.add("Linear", b.add("ReLU", h), name="classes", out_features=10))
    b.graph.meta["training"] = {"epochs": 2, "batch_size": 64, "device": "cpu"}
    return b.graph


def run(graph, spec, tmp_path, name="study"):
    sweep = Sweep(graph, spec, f"sqlite:///{tmp_path / 'sweeps.db'}", name)

    def train(trial_graph, values, trial, pruning):
        trainer, run_ = train_trial(trial_graph, values, trial, pruning, tmp_path, name)
        sweep.trainer = trainer
        return trainer.run(), run_.id
    return sweep, sweep.run(train)


@pytest.mark.parametrize("text, message", [
    ("lr=1e-1..1e-4", "the range 0.1..0.0001 runs backwards"),
    ("lr=-1..1:log", "a log range cannot reach zero"),
    ("hidden.out_features=16..32.5", "takes whole numbers, not 32.5"),
    ("speed=1..2", "'speed' is not a training setting a sweep can vary"),
    ("fc9.out_features=1,2", "the document has no layer named 'fc9'"),
    ("hidden.size=1,2", "Linear 'hidden' has no number or choice parameter 'size' (it has out_features"),
    ("optimizer=adam,magic", "'magic' is not one of sgd, adam, adamw, rmsprop"),
    ("optimizer=adam..sgd", "optimizer is a choice"),
    ("lr=a..b", "'a' is not a number"),
    ("lr", "say what to vary and how"),
])
def test_what_cannot_be_varied_is_named(text, message):
    with pytest.raises(SweepError, match=message.replace("(", r"\(").replace(".", r"\.")):
        parse_vary(text, mlp())


def test_a_storage_that_cannot_be_opened_is_said(tmp_path):
    spec = SweepSpec([parse_vary("lr=1e-3,1e-2", mlp())], trials=1)
    with pytest.raises(SweepError, match="the sweep's storage 'nosuchdb://x' cannot be opened"):
        Sweep(mlp(), spec, "nosuchdb://x", "s")


def test_a_grid_gives_a_run_per_value_and_the_best_applies_as_one_edit(tmp_path):
    graph = mlp()
    vary = parse_vary("lr=1e-4..1e-1:log", graph)
    assert vary.grid() == pytest.approx([1e-4, 10 ** -2.5, 1e-1])
    sweep, found = run(graph, SweepSpec([vary], trials=3, sampler="grid"), tmp_path)
    assert sorted(r.values["lr"] for r in found) == pytest.approx(vary.grid())
    assert all(r.status == "complete" and r.metric is not None and r.run_id for r in found)
    runs = list_runs(tmp_path)
    assert len(runs) == 3 and all(r.sweep["study"] == "study" and r.settings["lr"] == r.sweep["values"]["lr"]
                                  for r in runs)
    numbers = {r.run_id: r.number + 1 for r in found}  # trials are counted from 1, in a run's name too
    assert sorted(r.name.split()[0] for r in runs) == ["#1", "#2", "#3"]
    assert all(r.name.startswith(f"#{numbers[r.id]} ") for r in runs)
    ordered = sorted(found, key=lambda r: r.metric)
    best = sweep.best()
    assert best.number == ordered[0].number
    edit = apply_edit(graph, best.values)
    graph.apply(edit)
    assert graph.meta["training"]["lr"] == best.values["lr"]
    edit.revert(graph)
    assert "lr" not in graph.meta["training"]


def test_a_layer_parameter_is_varied_on_the_layer(tmp_path):
    graph = mlp()
    _, found = run(graph, SweepSpec([parse_vary("hidden.out_features=8,24", graph)], trials=2, sampler="grid"),
                   tmp_path)
    runs = {r.id: r for r in list_runs(tmp_path)}
    for record in found:
        hidden = runs[record.run_id].graph().by_name("hidden")
        assert hidden.params["out_features"] == record.values["hidden.out_features"]


def test_a_failing_trial_is_recorded_and_the_sweep_goes_on(tmp_path):
    graph = mlp()
    graph.meta["training"]["epochs"] = 1
    spec = SweepSpec([parse_vary("lr=1e30,0.01", graph)], trials=2, sampler="grid")
    graph.meta["training"]["optimizer"] = "sgd"
    graph.meta["training"]["momentum"] = 0.0
    _, found = run(graph, spec, tmp_path)
    by_lr = {r.values["lr"]: r for r in found}
    assert by_lr[1e30].status == "failed" and "NaN or infinite" in by_lr[1e30].message
    assert by_lr[0.01].status == "complete"


def test_pruning_stops_a_clearly_worse_trial(tmp_path):
    graph = mlp()
    graph.meta["training"]["epochs"] = 5
    spec = SweepSpec([parse_vary("lr=0.01,0.02,1e-9", graph)], trials=3, sampler="grid", prune=True)
    _, found = run(graph, spec, tmp_path)  # the grid runs in its order: the pruner has two trials by the third
    worst = next(r for r in found if r.values["lr"] == 1e-9)
    good = [r for r in found if r.values["lr"] != 1e-9]
    assert worst.number == 2 and worst.status == "pruned" and "pruned after epoch" in worst.message
    assert all(r.status == "complete" for r in good)


def test_an_interrupted_sweep_goes_on_from_its_storage(tmp_path):
    graph = mlp()
    spec = SweepSpec([parse_vary("lr=1e-3..1e-2:log", graph)], trials=3, sampler="random")
    storage = f"sqlite:///{tmp_path / 'sweeps.db'}"
    sweep = Sweep(graph, spec, storage, "study")
    dead = sweep.study.ask()  # a trial a killed process left running
    dead.suggest_float("lr", 1e-3, 1e-2, log=True)
    dead.set_user_attr("owner", {"host": __import__("socket").gethostname(), "pid": 2**22 + 12345})  # no such pid
    assert not _alive(2**22 + 12345)
    _, found = run(graph, spec, tmp_path)
    states = [r.status for r in found]
    assert states.count("complete") == 3 and states.count("failed") == 1  # the interrupted one, tried again
    assert optuna.load_study(study_name="study", storage=storage).trials[0].state == TrialState.FAIL
    assert len(records(sweep.study)) == 4


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_how_often_a_block_is_stacked_can_be_swept(tmp_path):
    inner = GraphBuilder()
    inner.add("Output", inner.add("ReLU", inner.add("Linear", inner.add("Input", name="x", shape=[16]),
                                                    out_features=16)), name="out")
    graph = mlp()
    b = GraphBuilder(graph)
    b.define("Dense", inner)
    relu = next(e.dst for e in graph.out_edges(graph.by_name("hidden").id))
    graph.apply(insert_between(graph, graph.out_edges(relu)[0], Node("s1", "Block", "stack", {"block": "Dense", "repeat": 1}),
                               "x", "out"))  # hidden -> ReLU -> stack -> classes
    _, found = run(graph, SweepSpec([parse_vary("stack.repeat=1,3", graph)], trials=2, sampler="grid"), tmp_path)
    runs = {r.id: r for r in list_runs(tmp_path)}
    assert sorted(runs[r.run_id].graph().by_name("stack").params["repeat"] for r in found) == [1, 3]
    with pytest.raises(SweepError, match="has no number or choice parameter 'depth' \\(it has repeat"):
        parse_vary("stack.depth=1,2", graph)


def test_a_generative_trial_keeps_its_pictures_in_its_run_folder(tmp_path):
    """As a run trained in the window or the terminal: a trial reopened shows its samples. In the terminal the
    recipe's pictures are taken at the end; in the window those its Pictures callback took."""
    graph = io.load(Path(__file__).resolve().parents[2] / "templates" / "diffusion_ring.json", check_node)
    graph.meta["training"].update(epochs=2, diffusion_steps=20, sampling="ddim", ddim_steps=5, device="cpu")
    vary = parse_vary("lr=0.001,0.003", graph)
    (tmp_path / "terminal").mkdir()
    _, found = run(graph, SweepSpec([vary], trials=2, sampler="grid"), tmp_path / "terminal")
    for trial in list_runs(tmp_path / "terminal"):
        caption, made, real, strip = read_pictures(trial.folder)
        assert caption.startswith("Epoch 2: 500 points") and made.shape == (500, 2) and strip[0][0] == "step 20"
    study = Sweep(graph, SweepSpec([vary], trials=1, sampler="grid"), f"sqlite:///{tmp_path / 'window.db'}", "window")
    shown = Pictures()

    def train(trial_graph, values, trial, pruning):
        trainer, run_ = train_trial(trial_graph, values, trial, pruning, tmp_path / "window", "window",
                                    callbacks=[shown])
        return trainer.run(), run_.id
    study.run(train)
    (trial,) = list_runs(tmp_path / "window")
    caption, made, _, _ = read_pictures(trial.folder)
    assert caption == shown.latest[0] and torch.equal(made, shown.latest[1])  # the window's, not drawn again
