"""File > Recent Runs > Delete Runs…: the runs folders of documents closed unsaved are deleted when ticked and
confirmed; a folder whose document is open or with a run training now is kept and said; each folder goes in one
step, and what a removal cut short is cleared later."""
import os
import time

import pytest
from PySide6.QtCore import Qt

from netbuilder import GraphBuilder
from netbuilder.atomic import NotAFile, remove_folder
from netbuilder.runs.run import Run, runs_root
from netbuilder.ui import recent_runs
from netbuilder.ui.delete_runs import DeleteRunsDialog
from netbuilder.ui.document import Document

from uihelpers import make_window


def network(name):
    b = GraphBuilder()
    b.add("Output", b.add("Linear", b.add("Flatten", b.add("Input", shape=[1, 8, 8])), out_features=10))
    b.graph.meta["name"] = name
    return b.graph


def closed_unsaved(name, runs=1, days_old=0.0, status="finished"):
    """The runs folder an untitled document called `name` left (its runs `days_old` days old)."""
    folder = runs_root() / f"untitled-{name.lower()}"
    for _ in range(runs):
        run = Run.create(folder, network(name))
        run.status, run.created = status, time.time() - days_old * 86400
        (run.folder / "last.pt").write_bytes(b"0" * 2048)
        run.save()
    return folder


def dialog_of(window):
    menu = window.bench.action("recent_runs").menu()
    menu.fill()
    remove = next(a for a in menu.actions() if a.objectName() == "delete_runs")
    assert remove.isEnabled() and remove.text() == "&Delete Runs…"
    return DeleteRunsDialog(recent_runs.unsaved(), window.bench)


def tick(dialog, *names):
    for i, entry in enumerate(dialog.found):
        if entry.latest.graph().meta["name"] in names:
            dialog.entries.item(i).setCheckState(Qt.CheckState.Checked)


def test_ticked_folders_are_deleted_once_confirmed_and_the_others_stay(qtbot):
    a, b, c = closed_unsaved("Alpha", runs=2), closed_unsaved("Beta"), closed_unsaved("Gamma")
    window = make_window(qtbot)
    dialog = dialog_of(window)
    assert {e.folder for e in dialog.found} == {a, b, c}
    assert not dialog.delete_button.isEnabled()  # nothing ticked
    tick(dialog, "Alpha", "Gamma")
    asked = []
    dialog.confirm = lambda text: asked.append(text) or False
    dialog.delete_button.click()
    assert a.is_dir() and c.is_dir() and len(dialog.found) == 3  # cancelled: nothing deleted
    assert "Delete 3 runs of 2 unsaved documents" in asked[0] and "Alpha: 2 runs" in asked[0]
    assert "KB" in asked[0] and "cannot be undone" in asked[0]
    dialog.confirm = lambda text: True
    dialog.delete_button.click()
    assert not a.exists() and not c.exists() and b.is_dir()
    assert [e.folder for e in dialog.found] == [b] and dialog.entries.count() == 1
    assert "Deleted the runs of 2 unsaved documents." == dialog.result_line.text()
    assert not any(n.startswith(".") for n in os.listdir(runs_root()))  # nothing left behind, hidden or not
    assert [f.folder for f in recent_runs.unsaved()] == [b]


def test_an_open_document_or_a_training_run_is_never_deleted_and_it_is_said(qtbot):
    opened, training, old = closed_unsaved("Opened"), closed_unsaved("Training", status="running"), \
        closed_unsaved("Old")
    window = make_window(qtbot)
    dialog = dialog_of(window)
    tick(dialog, "Opened", "Training", "Old")
    document = Document(network("Opened"), None, runs_key="opened")  # opened meanwhile (another window)
    try:
        dialog.confirm = lambda text: True
        dialog.delete_button.click()
    finally:
        document.runs.close()
    assert opened.is_dir() and training.is_dir() and not old.exists()
    said = dialog.result_line.text()
    assert "Opened: 1 run" in said and "its document is open now" in said
    assert "Training: 1 run" in said and "run 1 is training now" in said
    assert len(dialog.found) == 2


def test_tick_those_older_than_a_month(qtbot):
    closed_unsaved("Recent", days_old=2)
    closed_unsaved("Ancient", days_old=90)
    window = make_window(qtbot)
    dialog = dialog_of(window)
    dialog.old.click()
    assert [e.latest.graph().meta["name"] for e in dialog.ticked()] == ["Ancient"]


def test_a_folder_goes_in_one_step_and_what_a_cut_short_removal_left_is_cleared(monkeypatch):
    folder = closed_unsaved("Cut")
    calls = []

    def cut_short(path, onerror=None, **_):  # the process is killed after the rename
        calls.append(path)
        raise KeyboardInterrupt

    with monkeypatch.context() as patched, pytest.raises(KeyboardInterrupt):
        patched.setattr("netbuilder.atomic.shutil.rmtree", cut_short)
        remove_folder(folder)
    assert not folder.exists() and recent_runs.unsaved() == []  # gone from every listing at once
    hidden = os.path.basename(calls[0])
    assert hidden.startswith(".untitled-cut.") and hidden.endswith(".removing")
    leftover = runs_root() / hidden.replace(f".{os.getpid()}.", f".{2**22 + 12345}.")  # as if its process died
    os.rename(calls[0], leftover)
    recent_runs.delete([recent_runs.Found(closed_unsaved("Next"), [])])
    assert not leftover.exists() and os.listdir(runs_root()) == []


def test_a_link_is_refused_and_what_it_points_to_stays(tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "precious.txt").write_text("keep")
    link = tmp_path / "untitled-link"
    link.symlink_to(target)
    with pytest.raises(NotAFile, match="a link"):
        remove_folder(link)
    assert (target / "precious.txt").read_text() == "keep"
