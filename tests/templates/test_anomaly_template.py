"""The anomaly-detection templates (a convolutional autoencoder, and Deep SVDD on the same encoder without
biases): each loads, validates, compiles, is what its script writes, and a run of it (trained as `netbuilder
train` trains it, scored as the window's Anomaly view scores a run) reaches the ROC AUC its file promises on
digit 0 as the normal class."""
import importlib.util
from pathlib import Path

import pytest
import torch

import netbuilder
from netbuilder.analysis import Analysis
from netbuilder.cli import main
from netbuilder.data.dataset import DataSpec
from netbuilder.graph import io
from netbuilder.insight.anomaly import evaluate_recipe, evaluate_run
from netbuilder.layers import check_node
from netbuilder.runs.run import Run
from netbuilder.train import TrainConfig
from netbuilder.train.recipes import recipe_class

ROOT = Path(__file__).resolve().parents[2]
NAMES = ["anomaly_digits", "deep_svdd_digits"]
pytestmark = pytest.mark.usefixtures("one_thread")


def load(name):
    return io.load(ROOT / "templates" / f"{name}.json", check_node)


@pytest.mark.parametrize("name", NAMES)
def test_template_loads_validates_and_compiles(name):
    graph = load(name)
    meta = graph.meta
    assert meta["name"] and "threshold" in meta["description"] and "F1" in meta["description"]
    assert meta["data"]["anomaly"] == {"protocol": "one_class", "class": 0}
    assert DataSpec.from_dict(meta["data"]).problems() == []
    config = TrainConfig.from_dict(meta["training"])
    assert config.recipe == {"anomaly_digits": "reconstruction", "deep_svdd_digits": "deep_svdd"}[name]
    assert config.problems() == []
    assert meta["quality"]["metric"] == "roc_auc" and meta["quality"]["epochs"] == config.epochs
    assert any(n.type == "Conv2d" for n in graph.nodes())
    analysis = Analysis(graph)
    try:
        assert [p for p in analysis.problems() if p.severity == "error"] == []
    finally:
        analysis.close()
    x = netbuilder.example_inputs(graph, batch_size=3)[0]
    with torch.no_grad():
        out = netbuilder.build_model(graph)(x)
    assert out.shape == x.shape if name == "anomaly_digits" else out.shape == (3, 16)


@pytest.mark.parametrize("name", NAMES)
def test_template_is_what_the_script_writes(name):
    spec = importlib.util.spec_from_file_location("make_anomaly_templates", ROOT / "scripts" / "make_anomaly_templates.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = ROOT / "templates" / f"{name}.json"
    assert io.dumps(module.rows(getattr(module, name)())) == path.read_text(encoding="utf-8"), \
        "the template is stale: run .venv/bin/python scripts/make_anomaly_templates.py"


@pytest.mark.parametrize("name", NAMES)
def test_a_run_of_the_template_reaches_its_roc_auc_bar(name, tmp_path):
    graph = load(name)
    bar = graph.meta["quality"]["at_least"]
    config = TrainConfig.from_dict(graph.meta["training"])
    untrained = recipe_class(config.recipe)(graph, config)
    if config.recipe == "deep_svdd":  # its centre comes from a first pass over the training samples
        from netbuilder.train.fitting import training_data

        untrained.center = untrained.first_pass(training_data(graph, config).train[0])
    assert evaluate_recipe(untrained).main.auc < bar  # the bar says something: an untrained network misses it
    assert main(["train", str(ROOT / "templates" / f"{name}.json"), "--out", str(tmp_path / "run")]) == 0
    run = Run.load(tmp_path / "run")
    assert run.status == "finished" and run.epochs_done == graph.meta["quality"]["epochs"]
    evaluation = evaluate_run(run)
    found = evaluation.main
    assert found.auc >= bar, found.lines()
    assert found.precision > 0.9 and found.recall > 0.9  # at the threshold chosen on validation
    classes, _ = evaluation.test_classes()
    worst = found.worst(8)
    assert all(classes[i] != 0 for i in worst)  # the worst-rebuilt test digits are not zeros
