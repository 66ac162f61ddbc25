"""The Data panel: choose a dataset, see it, use it for the network in one undoable step, and
train on it; bad files are said in the panel."""
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel

from uihelpers import make_window


def test_choosing_moons_previews_it_and_using_it_fits_the_network(qtbot):
    window = make_window(qtbot)
    panel = window.data
    window.show_data()
    graph = window.document.graph
    data = graph.meta.get("data")  # the template's own dataset (the digits), if it names one
    assert panel.preview.samples.currentWidget() is panel.preview.images  # the digits, as images
    panel.source.setCurrentText("moons")
    assert panel.preview.samples.currentWidget() is panel.preview.scatter
    assert "train 700, validation 150, test 150" in panel.counts.text()
    qtbot.mouseClick(panel.use_button, Qt.MouseButton.LeftButton)
    assert graph.by_name("image").params["shape"] == [2]
    assert graph.by_name("fc2").params["out_features"] == 2
    assert graph.meta["data"]["source"] == "moons"
    assert "moons" in window.statusBar().currentMessage()
    window.document.undo_stack.undo()  # one step back: the CNN on digits again
    assert graph.by_name("image").params["shape"] == [1, 8, 8] and graph.meta.get("data") == data
    assert panel.source.currentText() == "digits"  # the panel follows the document


def test_training_a_small_mlp_on_spirals_from_the_panel(qtbot):
    from netbuilder import GraphBuilder
    from netbuilder.graph import SetMeta
    from netbuilder.ui.document import Document

    b = GraphBuilder()
    h = b.add("ReLU", b.add("Linear", b.add("Input", shape=[1, 8, 8]), out_features=32))
    b.add("Output", b.add("Linear", b.add("ReLU", b.add("Linear", h, out_features=32)), name="head", out_features=10))
    window = make_window(qtbot, Document(b.graph))
    panel = window.data
    panel.source.setCurrentText("spirals")
    panel.findChild(QComboBox, "data_source")  # the combo a user picks from
    panel.normalize.setCurrentText("standardize")
    panel.use()
    assert b.graph.by_name("head").params["out_features"] == 2
    window.document.push(SetMeta(b.graph, "training", {"epochs": 30, "lr": 0.01, "batch_size": 32}))
    assert window.training.start()
    qtbot.waitUntil(lambda: window.training.result is not None, timeout=60000)
    assert window.training.result.epochs[-1].val_acc > 0.8


def test_a_broken_file_is_said_in_the_panel(qtbot, tmp_path):
    window = make_window(qtbot)
    panel = window.data
    bad = tmp_path / "data.npz"
    bad.write_bytes(b"not a zip at all")
    panel.open_path(str(bad))
    assert "data.npz" in panel.notes.text() and not panel.use_button.isEnabled()
    assert panel.prepared is None
    panel.source.setCurrentText("circles")  # and the user can go on
    assert panel.use_button.isEnabled() and panel.prepared.raw.classes == 2


def write_csv(path, rows=120):
    import random

    rng = random.Random(0)
    lines = ["height,weight,colour,kind"]
    for i in range(rows):
        kind = i % 2
        lines.append(f"{rng.gauss(150 + 30 * kind, 5):.1f},{rng.gauss(50 + 20 * kind, 4):.1f},"
                     f"{rng.choice(['red', 'blue'])},{'big' if kind else 'small'}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_images(folder, per_class=12, size=12):
    from PIL import Image

    for name, value in (("dark", 40), ("light", 215)):
        (folder / name).mkdir(parents=True)
        for i in range(per_class):
            Image.new("RGB", (size, size), (value, value + (i % 3), value)).save(folder / name / f"{i}.png")
    return folder


def test_a_csv_opened_in_the_panel_trains(qtbot, tmp_path):
    from netbuilder.graph import SetMeta

    window = make_window(qtbot)
    panel = window.data
    panel.open_path(str(write_csv(tmp_path / "people.csv")))
    assert panel.prepared.raw.feature_names == ["height", "weight", "colour=blue", "colour=red"]
    assert panel.preview.samples.currentWidget() is panel.preview.table
    assert panel.preview.table.item(0, 4).text() in ("big", "small")
    panel.normalize.setCurrentText("standardize")
    panel.use()
    graph = window.document.graph
    assert graph.by_name("image").params["shape"] == [4] and graph.by_name("fc2").params["out_features"] == 2
    # The CNN cannot read a table; the canvas says so at the node. Make it a small MLP instead.
    assert [p for p in window.document.analysis.problems() if p.severity == "error"]
    window.document.push(SetMeta(graph, "training", {"epochs": 20, "lr": 0.01, "batch_size": 16}))
    from netbuilder import GraphBuilder
    from netbuilder.ui.document import Document

    b = GraphBuilder()
    b.add("Output", b.add("Linear", b.add("ReLU", b.add("Linear", b.add("Input", shape=[4]), out_features=16)),
                          out_features=2))
    b.graph.meta.update(graph.meta)
    window.set_document(Document(b.graph))
    assert window.data.source.currentText() == "people.csv"
    assert window.training.start()
    qtbot.waitUntil(lambda: window.training.result is not None, timeout=60000)
    assert window.training.result.epochs[-1].val_acc > 0.9


def test_an_image_folder_trains_on_the_cnn(qtbot, tmp_path):
    from netbuilder.graph import SetMeta

    window = make_window(qtbot)
    panel = window.data
    folder = write_images(tmp_path / "shades")
    (folder / "light" / "broken.png").write_bytes(b"not a png")
    panel.open_path(str(folder))
    panel.image_size.setValue(8)
    panel.color.setCurrentText("gray")
    assert "skipped 1 unreadable image" in panel.notes.text()
    assert panel.prepared.sample_shape == (1, 8, 8)
    panel.use()
    graph = window.document.graph
    assert graph.by_name("fc2").params["out_features"] == 2
    window.document.push(SetMeta(graph, "training", {"epochs": 3, "batch_size": 8}))
    assert window.training.start()
    qtbot.waitUntil(lambda: window.training.result is not None, timeout=60000)
    assert window.training.result.status == "finished"
    window.training.tabs.setCurrentWidget(window.training.evaluation)
    assert "samples" in window.training.evaluation.findChild(QLabel, "evaluation_summary").text()


def test_a_csv_with_text_in_a_number_column_is_said_where(qtbot, tmp_path):
    window = make_window(qtbot)
    path = write_csv(tmp_path / "people.csv")
    lines = path.read_text().splitlines()
    lines[5] = "abc," + lines[5].split(",", 1)[1]
    path.write_text("\n".join(lines) + "\n")
    window.data.open_path(str(path))
    text = window.data.notes.text()
    assert "people.csv row 6, column 'height': 'abc' is not a number" in text
    assert not window.data.use_button.isEnabled()


def test_a_standard_set_not_here_offers_the_download_and_reads_a_folder(qtbot, tmp_path, data_dir):
    import gzip
    import struct

    import numpy as np

    window = make_window(qtbot)
    panel = window.data
    panel.source.setCurrentText("mnist")
    assert "can be downloaded" in panel.notes.text() and str(data_dir / "mnist") in panel.notes.text()
    assert panel.download_button.isVisibleTo(panel) and not panel.use_button.isEnabled()

    def idx(path, array):
        header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
        with gzip.open(path, "wb") as f:
            f.write(header + array.astype(np.uint8).tobytes())

    folder = tmp_path / "my mnist"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for stem, n in (("train", 60), ("t10k", 20)):
        idx(folder / f"{stem}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)))
        idx(folder / f"{stem}-labels-idx1-ubyte.gz", np.arange(n) % 10)
    panel.folder.setText(str(folder))
    panel.folder.editingFinished.emit()
    assert panel.prepared is not None and panel.prepared.counts()["test"] == 20
    assert not panel.download_button.isVisibleTo(panel)
    panel.use()
    assert window.document.graph.by_name("image").params["shape"] == [1, 28, 28]
    assert window.document.graph.meta["data"]["options"] == {"folder": str(folder)}


def test_an_opened_file_can_be_picked_again_from_the_list(qtbot, tmp_path):
    window = make_window(qtbot)
    panel = window.data
    path = write_csv(tmp_path / "people.csv")
    panel.open_path(str(path))
    panel.source.setCurrentText("moons")
    panel.source.setCurrentText("people.csv")
    assert panel.spec().source == str(path) and panel.prepared.raw.feature_names[0] == "height"
    assert panel.use_button.isEnabled()


def test_a_flat_input_of_the_same_size_keeps_its_shape(qtbot):
    from netbuilder import GraphBuilder
    from netbuilder.ui.document import Document

    b = GraphBuilder()
    b.add("Output", b.add("Linear", b.add("ReLU", b.add("Linear", b.add("Input", shape=[64]), out_features=16)),
                          name="head", out_features=3))
    window = make_window(qtbot, Document(b.graph))
    window.data.use()  # the digits: 64 values per sample, as the Input already takes
    assert b.graph.by_name("input1").params["shape"] == [64] and b.graph.by_name("head").params["out_features"] == 10
    assert not [p for p in window.document.analysis.problems() if p.severity == "error"]


def test_a_bad_cell_leaves_no_old_dataset_under_the_error_and_drop_skips_it_also_when_reopened(qtbot, tmp_path):
    window = make_window(qtbot)
    panel = window.data
    window.show_data()
    good = write_csv(tmp_path / "people.csv")
    panel.open_path(str(good))
    assert panel.preview.isVisible() and panel.preview.table.rowCount() > 0 and "train" in panel.counts.text()
    bad = write_csv(tmp_path / "typo.csv")
    lines = bad.read_text().splitlines()
    lines[5] = "abc," + lines[5].split(",", 1)[1]
    bad.write_text("\n".join(lines) + "\n")
    panel.open_path(str(bad))
    assert "typo.csv row 6, column 'height': 'abc' is not a number" in panel.notes.text()
    assert panel.counts.text() == "" and not panel.preview.isVisible() and panel.preview.table.rowCount() == 0
    assert panel.prepared is None and not panel.use_button.isEnabled()
    missing = panel.findChild(QComboBox, "data_missing")
    missing.setCurrentText("drop")  # the user's answer: skip such rows
    assert panel.prepared is not None and len(panel.prepared.raw.x) == 119
    assert "row 6 'abc' in 'height'" in panel.notes.text() and "dropped 1 row" in panel.notes.text()
    assert panel.preview.isVisible() and "train" in panel.counts.text() and panel.use_button.isEnabled()
    panel.open_path(str(bad))  # File > Open again: the choice stays
    assert missing.currentText() == "drop" and panel.prepared is not None
    panel.open_path(str(good))  # another table: missing values are treated as chosen
    assert missing.currentText() == "drop" and panel.spec().options == {"missing": "drop"}


def test_narrowing_to_digits_5_to_9_with_20_labels_each_from_the_panel(qtbot):
    window = make_window(qtbot)  # the CNN on the digits
    panel = window.data
    window.show_data()
    graph = window.document.graph
    panel.narrow.classes.setText("5-9")
    panel.narrow.classes.editingFinished.emit()  # what leaving the field does
    panel.narrow.per_class.setValue(20)
    assert "5 classes: train 100, validation 134, test 134" in panel.counts.text()
    assert "relabelled 0 to 4" in panel.notes.text() and "9 → 4" in panel.narrow.relabelled.text()
    qtbot.mouseClick(panel.use_button, Qt.MouseButton.LeftButton)
    assert graph.meta["data"]["classes"] == [5, 6, 7, 8, 9] and graph.meta["data"]["labels_per_class"] == 20
    assert graph.by_name("fc2").params["out_features"] == 5
    panel.narrow.classes.setText("5-x")
    panel.narrow.classes.editingFinished.emit()
    assert "'5-x' is neither a class number nor a range" in panel.notes.text() and not panel.use_button.isEnabled()
    panel.narrow.classes.setText("5, 6")
    panel.narrow.classes.editingFinished.emit()
    panel.narrow.per_class.setValue(500)
    assert "fewer than the 500 labels per class" in panel.notes.text() and not panel.use_button.isEnabled()
    window.document.undo_stack.undo()  # the panel follows the document back to all ten digits
    assert panel.narrow.classes.text() == "" and panel.narrow.per_class.value() == 0


def test_the_lessons_scattered_digits_show_the_generators_own_defaults_and_pictures(qtbot):
    from netbuilder.ui.app import TEMPLATES
    from netbuilder.ui.document import Document

    window = make_window(qtbot, Document.from_template(TEMPLATES / "transfer_lesson.json"))
    panel = window.data
    window.show_data()
    assert panel.source.currentText() == "scattered_digits" and window.document.graph.meta["data"]["options"] == {}
    assert panel.n.value() == 8000  # what the generator makes when n is not given, not the panel's 1000
    assert panel.preview.samples.currentWidget() is panel.preview.images
    assert "1 x 28 x 28 per sample, 5 classes: train 2,800, validation 600, test 600" in panel.counts.text()
    assert "placed anywhere on a larger canvas" in panel.about.text()
