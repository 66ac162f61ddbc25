"""A sweep in the window: the form checks what to vary, the trials become runs in the run list and rows in
the Sweep tab (sortable), the best values apply as one undoable edit, and Stop ends the sweep cleanly."""
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from netbuilder.graph import SetMeta
from netbuilder.tune.sweep import SweepSpec, parse_vary
from netbuilder.ui.training.sweep_dialog import SweepDialog


def test_the_form_says_what_cannot_be_varied(window, qtbot):
    dialog = SweepDialog(window.document.graph, window)
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    what, values, error = dialog.rows[0]
    assert what.currentText() == "lr" and values.text() == "1e-4..1e-1:log" and ok.isEnabled()
    values.setText("1e-1..1e-4")
    assert not ok.isEnabled() and "runs backwards" in error.text()
    dialog.rows[1][0].setCurrentText("fc1.out_features")
    assert dialog.rows[1][1].text() == "32,64,128"
    values.setText("1e-3,1e-2")
    assert ok.isEnabled()
    spec = dialog.spec()
    assert [v.target for v in spec.varies] == ["lr", "fc1.out_features"] and spec.sampler == "tpe"


def test_a_grid_sweep_in_the_window(window, qtbot):
    graph = window.document.graph
    window.document.push(SetMeta(graph, "training", {**graph.meta.get("training", {}), "epochs": 2}))
    spec = SweepSpec([parse_vary("lr=1e-4,1e-3,1e-2", graph)], trials=3, sampler="grid")
    panel = window.training
    assert panel.start_sweep(spec)
    qtbot.waitUntil(lambda: not panel.running, timeout=120000)
    assert "best trial" in panel.status.text()
    runs = panel.runs.states
    assert len(runs) == 3 and sorted(s.run.sweep["values"]["lr"] for s in runs) == [1e-4, 1e-3, 1e-2]
    view = panel.sweep_view
    panel.tabs.setCurrentWidget(view)
    view.redraw()
    table = view.table
    assert table.rowCount() == 3
    # one numbering: the run list's "#n" names the trial the Sweep tab numbers n (from 1)
    numbered = {int(table.item(r, 0).data(Qt.ItemDataRole.DisplayRole)): table.item(r, 1).data(Qt.ItemDataRole.DisplayRole)
                for r in range(3)}
    listed = {int(item.text(0).split()[0].lstrip("#")): state.run.sweep["values"]["lr"]
              for item, state in ((panel.run_list.item_of(s.id), s) for s in runs)}
    assert sorted(numbered) == [1, 2, 3] and listed == pytest.approx(numbered)
    header = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    metric = header.index("val_loss")
    table.sortItems(metric, Qt.SortOrder.AscendingOrder)
    losses = [table.item(r, metric).data(Qt.ItemDataRole.DisplayRole) for r in range(3)]
    assert losses == sorted(losses)
    best = view.best()
    assert best.metric == pytest.approx(losses[0], rel=1e-3)
    before = dict(graph.meta["training"])
    view.apply_button.click()
    assert graph.meta["training"]["lr"] == best.values["lr"]
    window.document.undo_stack.undo()
    assert graph.meta["training"] == before
    assert len(view.plots) == 1  # val_loss against lr
    view.set_folder(panel.runs.folder)  # as when the document reopens: read back from sweeps.db
    assert view.studies.count() == 1 and view.table.rowCount() == 3 and view.best().number == best.number


def test_stop_ends_a_sweep_cleanly(window, qtbot):
    graph = window.document.graph
    window.document.push(SetMeta(graph, "training", {**graph.meta.get("training", {}), "epochs": 50}))
    panel = window.training
    assert panel.start_sweep(SweepSpec([parse_vary("lr=1e-3..1e-2:log", graph)], trials=5, sampler="random"))
    qtbot.waitUntil(lambda: panel.runs.current is not None and panel.runs.current.history.steps > 0, timeout=60000)
    panel.stop()
    qtbot.waitUntil(lambda: not panel.running, timeout=60000)
    assert panel.runs.current.run.status == "stopped" and "Sweep" in panel.status.text()
