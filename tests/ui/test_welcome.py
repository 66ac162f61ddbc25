"""The welcome page (first start, Help > Getting Started, its three ways in) and the guided first network:
the walk moves on as each step is done with the mouse and keyboard, highlighting what to use next."""
from pathlib import Path

import pytest

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QSpinBox

from netbuilder.graph import SetMeta, SetParam
from netbuilder.graph.edits import move_nodes
from netbuilder.ui import guide, settings, welcome
from netbuilder.ui.app import TEMPLATES
from netbuilder.ui.document import Document
from netbuilder.ui.gallery import Gallery

from uihelpers import double_click, drag, make_window, port_point

LEFT, NONE = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier


def installed(qtbot, document=None):
    window = make_window(qtbot, document)
    welcome.install(window.bench)
    guide.install(window.bench, window.layer_palette, window.training.train_button)
    return window


def test_the_welcome_page_opens_at_start_as_its_box_says_until_unticked(qtbot, config_dir):
    window = installed(qtbot)
    assert not settings.welcomed()  # this test's own settings (conftest), never the user's
    page = welcome.show_on_start(window.bench)
    assert page is not None and page.isVisible() and settings.welcomed()
    assert page.at_start.isChecked()  # "Show this page when netbuilder starts": it did, and it will
    about = page.findChild(QLabel, "welcome_about").text()
    assert about.count(". ") == 2 and about.endswith(".")  # what it does, in three sentences
    page.close()
    page = welcome.show_on_start(window.bench)  # the second start: again, as the box said
    assert page is not None and page.at_start.isChecked()
    qtbot.mouseClick(page.at_start, LEFT)  # unticked
    page.close()
    assert not settings.show_welcome()
    assert (config_dir / "settings.ini").read_text().count("show_welcome=false") == 1
    assert welcome.show_on_start(window.bench) is None  # the next start goes straight to work
    page = welcome.open_welcome(window.bench)  # Help > Getting Started
    assert not page.at_start.isChecked()
    qtbot.mouseClick(page.at_start, LEFT)
    page.close()
    assert settings.show_welcome() and welcome.show_on_start(window.bench) is not None


def test_help_has_getting_started_and_the_page_lists_recent_files(qtbot, tmp_path):
    window = installed(qtbot)
    saved = tmp_path / "mine.json"
    assert window.save_to(str(saved))
    settings.add_recent(str(tmp_path / "gone.json"))
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    action = next(a for a in help_menu.actions() if a.text() == "&Getting Started")
    action.trigger()
    page = window.findChild(welcome.Welcome, "welcome")
    assert page is not None and page.isVisible()
    rows = [page.recent.item(i) for i in range(page.recent.count())]
    assert [r.data(welcome.PATH_ROLE) for r in rows] == [str(tmp_path / "gone.json"), str(saved.resolve())]
    assert not rows[0].flags() & Qt.ItemFlag.ItemIsEnabled and "no longer at" in rows[0].text()
    window.new_document()
    rect = page.recent.visualItemRect(rows[1])
    QTest.mouseClick(page.recent.viewport(), LEFT, NONE, rect.center())
    assert window.document.path == str(saved.resolve()) and not page.isVisible()


def test_open_a_template_from_the_welcome_page(qtbot, monkeypatch):
    window = installed(qtbot, Document())
    monkeypatch.setattr(Gallery, "choose", classmethod(lambda cls, parent=None: str(TEMPLATES / "mlp_digits.json")))
    page = welcome.open_welcome(window.bench)
    qtbot.mouseClick(page.template_button, LEFT)
    assert window.document.graph.meta["name"] == "MLP digits" and not page.isVisible()


def add_from_palette(window, layer_type: str) -> str:
    """Double-click a palette entry (it lands at the view's centre); the new node's id."""
    tree = window.layer_palette.tree
    rect = tree.visualItemRect(window.layer_palette.item_for(layer_type))
    double_click(tree.viewport(), rect.center())
    node = window.document.graph.nodes()[-1]
    assert node.type == layer_type
    return node.id


def test_the_guided_walk_advances_as_each_step_is_done_and_reaches_train(qtbot, one_thread):
    window = installed(qtbot)
    page = welcome.open_welcome(window.bench)
    qtbot.mouseClick(page.walk_button, LEFT)
    walk, graph = window.guide, window.document.graph
    assert len(graph) == 0 and window.docks["First Network"].isVisible()
    assert walk.current == "input" and walk.marked_layer() == "Input"
    assert "1, 8, 8" in walk.explain.text()  # one sample of the digits
    ids = [add_from_palette(window, "Input")]
    if graph.node(ids[0]).params["shape"] != [1, 8, 8]:  # the Input takes the data's shape where it is made
        assert walk.current == "input"
        window.scene.select_nodes(ids)
        box = window.inspector.findChild(QLineEdit, "param_shape")
        box.selectAll()
        QTest.keyClicks(box, "1, 8, 8")
        QTest.keyClick(box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: walk.current == "linear")
    assert walk.marked_layer() == "Linear"
    for layer, after in (("Linear", "relu"), ("ReLU", "linear2"), ("Linear", "output"), ("Output", "wire")):
        ids.append(add_from_palette(window, layer))
        qtbot.waitUntil(lambda: walk.current == after)
    assert walk.marked_layer() is None and "right side" in walk.explain.text()
    window.document.push(move_nodes(graph, {n: (i * 240.0, 0.0) for i, n in enumerate(ids)}))
    window.fit()
    for a, b in zip(ids, ids[1:]):  # wire them with the mouse, port to port
        assert walk.current == "wire"
        drag(window, port_point(window, a, "out", False), port_point(window, b, "in", True))
    qtbot.waitUntil(lambda: walk.current == "fit")
    first = ids[1]
    window.scene.select_nodes([first])  # a Linear fed an image: red, with a fix
    fix = next(b for b in window.inspector.findChildren(QPushButton, "fix") if "Flatten" in b.text())
    qtbot.mouseClick(fix, LEFT)
    assert any(n.type == "Flatten" for n in graph.nodes())
    qtbot.waitUntil(lambda: window.document.analysis.ok())
    assert walk.current == "fit"  # the last Linear still gives 64 scores for 10 classes
    window.scene.select_nodes([ids[3]])
    box = window.inspector.findChild(QSpinBox, "param_out_features")
    box.selectAll()
    QTest.keyClicks(box, "10")
    QTest.keyClick(box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: walk.current == "train")
    train = window.training.train_button
    assert train.styleSheet() and window.docks["Training"].isVisible()
    window.document.push(SetMeta(graph, "training", {"epochs": 1}))
    qtbot.mouseClick(train, LEFT)
    qtbot.waitUntil(lambda: walk.current == "")
    assert "Done" in walk.explain.text() and train.styleSheet() == ""
    assert all(label.text().startswith("✓") for label in walk.labels.values())
    qtbot.waitUntil(lambda: window.training.result is not None, timeout=60000)
    assert window.training.result.status == "finished"


def test_the_walk_steps_back_when_a_step_is_undone_and_ends_with_its_dock(qtbot):
    window = installed(qtbot)
    assert guide.start_walk(window.bench)
    walk, graph = window.guide, window.document.graph
    node = add_from_palette(window, "Input")
    window.document.push(SetParam(graph, node, "shape", [64]))  # a flat Input of 64 values takes the digits too
    add_from_palette(window, "Linear")
    qtbot.waitUntil(lambda: walk.current == "relu")
    window.document.undo_stack.undo()  # the Linear goes: its step is to do again
    qtbot.waitUntil(lambda: walk.current == "linear")
    assert walk.marked_layer() == "Linear"
    window.docks["First Network"].close()  # closing the dock ends the walk and its highlights
    assert walk.document is None and walk.marked_layer() is None
    window.add_layer_at_centre("ReLU")
    assert walk.current is None and window.document.graph.nodes()[-1].type == "ReLU"


def chain(*types):
    from netbuilder.graph import AddNode, Connect, Edge, Graph
    from netbuilder.layers import new_node

    graph, ids = Graph(), []
    for t in types:
        node = new_node(graph, t)
        graph.apply(AddNode(node))
        ids.append(node.id)
    for a, b in zip(ids, ids[1:]):
        graph.apply(Connect(Edge(a, "out", b, "in")))
    return graph, ids


def test_a_chain_is_found_through_other_layers_but_not_out_of_order():
    graph, ids = chain("Input", "Flatten", "Linear", "ReLU", "Linear", "Output")
    assert guide.chained(graph) and guide.last_linear(graph).id == ids[4]
    assert not guide.chained(chain("Input", "ReLU", "Linear", "Linear", "Output")[0])
    assert not guide.chained(chain("Input", "Linear", "ReLU", "Linear")[0])  # no Output yet


def test_welcome_screenshot(qtbot, tmp_path):
    """Rendered offscreen (and looked at: see the README)."""
    window = installed(qtbot)
    page = welcome.open_welcome(window.bench)
    qtbot.waitExposed(page)
    path = Path(tmp_path) / "welcome.png"
    assert page.grab().save(str(path)) and path.stat().st_size > 5000


@pytest.mark.parametrize("named", [True, False])
def test_a_document_opened_by_name_at_start_is_not_covered_by_the_welcome_page(qtbot, config_dir, monkeypatch,
                                                                                tmp_path, named):
    from PySide6.QtWidgets import QApplication

    from netbuilder.ui import app as app_module

    shown, windows = [], []
    monkeypatch.setattr(welcome, "show_on_start", lambda bench: shown.append(bench))
    monkeypatch.setattr(app_module, "offer_recovery", lambda window: windows.append(window))
    monkeypatch.setattr(QApplication, "exec", lambda *a: 0)
    doc = tmp_path / "net.json"
    doc.write_text(app_module.DEFAULT_TEMPLATE.read_text())
    assert app_module.run([str(doc)] if named else []) == 0
    qtbot.addWidget(windows[0])
    assert bool(shown) != named
