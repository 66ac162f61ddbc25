"""File > Import PyTorch Model…: a model's .py file, one of its nn.Module classes (or a function of it that
returns the model, as --factory), the arguments, a shape per input of forward (or NAME:DTYPE:SHAPE per tensor,
as --input) and optionally a state dict, imported (compile/importer/) into a document that
is saved and opened. A problem is shown in the dialog, and nothing is written. The user's file is read and
run on a pool thread (it may do anything when loaded), with a busy bar: the window never waits for it."""
from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout,
                               QLabel, QLineEdit, QProgressBar, QPushButton, QVBoxLayout, QWidget)

from ..compile.importer.inputs import parse_inputs
from ..compile.importer.model import defined, forward_arguments, import_model, parse_args, parse_shape
from ..runs.imported import save_imported
from .background import Background

SHAPES_HINT = "one per input of forward, without the batch: 1x28x28 (several: 1x28x28 10); or whole: tokens:int64:35,20"
FACTORY = "()"  # ends the name of a function of the file in the Class list
# the importer's messages name the command line's options: in the dialog, its fields (in this order)
DIALOG_WORDS = [(r"--input-shape", "Input shapes"),
                (r"\(--input NAME:DTYPE:SHAPE\)", "(NAME:DTYPE:SHAPE in Input shapes)"),
                (r"one --input per", "one NAME:DTYPE:SHAPE per"), (r"with --input\b", "as NAME:DTYPE:SHAPE"),
                (r"check --input \(", "check Input shapes ("), (r"--input ", ""), (r"--args", "Arguments"),
                (r"\(--factory\)", "(a name() in Class)"), (r"--class", "Class"), (r"--weights", "Weights")]


class ImportDialog(QDialog):
    imported = Signal(str)  # the document written

    def __init__(self, parent=None, folder: str | None = None):
        super().__init__(parent)
        self.setWindowTitle("Import PyTorch Model")
        self.folder = folder or str(Path.cwd())
        self.classes: dict[str, type] = {}
        self.factories: list[str] = []
        self._output_edited = False
        self._closing = False  # Cancel was pressed while the user's file ran: the dialog closes when it ends
        self.model = QLineEdit(objectName="model", placeholderText="the .py file that defines the model")
        self._unread = ""  # why the chosen file gave no classes
        self._read_path = ""  # the file whose classes are listed (each reading runs the user's file)
        self.model.editingFinished.connect(self.read_classes)
        self.class_box = QComboBox(objectName="class")
        self.class_box.currentTextChanged.connect(self._on_class)
        self.arguments = QLabel(objectName="arguments")
        self.args = QLineEdit(objectName="args", placeholderText='the class\'s arguments as JSON: {"hidden": 64}')
        self.shapes = QLineEdit(objectName="shapes", placeholderText=SHAPES_HINT)
        self.weights = QLineEdit(objectName="weights", placeholderText="optional: a state dict (.pt) of the class")
        self.output = QLineEdit(objectName="output", placeholderText="where the document is saved (.json)")
        self.output.textEdited.connect(lambda _: setattr(self, "_output_edited", True))
        self.error = QLabel(objectName="error", wordWrap=True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.setStyleSheet("color: #c0392b")
        self.error.setMinimumWidth(520)
        self.busy = QProgressBar(objectName="busy", textVisible=False)
        self.busy.setRange(0, 0)  # a busy bar: reading or importing the file
        self.busy.hide()
        self.background = Background(self)

        form = QFormLayout()
        form.addRow("Model file", self._with_button(self.model, self._choose_model))
        form.addRow("Class", self.class_box)
        form.addRow("", self.arguments)
        form.addRow("Arguments", self.args)
        form.addRow("Input shapes", self.shapes)
        form.addRow("Weights", self._with_button(self.weights, self._choose_weights))
        form.addRow("Save as", self._with_button(self.output, self._choose_output))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.import_button = self.buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.do_import)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.busy)
        layout.addWidget(self.buttons)

    def keyPressEvent(self, event) -> None:
        """Return finishes the field it is typed in (the model file: its classes are read); Import is clicked."""
        if event.key() not in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            super().keyPressEvent(event)

    def _with_button(self, edit: QLineEdit, slot) -> QWidget:
        row = QWidget()
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(edit, 1)
        button = QPushButton("Browse…", autoDefault=False)
        button.clicked.connect(slot)
        box.addWidget(button)
        return row

    # ---- choosing --------------------------------------------------------------------------------
    def _choose_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "PyTorch model", self.folder, "Python files (*.py)")
        if path:
            self.model.setText(path)
            self.read_classes()

    def _choose_weights(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Weights of the model", self.folder,
                                              "PyTorch files (*.pt *.pth *.bin);;All files (*)")
        if path:
            self.weights.setText(path)

    def _choose_output(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the document as", self.output.text() or self.folder,
                                              "netbuilder documents (*.json)")
        if path:
            self.output.setText(path if path.endswith(".json") else path + ".json")
            self._output_edited = True

    def read_classes(self) -> None:
        """The nn.Module classes of the chosen file, in the Class list (or why there are none)."""
        text = self.model.text().strip()
        if text and text == self._read_path and (self.classes or self._unread):
            return  # the same file again (Return, or leaving the field): not run again
        self._read_path = text
        self.class_box.clear()
        self.classes = {}
        self.error.clear()
        self._unread = ""  # why the file gave no classes, said again when Import is pressed
        if text:
            self._working(True)
            self.background.submit(lambda: defined(text), lambda found: self._classes_read(text, *found),
                                   self._read_failed)

    def _classes_read(self, text: str, classes: dict, factories: list[str]) -> None:
        if self._working(False):
            return
        self.classes, self.factories = classes, factories
        if not classes and not factories:
            self._unread = f"{Path(text).name} defines no nn.Module class (nor a function that could return one)"
            self.error.setText(self._unread)
        self.class_box.addItems(list(classes) + [f + FACTORY for f in factories])

    def _read_failed(self, message: str) -> None:
        if self._working(False):
            return
        self._unread = message = dialog_words(message)
        self.error.setText(message)

    def _working(self, on: bool) -> bool:
        """Show the busy bar or take it down; True when the work ended after Cancel (the dialog is closed)."""
        self.busy.setVisible(on)
        self.import_button.setEnabled(not on)
        if not on and self._closing:
            super().reject()
            return True
        return False

    def reject(self) -> None:
        if not self.background.busy:
            super().reject()
            return
        self._closing = True  # the user's code is running and cannot be stopped: closing waits for it to end
        self.error.setText("The model file's code is still running (it runs when the file is read or imported);"
                           " the dialog closes when it ends.")

    def _on_class(self, name: str) -> None:
        cls = self.classes.get(name)
        names = forward_arguments(cls) if cls is not None else []
        factory = name.endswith(FACTORY) and name[:-len(FACTORY)] in self.factories
        needed = len([n for n in names if "=" not in n]) or len(names[:1])
        self.arguments.setText(f"forward({', '.join(names)}): {needed} input shape(s)" if cls else
                               "a function of the file: called with the Arguments, it returns the model" if factory
                               else "")
        if (cls is not None or factory) and not self._output_edited and self.model.text().strip():
            stem = name.removesuffix(FACTORY)
            self.output.setText(str(Path(self.model.text().strip()).with_name(f"{stem}.json")))

    # ---- importing -------------------------------------------------------------------------------
    def do_import(self) -> bool:
        """Import and save on the pool thread; on any problem show it here and write nothing. False when
        something is missing (said here), else True: the import has started."""
        self.error.clear()
        model, name, output = self.model.text().strip(), self.class_box.currentText(), self.output.text().strip()
        missing = [what for what, value in (("a model file", model), ("a class", name), ("where to save", output))
                   if not value]
        if missing:
            unread = self._unread if model and not name else ""
            self.error.setText(unread or f"Choose {', '.join(missing)}.")
            return False
        if self.background.busy:
            return False  # the file is still being read
        if not output.endswith(".json"):
            output += ".json"
        shape_text, args_text = self.shapes.text(), self.args.text().strip()
        weights = self.weights.text().strip() or None

        factory = name.removesuffix(FACTORY) if name.endswith(FACTORY) else None

        def work():
            texts = shape_text.replace(";", " ").split()
            whole = any(":" in t for t in texts)  # NAME:DTYPE:SHAPE, as --input
            shapes = [] if whole else [parse_shape(s) for s in texts]
            result = import_model(model, None if factory else name, parse_args(args_text), shapes or None, weights,
                                  inputs=parse_inputs(texts) if whole else None, factory=factory)
            save_imported(result, output, weights)
            return output
        self._working(True)
        self.background.submit(work, self._imported, self._import_failed)
        return True

    def _imported(self, output: str) -> None:
        self._closing = False  # the import ended: its document opens, Cancel or not
        self._working(False)
        self.imported.emit(output)
        self.accept()

    def _import_failed(self, message: str) -> None:
        if self._working(False):
            return
        self.error.setText(dialog_words(message))


def dialog_words(message: str) -> str:
    """An importer's message with the dialog's field names for the command line's options."""
    for pattern, words in DIALOG_WORDS:
        message = re.sub(pattern, words, message)
    return message


def open_dialog(bench) -> ImportDialog:
    """The dialog over the window; the imported document opens in it."""
    document = bench.document
    folder = str(Path(document.path).parent) if document is not None and document.path else None
    dialog = ImportDialog(bench.widget, folder)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.imported.connect(bench.open_file)
    dialog.open()
    return dialog


def install(bench) -> QAction:
    """File > Import PyTorch Model…, after the Export entries (or at the end of the File menu; once)."""
    found = bench.action("import")
    if found is not None:
        return found
    action = QAction("&Import PyTorch Model…", bench.widget)
    action.triggered.connect(lambda: open_dialog(bench))
    return bench.add_action("file", "import", action, after=("export_as", "export", "save_as"))
