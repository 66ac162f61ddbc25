"""Runs are never lost silently: a document whose runs would be lost asks before it goes (and its title shows `*`),
the runs of a document closed unsaved come back from File > Recent Runs, and closing while a run trains says the
run will stop, then stops it cleanly."""
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from netbuilder.graph import SetMeta
from netbuilder.runs.run import Run
from netbuilder.ui import closing, recent_runs
from netbuilder.ui.app import TEMPLATES
from netbuilder.ui.document import Document
from netbuilder.ui.gallery import Gallery

from uihelpers import make_window


def untitled(epochs=1):
    """A template as opened from the gallery (no edits), set to train `epochs` epochs."""
    document = Document.from_template(TEMPLATES / "mlp_digits.json")
    document.graph.meta["training"] = {**document.graph.meta.get("training", {}), "epochs": epochs}
    return document


def train_unedited(window, qtbot):
    window.controller.result = None
    assert window.training.start(), window.training.status.text()
    qtbot.waitUntil(lambda: window.training.result is not None, timeout=60000)
    assert window.training.result.status == "finished"


def test_an_untitled_document_with_runs_asks_before_it_goes_and_its_runs_come_back(qtbot, tmp_path, monkeypatch):
    window = make_window(qtbot, untitled())
    assert not window.isWindowModified() and closing.question(window.document) is None
    train_unedited(window, qtbot)
    document, run = window.document, window.document.runs.current.run
    assert not document.modified and document.unsaved_runs == 1
    assert window.isWindowModified()  # the title shows `*`: the run is kept only once the document is saved
    found = closing.question(document)
    assert found.savable and "1 trained run stays with it only once it is saved" in found.text

    asked = []
    window.ask_save_changes = lambda: asked.append(window.document.title) or "cancel"
    assert not window.new_document() and not window.open_file(str(TEMPLATES / "gan_ring.json"))
    monkeypatch.setattr(Gallery, "choose", staticmethod(lambda parent: str(TEMPLATES / "gan_ring.json")))
    window.new_from_template()
    assert not window.close()
    assert len(asked) == 4 and window.document is document  # New, Open, a template, closing: each asked

    window.ask_save_changes = lambda: "discard"
    assert window.new_document() and window.document is not document and not window.isWindowModified()
    menu = window.bench.action("recent_runs").menu()
    menu.fill()
    entries = [a for a in menu.actions() if a.isEnabled() and not a.isSeparator() and a.objectName() != "delete_runs"]
    assert len(entries) == 1 and entries[0].text().startswith("MLP") and "1 run, latest" in entries[0].text()
    entries[0].trigger()  # the network comes back with its runs, untitled (so it asks again before it goes)
    back = window.document
    assert back.path is None and [s.id for s in back.runs.states] == [run.id]
    assert back.graph == run.graph() and window.isWindowModified()
    assert window.training.run_list.topLevelItemCount() == 1 and "run 1: Finished" in window.training.status.text()
    menu.fill()
    assert not any(a.isEnabled() for a in menu.actions())  # a document open now is not offered twice

    assert window.save_to(str(tmp_path / "kept.json"))  # saved: the runs go with it, nothing to ask
    assert not window.isWindowModified() and closing.question(window.document) is None
    assert window.document.runs.states[0].run.checkpoint.is_file()


def test_the_question_names_what_would_be_lost(qtbot):
    document = untitled()
    assert closing.question(document) is None
    training = closing.question(document, "run 3")
    assert not training.savable and "run 3 is training: closing stops it" in training.text
    document.push(SetMeta(document.graph, "training", {"epochs": 2}))
    edited = closing.question(document, "run 3")
    assert edited.savable and "has changes that are not saved" in edited.text and "run 3 is training" in edited.text

    def answer():
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox) and box.text() == edited.text
        box.button(QMessageBox.StandardButton.Discard).click()
    QTimer.singleShot(0, answer)
    assert closing.ask(None, edited) == "discard"


def test_closing_while_a_run_trains_says_it_stops_and_stops_it_cleanly(qtbot, tmp_path):
    document = untitled(epochs=300)
    document.save(str(tmp_path / "long.json"))  # saved: only the run is at stake
    window = make_window(qtbot, document, closed_by_test=True)
    assert window.training.start()
    qtbot.waitUntil(lambda: window.training.runs.current.history.steps > 0, timeout=30000)
    run = window.training.runs.current.run
    asked = []
    window.ask_save_changes = lambda: asked.append(closing.question(window.document, window.controller.training)) \
        or "cancel"
    assert not window.close() and window.training.running  # Cancel: the run goes on
    assert "run 1 is training: closing stops it" in asked[0].text and not asked[0].savable
    window.ask_save_changes = lambda: "discard"
    assert window.close()
    assert window.controller.worker_thread is None
    again = Run.load(run.folder)
    assert again.status == "stopped" and "its document was closed while it trained" in again.message
    assert recent_runs.unsaved() == []  # a saved document's runs are found with it, not in the list


def test_saving_while_a_run_trains_moves_its_runs_once_it_ends(qtbot, tmp_path):
    window = make_window(qtbot, untitled(epochs=300))
    panel = window.training
    assert panel.start()
    qtbot.waitUntil(lambda: panel.runs.current.history.steps > 0, timeout=30000)
    before = panel.runs.folder
    assert window.save_to(str(tmp_path / "saved.json"))
    assert panel.running and panel.runs.current.run.status == "running"  # the run goes on where it was
    panel.stop()
    qtbot.waitUntil(lambda: panel.result is not None, timeout=30000)
    assert panel.result.status == "stopped", panel.result.message
    runs = window.document.runs
    assert runs.folder != before and not before.exists()  # then its folder went with the document
    assert [s.run.status for s in runs.states] == ["stopped"] and runs.states[0].run.epochs_done >= 0
    assert runs.states[0].history.steps > 0 and runs.states[0].run.folder.parent == runs.folder
