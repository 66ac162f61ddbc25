"""Anomaly evaluation: the threshold rule, ROC AUC equal to scikit-learn's on the same scores, precision and
recall at the threshold, a trained run scored end to end, and the flagged rows written to a CSV."""
import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from netbuilder.cli import main
from netbuilder.insight.anomaly import (AnomalyError, best_f1_threshold, choose_threshold, evaluate_run, report,
                                        write_flagged, write_scores)
from netbuilder.runs.run import Run

ROOT = Path(__file__).resolve().parents[2]


def f1_at(scores, labels, t):
    flagged = scores >= t
    tp = (flagged & (labels == 1)).sum()
    return 2 * tp / (flagged.sum() + labels.sum())


def test_the_best_f1_threshold_is_the_best_of_every_score_ties_included():
    gen = np.random.default_rng(0)
    for trial in range(20):
        labels = gen.integers(0, 2, 60)
        scores = np.round(gen.normal(labels * 1.0, 1.0), 1)  # rounded: many tied scores
        labels[0], labels[1] = 0, 1
        value, f1 = best_f1_threshold(scores, labels)
        brute = max(f1_at(scores, labels, t) for t in np.unique(scores))
        assert f1 == pytest.approx(brute) and f1_at(scores, labels, value) == pytest.approx(f1)
        assert value in scores


def test_a_threshold_on_labelled_validation_is_the_best_f1_else_a_percentile():
    scores, labels = np.array([0.1, 0.2, 0.3, 0.9, 1.0, 0.25]), np.array([0, 0, 0, 1, 1, 1])
    chosen = choose_threshold(scores, labels)
    assert chosen.value == 0.25 and "best F1 on validation, 0.857" in chosen.rule  # 4 flagged, 3 of them anomalies
    assert f1_at(scores, labels, 0.25) == pytest.approx(2 * 3 / (4 + 3))
    plain = np.arange(101, dtype=float)
    unlabelled = choose_threshold(plain, None)
    assert unlabelled.value == pytest.approx(95.0) and "95th percentile" in unlabelled.rule
    assert choose_threshold(plain, None, 90).value == pytest.approx(90.0)
    only_normal = choose_threshold(plain, np.zeros(101, dtype=int))
    assert only_normal.value == pytest.approx(95.0)
    with pytest.raises(AnomalyError, match="no samples to choose a threshold"):
        choose_threshold(np.zeros(0), None)


def test_roc_auc_is_scikit_learns_and_precision_recall_are_at_the_threshold():
    gen = np.random.default_rng(1)
    val_labels, test_labels = gen.integers(0, 2, 200), gen.integers(0, 2, 300)
    val, test = gen.normal(val_labels * 1.5, 1.0), gen.normal(test_labels * 1.5, 1.0)
    found = report("error", (val, val_labels), (test, test_labels))
    assert found.auc == roc_auc_score(test_labels, test)
    t = found.threshold.value
    flagged = test >= t
    assert found.precision == pytest.approx((flagged & (test_labels == 1)).sum() / flagged.sum())
    assert found.recall == pytest.approx((flagged & (test_labels == 1)).sum() / test_labels.sum())
    assert found.fpr[0] == 0 and found.tpr[-1] == 1
    unlabelled = report("error", (val, None), (test, None))
    assert unlabelled.auc is None and unlabelled.precision is None and "flagged" in unlabelled.lines()[-1]


def test_the_flagged_rows_csv_holds_the_rows_at_or_above_the_threshold_highest_first(tmp_path):
    scores = np.array([0.5, 3.0, 1.0, 2.0])
    rows = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]])
    assert write_flagged(tmp_path / "f.csv", scores, 1.0, rows, ["a", "b"], "reconstruction error") == 3
    with open(tmp_path / "f.csv", newline="") as f:
        table = list(csv.reader(f))
    assert table == [["row", "reconstruction_error", "a", "b"], ["2", "3", "3", "4"], ["4", "2", "7", "8"],
                     ["3", "1", "5", "6"]]


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """The digits autoencoder, digit 0 normal, trained for a few epochs by `netbuilder train`."""
    folder = tmp_path_factory.mktemp("anomaly")
    doc = json.loads((ROOT / "templates" / "autoencoder_digits.json").read_text())
    doc["meta"]["data"] = {"source": "digits", "anomaly": {"protocol": "one_class", "class": 0}}
    doc["meta"]["training"]["epochs"] = 8
    path = folder / "ae.json"
    path.write_text(json.dumps(doc))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NETBUILDER_CONFIG_DIR", str(folder / "config"))
        assert main(["train", str(path), "--out", str(folder / "run")]) == 0
    torch.set_num_threads(threads)
    return path, Run.load(folder / "run")


def test_a_trained_autoencoder_run_is_scored_and_its_auc_is_sklearns_on_its_errors(trained_run, tmp_path):
    from netbuilder.compile import build_model
    from netbuilder.data.dataset import DataSpec, prepare

    _, run = trained_run
    evaluation = evaluate_run(run)
    main_report = evaluation.main
    assert main_report.score == "reconstruction error" and evaluation.weights.name == "best.pt"
    graph = run.graph()
    model = build_model(graph)
    model.load_state_dict(torch.load(run.folder / "best.pt", weights_only=True)["model"])
    model.eval()
    prepared = prepare(DataSpec.from_dict(graph.meta["data"]))
    x, labels = prepared.test
    with torch.no_grad():
        errors = ((model(x) - x) ** 2).reshape(len(x), -1).mean(1).double().numpy()
    assert np.allclose(main_report.test_scores, errors, rtol=1e-5)
    assert main_report.auc == pytest.approx(roc_auc_score(labels.numpy(), errors), abs=1e-9)
    assert main_report.auc > 0.8  # a few epochs on the zeros already tell them from the other digits
    assert "best F1 on validation" in main_report.threshold.rule
    classes, names = evaluation.test_classes()
    assert names == [str(i) for i in range(10)] and ((classes != 0) == labels.numpy()).all()
    worst = main_report.worst(4)
    made = evaluation.reconstructions(worst)
    assert made.shape == (4, 1, 8, 8)
    write_scores(tmp_path / "s.csv", main_report)
    assert (tmp_path / "s.csv").read_text().splitlines()[0] == "index,reconstruction_error,flagged,anomaly"


def test_a_run_of_a_recipe_without_scores_is_refused_with_the_recipes_that_have_them(tmp_path):
    from netbuilder.graph import io
    from netbuilder.layers import check_node

    graph = io.load(ROOT / "templates" / "mlp_digits.json", check_node)
    run = Run.create(tmp_path, graph)
    (run.folder / "best.pt").write_bytes(b"")
    with pytest.raises(AnomalyError, match="supervised recipe gives no anomaly score: .* reconstruction"):
        evaluate_run(run)


def test_a_vae_scores_each_sample_by_its_negative_elbo_and_its_reconstruction_error():
    from netbuilder.graph import io
    from netbuilder.layers import check_node
    from netbuilder.train import TrainConfig
    from netbuilder.train.recipes import recipe_class

    graph = io.load(ROOT / "templates" / "vae_digits.json", check_node)
    config = TrainConfig.from_dict({**graph.meta["training"], "kl_weight": 0.5})
    recipe = recipe_class("variational")(graph, config)
    recipe.model.eval()
    x = torch.rand(5, 1, 8, 8)
    with torch.no_grad():
        found = recipe.score_batch((x,))
        batch_kl = recipe.kl_term()  # the mean over the batch the layer kept
        error = ((recipe.model(x) - x) ** 2).reshape(5, -1).mean(1)
    assert recipe.scores[0] == "negative ELBO" and found["negative ELBO"].shape == (5,)
    assert torch.allclose(found["reconstruction error"], error)
    kl = (found["negative ELBO"] - error) / 0.5
    assert (kl >= 0).all() and torch.allclose(kl.mean(), batch_kl, rtol=1e-4)
