"""Every template opens from the gallery and trains in the window (one epoch here; the bars are
checked in tests/templates)."""
import pytest

from netbuilder.ui.document import Document
from netbuilder.ui.gallery import Gallery, templates

from uihelpers import make_window


@pytest.mark.parametrize("path", [path for path, _ in templates()], ids=lambda p: p.stem)
def test_the_template_opens_from_the_gallery_and_trains(qtbot, path):
    gallery = Gallery()
    qtbot.addWidget(gallery)
    names = [gallery.list.item(i).text() for i in range(gallery.list.count())]
    assert len(names) == len(templates()) >= 11
    document = Document.from_template(path)
    graph = document.graph
    assert graph.meta["description"] and graph.meta["quality"]["note"] and graph.meta["data"]["source"]
    graph.meta["training"] = {**graph.meta["training"], "epochs": 1}
    window = make_window(qtbot, document)
    assert not [p for p in document.analysis.problems() if p.severity == "error"]
    assert window.training.start()
    qtbot.waitUntil(lambda: window.training.result is not None, timeout=120000)
    assert window.training.result.status == "finished", window.training.result.message
    assert window.training.runs.current.history.steps > 0
