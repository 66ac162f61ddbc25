"""The Data panel: pick a built-in set or open a file or folder, set how it is prepared, see it,
and use it for the network (one undoable edit that also fits the Input and the last layer)."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QApplication, QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout,
                               QGroupBox, QHBoxLayout, QLabel, QLineEdit, QProgressDialog, QPushButton,
                               QScrollArea, QSpinBox, QVBoxLayout, QWidget)

from .. import glossary
from ..data.dataset import NONE, NORMALIZE, STANDARD, DataSpec, builtin_names, prepare
from ..data.raw import DataError
from ..data.standard import DatasetMissing
from ..data.synthetic import GENERATORS, describe, option_defaults
from ..data.text import MAX_VOCAB, SEQ_LEN, TEXT_OPTIONS, UNKNOWN_RULES, is_text

TEXT_DEFAULTS = {"seq_len": SEQ_LEN, "stride": None, "unknown": "replace", "max_vocab": MAX_VOCAB}
from ..graph.events import MetaChanged
from ..train.fitting import use_dataset
from .data_anomaly import AnomalyBox
from .data_narrow import NarrowBox
from .data_preview import DataPreview

STANDARD_HELP = {"mnist": "MNIST handwritten digits, 28x28 (a download of 11 MB, or a folder of its files)",
                 "fashion_mnist": "Fashion-MNIST clothing, 28x28 (a download of 30 MB, or a folder of its files)",
                 "cifar10": "CIFAR-10 photos in 10 classes, 32x32 colour (a download of 163 MB, or its folder)"}
AUGMENT = (("flip", "flip left-right"), ("rotate", "rotate up to (degrees)"), ("crop", "shift up to (pixels)"),
           ("brightness", "brightness up to"), ("noise", "noise (std)"))


class Cancelled(Exception):
    pass


class DataPanel(QWidget):
    """Shows and edits the dataset of the document it is given; follows that document's changes itself."""

    loaded = Signal()  # a dataset was prepared (the window checks the network against it)
    message = Signal(str)  # for the status bar

    def __init__(self, document=None):
        super().__init__()
        self.setObjectName("data")
        self.document = None
        self.prepared = None
        self.source = QComboBox()
        self.source.setObjectName("data_source")
        self.source.setToolTip(glossary.tooltip("data", "source", "dataset"))
        for name in [*builtin_names(), NONE]:
            self.source.addItem(name)
            self.source.setItemData(self.source.count() - 1, self._help(name), Qt.ItemDataRole.ToolTipRole)
        open_file, open_folder = QPushButton("Open File…"), QPushButton("Open Folder…")
        open_file.clicked.connect(self.open_file)
        open_folder.clicked.connect(self.open_folder)
        top = QHBoxLayout()
        top.addWidget(QLabel("Dataset"))
        top.addWidget(self.source, 1)
        top.addWidget(open_file)
        top.addWidget(open_folder)
        self.about = QLabel()
        self.about.setWordWrap(True)

        self.n, self.noise = QSpinBox(), QDoubleSpinBox()
        self.n.setRange(10, 1_000_000)
        self.noise.setRange(0, 100)
        self.noise.setSingleStep(0.05)
        self.target, self.missing = QLineEdit(), QComboBox()
        self.target.setPlaceholderText("the last column")
        self.missing.addItems(["error", "drop", "mean"])
        self.folder = QLineEdit()
        self.folder.setPlaceholderText("the cache folder (type a folder that holds its files)")
        self.seq_len, self.stride, self.unknown, self.max_vocab = QSpinBox(), QSpinBox(), QComboBox(), QSpinBox()
        self.seq_len.setRange(1, 100_000)
        self.stride.setRange(0, 100_000)
        self.stride.setSpecialValueText("seq_len")
        self.unknown.addItems(list(UNKNOWN_RULES))
        self.max_vocab.setRange(2, 1_000_000)
        self.image_size, self.color = QSpinBox(), QComboBox()
        self.image_size.setRange(4, 512)
        self.color.addItems(["rgb", "gray"])
        self.options = QFormLayout()
        self.option_rows = {"n": self.n, "noise": self.noise, "target": self.target, "missing": self.missing,
                            "size": self.image_size, "color": self.color, "folder": self.folder,
                            "seq_len": self.seq_len, "stride": self.stride, "unknown": self.unknown,
                            "max_vocab": self.max_vocab}
        for name, editor in self.option_rows.items():
            editor.setObjectName(f"data_{name}")
            if hasattr(editor, "setKeyboardTracking"):  # one reload when the typing is done, not per key
                editor.setKeyboardTracking(False)
            self.options.addRow(name, editor)
            self._tip(self.options, editor, "data option", name)

        self.normalize = QComboBox()
        self.normalize.addItems(list(NORMALIZE))
        self.val, self.test = QSpinBox(), QSpinBox()
        for box in (self.val, self.test):
            box.setRange(0, 60)
            box.setSuffix(" %")
        self.seed = QSpinBox()
        self.seed.setRange(0, 1_000_000)
        for box in (self.val, self.test, self.seed):
            box.setKeyboardTracking(False)
        prep = QFormLayout()
        for label, editor, name in (("normalize", self.normalize, "normalize"),
                                    ("validation", self.val, "val_fraction"), ("test", self.test, "test_fraction"),
                                    ("seed", self.seed, "seed")):
            prep.addRow(label, editor)
            self._tip(prep, editor, "data", name, label)
        self.augment: dict[str, QWidget] = {}
        for name, label in AUGMENT:
            editor = QCheckBox() if name == "flip" else QDoubleSpinBox()
            if isinstance(editor, QDoubleSpinBox):
                editor.setKeyboardTracking(False)
                editor.setRange(0, 180 if name == "rotate" else 64 if name == "crop" else 1)
                editor.setSingleStep(1 if name in ("rotate", "crop") else 0.05)
            editor.setObjectName(f"augment_{name}")
            self.augment[name] = editor
            prep.addRow(label, editor)
            self._tip(prep, editor, "augment", name, label)

        self.preview = DataPreview()
        self.counts = QLabel()
        self.counts.setObjectName("data_counts")
        self.notes = QLabel()
        self.notes.setObjectName("data_notes")
        self.notes.setWordWrap(True)
        self.use_button = QPushButton("Use for This Network")
        self.use_button.setObjectName("data_use")
        self.use_button.clicked.connect(self.use)
        self.download_button = QPushButton("Download")
        self.download_button.clicked.connect(lambda: self.show_preview(download=True))
        self.options_box, prep_box = QGroupBox("Options"), QGroupBox("Preparation")
        self.options_box.setLayout(self.options)
        self.options_box.setToolTip(glossary.tooltip("data", "options"))
        prep_box.setToolTip(glossary.tooltip("data", "augment", "augmentation"))
        prep_box.setLayout(prep)
        column = QWidget()
        settings = QVBoxLayout(column)
        settings.setContentsMargins(0, 0, 0, 0)
        settings.addWidget(self.options_box)
        self.narrow = NarrowBox()  # above the preparation: what the network learns, then how it is prepared
        self.narrow.changed.connect(self._changed)
        settings.addWidget(self.narrow)
        settings.addWidget(prep_box)
        self.anomaly = AnomalyBox()
        settings.addWidget(self.anomaly)
        settings.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(column)
        scroll.setWidgetResizable(True)
        scroll.setFixedWidth(340)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        right = QVBoxLayout()
        right.addWidget(self.about)
        right.addWidget(self.preview, 1)
        right.addWidget(self.notes)
        right.addWidget(self.counts)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.download_button)
        buttons.addWidget(self.use_button)
        right.addLayout(buttons)
        middle = QHBoxLayout()
        middle.addWidget(scroll)
        middle.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(middle, 1)
        self._quiet = self._loading = self._again = False
        self.prepared_spec = None  # the spec `prepared` was made from
        self.source.currentTextChanged.connect(self._on_source)
        for editor in [*self.option_rows.values(), self.normalize, self.val, self.test, self.seed,
                       *self.augment.values()]:
            signal = getattr(editor, "valueChanged", None) or getattr(editor, "currentTextChanged", None) or \
                getattr(editor, "toggled", None) or editor.editingFinished
            signal.connect(self._changed)
        self.anomaly.changed.connect(self._changed)
        self.set_document(document)

    @staticmethod
    def _tip(form: QFormLayout, editor: QWidget, section: str, name: str, shown: str | None = None) -> None:
        """The setting's plain words (glossary.py) on its editor and its label."""
        tip = glossary.tooltip(section, name, shown)
        editor.setToolTip(tip)
        form.labelForField(editor).setToolTip(tip)

    # ---- the draft: what the panel shows, until used ------------------------------------------
    def set_document(self, document) -> None:
        """Show this document's dataset, and follow it."""
        if document is self.document:
            return
        if self.document is not None:
            self.document.graph.events.disconnect(self._on_event)
        self.document = document
        if document is not None:
            document.graph.events.connect(self._on_event)
        self.refresh()

    def _on_event(self, event) -> None:
        if isinstance(event, MetaChanged) and event.key == "data" and self.spec() != DataSpec.from_dict(
                self.document.graph.meta.get("data")):
            self.refresh()  # an undo, or a file: the draft follows the document

    def refresh(self) -> None:
        """Show the document's dataset (a new document, or after an undo)."""
        if self.document is not None:
            self.show_spec(DataSpec.from_dict(self.document.graph.meta.get("data")))

    def show_spec(self, spec: DataSpec) -> None:
        self._quiet = True
        if spec.is_path:  # the full path rides with its entry in the list
            if self.source.findData(spec.source) < 0:
                self.source.addItem(spec.label, spec.source)
            self.source.setCurrentIndex(self.source.findData(spec.source))
        else:
            self.source.setCurrentText(spec.label)
        o = spec.options
        defaults = {"n": 1000, "noise": 0.1, "target": "", "missing": "error", "size": 32, "color": "rgb",
                    "folder": "", "seq_len": SEQ_LEN, "stride": 0, "unknown": "replace", "max_vocab": MAX_VOCAB}
        if spec.source in GENERATORS:  # what the generator makes when the document names no n or noise
            defaults.update({k: v for k, v in option_defaults(spec.source).items() if k in ("n", "noise")})
        for name, editor in self.option_rows.items():
            value = o.get(name, defaults[name])
            if isinstance(editor, QComboBox):
                editor.setCurrentText(str(value))
            elif isinstance(editor, QLineEdit):
                editor.setText("" if value is None else str(value))
            elif name == "size":
                editor.setValue(int(value[0] if isinstance(value, (list, tuple)) else value))
            elif value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
                editor.setValue(defaults[name])
            else:
                editor.setValue(value)
        self.normalize.setCurrentText(spec.normalize)
        self.val.setValue(round(spec.val_fraction * 100))
        self.test.setValue(round(spec.test_fraction * 100))
        self.seed.setValue(spec.seed)
        self.narrow.show_values(spec.classes, spec.labels_per_class)
        for name, editor in self.augment.items():
            value = spec.augment.get(name, 0)
            editor.setChecked(bool(value)) if isinstance(editor, QCheckBox) else editor.setValue(float(value))
        self.anomaly.show_setting(spec.anomaly)
        self._quiet = False
        self._show_rows()
        self.show_preview()

    def spec(self) -> DataSpec:
        name = self.source.currentText()
        source = self.source.currentData() or name
        kind = "synthetic" if source in GENERATORS else "text" if is_text(source) else \
            "table" if str(source).lower().endswith(
            (".csv", ".tsv", ".txt")) else "folder" if self.source.currentData() and not str(source).lower().endswith(
            (".npy", ".npz")) else "other"
        options = {}
        if kind == "synthetic":
            options = {"n": self.n.value(), "noise": round(self.noise.value(), 4)}
            if source == "digits_rows":
                options.pop("n")
        elif kind == "table":
            target = self.target.text().strip()
            options = {"missing": self.missing.currentText()}
            if target:
                options["target"] = int(target) - 1 if target.isdigit() and int(target) >= 1 else target
        elif kind == "text":
            options = {"seq_len": self.seq_len.value(), "stride": self.stride.value() or None,
                       "unknown": self.unknown.currentText(), "max_vocab": self.max_vocab.value()}
            options = {k: v for k, v in options.items() if k == "seq_len" or v != TEXT_DEFAULTS[k]}
        elif kind == "folder":
            options = {"size": [self.image_size.value(), self.image_size.value()], "color": self.color.currentText()}
        elif source in STANDARD and self.folder.text().strip():
            options = {"folder": self.folder.text().strip()}
        augment = {}
        for name, editor in self.augment.items():
            value = editor.isChecked() if isinstance(editor, QCheckBox) else editor.value()
            if value:
                augment[name] = value
        try:
            classes, per_class = self.narrow.values()
        except DataError:  # show_preview says why
            classes, per_class = [], self.narrow.per_class.value()
        return DataSpec(source=source, options=options, val_fraction=self.val.value() / 100,
                        test_fraction=self.test.value() / 100, normalize=self.normalize.currentText(),
                        augment=augment, seed=self.seed.value(), classes=classes, labels_per_class=per_class,
                        anomaly=self.anomaly.setting())

    def _help(self, name: str) -> str:
        if name == NONE:
            return "No dataset yet: the network is not checked against data, and trains once you choose one"
        if name == "digits":
            return "scikit-learn's 1,797 handwritten digits, 8x8"
        if name == "python_docs":
            return ("Python's own reference text (the topics help() shows; about 465,000 characters), for language"
                    " models: windows of characters, each to predict the next")
        return STANDARD_HELP.get(name) or describe(name)

    def _show_rows(self) -> None:
        spec = self.spec()
        shown = {"synthetic": ("n", "noise"), "table": ("target", "missing"), "folder": ("size", "color"),
                 "standard": ("folder",), "text": TEXT_OPTIONS}
        kind = "synthetic" if spec.source in GENERATORS else "text" if is_text(spec.source) else \
            "table" if "missing" in spec.options else \
            "folder" if "size" in spec.options else "standard" if spec.source in STANDARD else ""
        for name, editor in self.option_rows.items():
            visible = name in shown.get(kind, ())
            if spec.source == "digits_rows" and name == "n":
                visible = False
            self.options.setRowVisible(editor, visible)
        self.about.setText(spec.source if spec.is_path else self._help(spec.source))
        self.options_box.setVisible(bool(kind))
        images = self.prepared is None or self.prepared.raw.kind == "image"
        for name, editor in self.augment.items():  # augmentation is for images
            editor.setEnabled(images)

    # ---- changes -------------------------------------------------------------------------------
    def _on_source(self, name: str) -> None:
        if self._quiet:
            return
        self._show_rows()
        self.show_preview()

    def _changed(self, *args) -> None:
        if not self._quiet:
            self.show_preview()

    def open_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open data", "", "Data (*.csv *.tsv *.txt *.npy *.npz);;"
                                              "All files (*)")
        if path:
            self.open_path(path)

    def open_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open a folder of images, one subfolder per class")
        if path:
            self.open_path(path)

    def open_path(self, path: str) -> None:
        """Show the file or folder at `path`. Opening the file shown again keeps its options; another table
        keeps how missing values are treated."""
        options, shown = self._default_options(str(path)), self.spec()
        if shown.source == str(path):
            options.update(shown.options)
        elif "missing" in options and "missing" in shown.options:
            options["missing"] = shown.options["missing"]
        self.show_spec(DataSpec(source=str(path), options=options))

    @staticmethod
    def _default_options(path: str) -> dict:
        if is_text(path):
            return {"seq_len": SEQ_LEN}
        if path.lower().endswith((".csv", ".tsv", ".txt")):
            return {"missing": "error"}
        if path.lower().endswith((".npy", ".npz")):
            return {}
        return {"size": [32, 32], "color": "rgb"}

    # ---- preview and use ------------------------------------------------------------------------
    def show_preview(self, download: bool = False) -> bool:
        """Load and prepare the draft; show it, or say what is wrong. True when it loaded."""
        if self._loading:  # a change made while loading (the dialog lets events through): load again after
            self._again = True
            return False
        spec = self.spec()
        self.download_button.setVisible(False)
        if spec.source == NONE:
            self._failed("Pick a dataset in the list above, or open a file or folder.", error=False)
            return False
        if self.narrow.error():
            self._failed(self.narrow.error())
            return False
        self._loading, self._again = True, False
        dialog = None
        if spec.is_path or spec.source in STANDARD:
            dialog = QProgressDialog(f"Loading {spec.label}…", "Cancel", 0, 0, self)
            dialog.setWindowModality(Qt.WindowModality.WindowModal)
            dialog.setMinimumDuration(400)

        def progress(done, total):
            if dialog is not None:
                dialog.setMaximum(int(total or 0))
                dialog.setValue(int(done))
                QApplication.processEvents()
                if dialog.wasCanceled():
                    raise Cancelled()

        try:
            self.prepared = prepare(spec, progress, download)
        except DatasetMissing as e:  # a standard set not on this computer yet: offer to fetch it
            self._failed(f"{e}. Press Download to fetch it into {e.folder}, or type the folder that holds its"
                         " files under Options.")
            self.download_button.setVisible(True)
            return False
        except DataError as e:
            self._failed(str(e))
            return False
        except Cancelled:
            self._failed("Loading was cancelled.")
            return False
        finally:
            self._loading = False
            if dialog is not None:
                dialog.close()
        if self._again:
            return self.show_preview(download)
        self.prepared_spec = spec
        self.preview.show()
        try:
            self.preview.show_data(self.prepared)
        except Exception as e:  # noqa: BLE001 - a preview must never take the panel down
            self.preview.clear()
            self._say(f"{spec.label} loaded, but it cannot be previewed: {e}")
        self._show_rows()
        counts = self.prepared.counts()
        raw = self.prepared.raw
        what = f"{raw.classes} classes" if raw.task == "classification" else "regression"
        shape = " x ".join(map(str, self.prepared.sample_shape))
        self.counts.setText(f"{raw.kind}, {shape} per sample, {what}: train {counts['train']:,}, "
                            f"validation {counts['validation']:,}, test {counts['test']:,}")
        self._say("\n".join(raw.notes))  # a line each
        self.loaded.emit()
        return True

    def _failed(self, text: str, error: bool = True) -> None:
        """Nothing loaded: the reason alone, not the last dataset's pictures and counts under it."""
        self.prepared = self.prepared_spec = None
        self.preview.clear()
        self.preview.hide()
        self.counts.setText("")
        self._say(text, error=error)
        self.use_button.setEnabled(False)

    def _say(self, text: str, error: bool = False) -> None:
        self.notes.setText(text)
        self.notes.setStyleSheet("color: #d33;" if error else "")
        self.use_button.setEnabled(not error)

    def use(self) -> None:
        if (self.prepared is None or self.prepared_spec != self.spec()) and not self.show_preview():
            return
        edit, left = use_dataset(self.document.graph, self.spec(), self.prepared)
        self.document.push(edit)
        message = f"The network now trains on {self.spec().label}."
        if left:
            message += " Still to do: " + "; ".join(left) + "."
        self.message.emit(message)
