"""The coach in the window: a run whose validation loss turns up while its training loss falls is called
overfitting on the training panel; Apply adds the Dropout as one undoable edit, Try it adds it and trains
the changed network as a new run beside the first."""
from netbuilder.graph import SetMeta
from netbuilder.runs.history import History
from netbuilder.runs.run import Run

from uihelpers import make_window


def overfit_history() -> History:
    history = History()
    for epoch, (loss, val) in enumerate([(2.0, 1.5), (1.0, 0.8), (0.5, 0.7), (0.2, 0.9), (0.1, 1.2), (0.05, 1.6)]):
        history.add_epoch(epoch, 1e-3, {"loss": loss, "val_loss": val, "accuracy": 0.5 + epoch / 12,
                                        "val_accuracy": 0.6})
    return history


def test_the_coach_names_overfitting_and_its_remedies_apply_and_try(qtbot, tmp_path):
    window = make_window(qtbot)
    window.save_to(str(tmp_path / "doc.json"))
    document, panel = window.document, window.training
    document.push(SetMeta(document.graph, "training", {**document.graph.meta.get("training", {}), "epochs": 1}))
    runs = panel.runs
    runs.set_current(runs.add(Run.create(runs.folder, document.graph, name="run 1"), overfit_history()))
    coach = panel.coach
    assert coach.isVisible() and "overfitting" in coach.text.text() and "rose from 0.7" in coach.text.text()
    labels = [coach.remedies.itemText(i) for i in range(coach.remedies.count())]
    assert labels[0].startswith("Add a Dropout (p 0.3) after '") and "Add weight decay (1e-3)" in labels

    coach.apply_button.click()  # Apply: one undo step
    assert [n.type for n in document.graph.nodes()].count("Dropout") == 1
    document.undo_stack.undo()
    assert "Dropout" not in [n.type for n in document.graph.nodes()]

    coach.remedies.setCurrentIndex(0)
    coach.try_button.click()  # Try it: applied, and a paired run starts
    assert [n.type for n in document.graph.nodes()].count("Dropout") == 1
    assert panel.running, panel.status.text()
    qtbot.waitUntil(lambda: panel.result is not None and not panel.running, timeout=60000)
    assert [s.run.name for s in runs.states] == ["run 1", "run 2"]
    assert "Dropout" in [n.type for n in runs.states[-1].run.graph().nodes()]


def test_a_remedy_for_a_layer_that_is_gone_says_so(qtbot, tmp_path):
    window = make_window(qtbot)
    window.save_to(str(tmp_path / "doc.json"))
    panel = window.training
    runs = panel.runs
    runs.set_current(runs.add(Run.create(runs.folder, window.document.graph), overfit_history()))
    remedy = panel.coach.remedies.itemData(0)
    remedy.key = "no such layer"
    assert not panel.apply_remedy(remedy)
    assert "no layer 'no such layer'" in panel.status.text()


def test_the_coach_says_where_it_stands_when_it_has_nothing_to_flag(qtbot, tmp_path):
    window = make_window(qtbot)
    window.save_to(str(tmp_path / "doc.json"))
    panel = window.training
    runs, coach = panel.runs, panel.coach
    assert not coach.isVisible()  # no run: nothing to read
    history = History()
    history.add_epoch(0, 1e-3, {"loss": 2.0, "val_loss": 1.5})
    state = runs.add(Run.create(runs.folder, window.document.graph, name="run 1"), history)
    runs.set_current(state)
    assert coach.isVisible() and coach.text.text().startswith("Coach: nothing to flag yet")
    assert not coach.apply_button.isVisible() and not coach.remedies.isVisible()
    for epoch, (loss, val) in enumerate([(1.0, 0.9), (0.6, 0.55), (0.4, 0.38)], start=1):
        history.add_epoch(epoch, 1e-3, {"loss": loss, "val_loss": val})
    runs.updated(state)
    assert coach.text.text().startswith("Coach: nothing to flag: the training loss went from 2 to 0.4")
    assert coach.verdicts == [] and not coach.try_button.isVisible()
