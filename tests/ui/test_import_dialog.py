"""File > Import PyTorch Model…: pick a file and a class, give the shapes, import; problems show in the dialog
and change nothing; the imported document opens with its weights as a run."""
import torch
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from netbuilder.graph.io import dumps
from netbuilder.ui.import_dialog import ImportDialog, install

MODEL = '''import torch
from torch import nn


class Helper(nn.Module):
    def forward(self, x):
        return x


class Small(nn.Module):
    def __init__(self, hidden=16):
        super().__init__()
        self.fc1 = nn.Linear(4, hidden)
        self.fc2 = nn.Linear(hidden, 3)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))
'''


def _open_dialog(window, qtbot) -> ImportDialog:
    exports = window.actions_by_name.get("export_as") or window.actions_by_name["export"]
    action = install(window.bench)
    file_menu = window.menuBar().actions()[0].menu()
    items = file_menu.actions()
    assert items.index(action) == items.index(exports) + 1  # after the Export entries
    assert window.actions_by_name["import"] is action and action.text() == "&Import PyTorch Model…"
    action.trigger()
    dialog = window.findChild(ImportDialog)
    qtbot.waitExposed(dialog)
    return dialog


def _type(qtbot, edit, text):
    edit.clear()
    qtbot.keyClicks(edit, text)
    QTest.keyClick(edit, Qt.Key.Key_Return)
    _settle(qtbot, edit.window())


def _settle(qtbot, dialog):
    """Wait for the file's reading or importing on the pool thread (the busy bar is up meanwhile)."""
    qtbot.waitUntil(lambda: not dialog.background.busy, timeout=20000)


def test_import_opens_the_model_as_a_document_with_its_weights(window, qtbot, tmp_path):
    model = tmp_path / "small.py"
    model.write_text(MODEL)
    dialog = _open_dialog(window, qtbot)
    _type(qtbot, dialog.model, str(model))
    assert not dialog.busy.isVisible() and dialog.import_button.isEnabled()
    assert [dialog.class_box.itemText(i) for i in range(dialog.class_box.count())] == ["Helper", "Small"]
    dialog.class_box.setCurrentText("Small")
    assert dialog.arguments.text() == "forward(x): 1 input shape(s)"
    assert dialog.output.text() == str(tmp_path / "Small.json")
    _type(qtbot, dialog.args, '{"hidden": 8}')
    torch.manual_seed(0)
    namespace = {}
    exec(compile(MODEL, str(model), "exec"), namespace)
    original = namespace["Small"](hidden=8).eval()
    weights = tmp_path / "small.pt"
    torch.save(original.state_dict(), weights)
    _type(qtbot, dialog.weights, str(weights))

    before = dumps(window.document.graph)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)  # no shape yet
    _settle(qtbot, dialog)
    assert "forward takes 1 input(s) (x) and no shape was given" in dialog.error.text()
    assert dialog.isVisible() and not (tmp_path / "Small.json").exists()
    assert dumps(window.document.graph) == before

    _type(qtbot, dialog.shapes, "4")
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert dialog.busy.isVisible() and not dialog.import_button.isEnabled()  # on the pool thread meanwhile
    qtbot.waitUntil(lambda: window.document.path == str(tmp_path / "Small.json"), timeout=20000)  # and closed
    graph = window.document.graph
    assert [n.type for n in graph.nodes()] == ["Input", "Linear", "ReLU", "Linear", "Output"]
    assert graph.by_name("fc1").params["out_features"] == 8
    assert [s.run.name for s in window.document.runs.states] == ["imported weights"]
    x = torch.randn(5, 4)
    from netbuilder.deploy.predict import trained_model, weights_of

    imported = trained_model(graph, weights_of(window.document.path, "imported weights", None))
    with torch.no_grad():
        torch.testing.assert_close(imported(x), original(x))


def test_a_file_that_fails_to_load_is_shown_in_the_dialog(window, qtbot, tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("import torch\nraise ImportError('no such package: fancy')\n")
    dialog = _open_dialog(window, qtbot)
    before = dumps(window.document.graph)
    _type(qtbot, dialog.model, str(broken))
    assert dialog.class_box.count() == 0
    assert dialog.error.text() == "broken.py: line 2: raises ImportError: no such package: fancy when it is loaded"
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)  # the reason stays: no bare "Choose a class"
    _settle(qtbot, dialog)
    assert dialog.error.text() == "broken.py: line 2: raises ImportError: no such package: fancy when it is loaded"
    assert dialog.isVisible() and dumps(window.document.graph) == before
    dialog.reject()


NET = '''from torch import nn


class Net(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 5)
        self.fc = nn.Linear(4 * 24 * 24, classes)

    def forward(self, x):
        return self.fc(self.conv(x).relu().flatten(1))
'''


def test_an_imported_network_opens_on_a_dataset_that_fits_it_or_none_without_an_error(qtbot, tmp_path):
    from netbuilder.compile.importer.model import import_model
    from netbuilder.runs.imported import save_imported
    from netbuilder.ui.document import Document
    from uihelpers import make_window

    model = tmp_path / "net.py"
    model.write_text(NET)
    for classes, source in ((10, "mnist"), (7, "none")):
        path = tmp_path / f"net{classes}.json"
        save_imported(import_model(model, "Net", {"classes": classes}, [[1, 28, 28]]), path, None)
        window = make_window(qtbot, Document.open(str(path)))
        window.problems.refresh()
        assert [p.message for p in window.problems.problems if p.severity == "error"] == []
        assert window.data.source.currentText() == source
        if source == "mnist":  # not on this computer: the panel offers it, the network has no problem
            assert "can be downloaded" in window.data.notes.text() and window.data.download_button.isVisibleTo(window)
        else:
            assert window.data.notes.text() == "Pick a dataset in the list above, or open a file or folder."
            assert window.data.about.text().startswith("No dataset yet")
            assert not window.data.use_button.isEnabled()


TAGGER = '''from dataclasses import dataclass

from torch import nn


@dataclass
class Config:
    vocab: int = 30
    width: int = 8


class Tagger(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.embed = nn.Embedding(config.vocab, config.width)
        self.fc = nn.Linear(config.width, 3)

    def forward(self, tokens):
        return self.fc(self.embed(tokens))


def small(width=8):
    return Tagger(Config(width=width))
'''


def test_a_function_of_the_file_builds_the_model_and_inputs_are_given_whole_with_their_dtype(window, qtbot, tmp_path):
    """As `netbuilder import --factory small --input tokens:int64:2,5` does."""
    model = tmp_path / "tagger.py"
    model.write_text(TAGGER)
    dialog = _open_dialog(window, qtbot)
    _type(qtbot, dialog.model, str(model))
    assert [dialog.class_box.itemText(i) for i in range(dialog.class_box.count())] == ["Tagger", "small()"]
    dialog.class_box.setCurrentText("small()")
    assert dialog.arguments.text() == "a function of the file: called with the Arguments, it returns the model"
    assert dialog.output.text() == str(tmp_path / "small.json")
    _type(qtbot, dialog.args, '{"width": 6}')
    _type(qtbot, dialog.shapes, "tokens:int64:2,5")
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.document.path == str(tmp_path / "small.json"), timeout=20000)
    graph = window.document.graph
    tokens = graph.by_name("tokens")
    assert tokens.params["dtype"] == "int" and tokens.params["shape"] == [5]
    assert graph.by_name("embed").params["embedding_dim"] == 6
