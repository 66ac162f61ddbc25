"""The Anomaly tab: a finished run of the anomaly template shows the score histograms of normal and anomalous
test digits with the threshold, the ROC curve with its AUC and the threshold's point, precision and recall, and
the worst-rebuilt digits above their reconstructions; a run of a recipe without scores is said."""
from pathlib import Path

import numpy as np
import pytest

from netbuilder.insight.anomaly import evaluate_run
from netbuilder.ui.document import Document

from runhelpers import train
from uihelpers import make_window

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.usefixtures("one_thread")


def test_a_finished_anomaly_run_is_judged_in_the_anomaly_tab(qtbot, tmp_path):
    window = make_window(qtbot, Document.from_template(ROOT / "templates" / "anomaly_digits.json"))
    window.save_to(str(tmp_path / "anomaly.json"))
    panel = window.training
    panel.tabs.setCurrentWidget(panel.anomaly)
    view = panel.anomaly
    train(window, qtbot, epochs=12)
    qtbot.waitUntil(lambda: view.evaluation is not None, timeout=60000)
    found = view.evaluation.main
    again = evaluate_run(panel.runs.current.run).main
    assert found.auc == pytest.approx(again.auc) and found.auc > 0.8
    assert view.body.isVisible() and not view.message.isVisible()
    text = view.summary.text()
    assert f"ROC AUC {found.auc:.3f}" in text and f"precision {found.precision:.3f}" in text
    assert "best F1 on validation" in text and f"recall {found.recall:.3f}" in text
    curves = view.histogram.getPlotItem().listDataItems()
    assert [c.name() for c in curves] == [f"normal ({int((found.test_labels == 0).sum())})",
                                          f"anomaly ({int(found.test_labels.sum())})"]
    assert sum(c.yData.sum() for c in curves) == len(found.test_scores)
    roc, point = view.roc.getPlotItem().listDataItems()[1:]
    assert np.array_equal(roc.xData, found.fpr) and np.array_equal(roc.yData, found.tpr)
    assert point.yData[0] == pytest.approx(found.recall)
    assert f"AUC {found.auc:.3f}" in view.roc.getPlotItem().titleLabel.text
    assert len(view.pictures) == 16 * 4  # each of the 16 worst: picture, caption, reconstruction, "rebuilt"
    worst = found.worst(1)[0]
    assert view.pictures[1].text().endswith(f"{found.test_scores[worst]:.3g}")
    assert view.pictures[1].text().startswith("class ") and "class 0\n" not in view.pictures[1].text()


def test_a_run_without_anomaly_scores_is_said(qtbot, tmp_path):
    window = make_window(qtbot, Document.from_template(ROOT / "templates" / "mlp_digits.json"))
    panel = window.training
    panel.tabs.setCurrentWidget(panel.anomaly)
    train(window, qtbot, epochs=1)
    assert "gives no anomaly score" in panel.anomaly.message.text() and "deep_svdd" in panel.anomaly.message.text()
    assert panel.anomaly.evaluation is None
