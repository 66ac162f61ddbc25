"""ui.background: work on the pool thread, the newest request's answer shown, errors described, and cyclic
garbage collection held only while work runs (also when the view goes away mid-work)."""
import gc
import threading

from PySide6.QtCore import QObject

from netbuilder.errors import UserError
from netbuilder.ui.background import Background


def test_the_newest_answer_is_shown_and_collection_comes_back(qtbot):
    owner = QObject()
    background = Background(owner)
    shown, errors, gate = [], [], threading.Event()
    background.submit(lambda: gate.wait(5) and "first", shown.append, errors.append)
    assert background.busy and not gc.isenabled()  # no collection on the pool thread meanwhile
    background.submit(lambda: "second", shown.append, errors.append)
    background.submit(lambda: "third", shown.append, errors.append)  # replaces the second: it never runs
    gate.set()
    qtbot.waitUntil(lambda: shown == ["third"])
    assert gc.isenabled() and not background.busy
    background.submit(lambda: (_ for _ in ()).throw(UserError("no such file")), shown.append, errors.append)
    qtbot.waitUntil(lambda: errors == ["no such file"])
    gate.clear()
    background.submit(lambda: gate.wait(5), shown.append, errors.append)
    gate.set()  # the owner goes away while the work may still run
    owner.deleteLater()
    qtbot.waitUntil(lambda: gc.isenabled())
