"""File > Export…: the network as PyTorch source, ONNX, TorchScript or a training script. ONNX and TorchScript
carry weights: one of the document's runs, or fresh ones. The export and its check run on a thread of their own
while a busy bar shows; the dialog then shows the check's result ("ONNX: outputs match, max difference 7e-08")
or what went wrong.

While the thread works, cyclic garbage is not collected (as while training, see
training.worker.hold_garbage_collection): a collection on the window's thread during torch.export crashed the
app (a segmentation fault in the garbage collector), and one on the export thread could free Qt objects there."""
from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QProgressBar, QPushButton, QVBoxLayout)

from ..atomic import write_atomic
from ..compile import export_source
from ..errors import describe
from ..graph.io import dumps, loads
from ..layers import check_node
from ..deploy.formats import export_network
from ..deploy.predict import weights_fit, weights_of
from ..runs.run import list_runs
from .training.worker import hold_garbage_collection, release_garbage_collection

# (key, label, suffix, file filter); "script" is the training script of netbuilder.deploy.script
FORMATS = [("py", "PyTorch source (.py)", ".py", "Python files (*.py)"),
           ("onnx", "ONNX (.onnx)", ".onnx", "ONNX models (*.onnx)"),
           ("torchscript", "TorchScript (.pt)", ".pt", "TorchScript models (*.pt)"),
           ("script", "Training script (.py)", ".py", "Python files (*.py)")]
WITH_WEIGHTS = ("onnx", "torchscript")


def export(graph, document: str | None, fmt: str, path: str, run: str | None, network: str | None,
           progress=None) -> str:
    """Write `graph` as `fmt` to `path`; returns what was done, in words. Raises what the export raises."""
    if fmt == "py":
        write_atomic(path, export_source(graph, network))
        return f"PyTorch source: wrote {path}"
    if fmt == "script":
        from ..deploy.script import write_script

        written = write_script(graph, path, network)
        return f"Training script: wrote {', '.join(map(str, written))}"
    done = export_network(graph, document, fmt, path, run=run, network=network, progress=progress)
    return f"{done.summary()}\nweights: {done.weights}\nwrote {done.path} ({done.how})"


class _Signals(QObject):
    """What the export thread reports, queued to the window's thread. It lives (in EXPORTING) until the thread
    ends, whatever happens to the dialog."""
    stage = Signal(str)
    finished = Signal(str)
    failed = Signal(str)
    ended = Signal()

    def __init__(self):
        super().__init__()
        self.ended.connect(self._on_ended)  # a slot of this QObject: queued to the window's thread

    @Slot()
    def _on_ended(self) -> None:
        EXPORTING.discard(self)
        release_garbage_collection()


EXPORTING: set[_Signals] = set()  # exports whose thread has not ended


def _start(signals: _Signals, args: tuple) -> None:
    def work():
        try:
            signals.finished.emit(export(*args, progress=signals.stage.emit))
        except Exception as e:  # noqa: BLE001 - the dialog's boundary: describe() logs a bug's traceback
            signals.failed.emit(describe(e))
        finally:
            signals.ended.emit()

    EXPORTING.add(signals)
    hold_garbage_collection()
    threading.Thread(target=work, name="netbuilder-export", daemon=True).start()


class ExportDialog(QDialog):
    def __init__(self, document, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.setObjectName("export_dialog")
        self.setMinimumWidth(560)
        self.document = document
        self._running = False

        self.format = QComboBox(objectName="export_format")
        for key, label, _, _ in FORMATS:
            self.format.addItem(label, key)
        self.weights = QComboBox(objectName="export_weights")
        self.weights.addItem("Fresh weights (newly initialised, not trained)", None)
        self.note = ""
        self._fill_weights(document)
        self.network = QComboBox(objectName="export_network")
        self.network.addItem("The whole document", None)
        graph = document.graph
        for part in graph.networks():
            for node_id in part:
                if graph.node(node_id).type == "Output":
                    self.network.addItem(graph.node(node_id).name, graph.node(node_id).name)
        self.path = QLineEdit(objectName="export_path")
        self.browse = QPushButton("Choose…", objectName="export_browse")
        self.browse.clicked.connect(self._choose_path)
        where = QHBoxLayout()
        where.addWidget(self.path, 1)
        where.addWidget(self.browse)

        self.form = form = QFormLayout()
        form.addRow("Format", self.format)
        form.addRow("Weights", self.weights)
        form.addRow("Network", self.network)
        form.addRow("File", where)
        form.setRowVisible(self.network, self.network.count() > 2)  # only when the document has several
        self.busy = QProgressBar(objectName="export_busy")
        self.busy.setRange(0, 0)  # a busy bar, no percentage
        self.busy.setTextVisible(False)
        self.busy.hide()
        self.outcome = QLabel(objectName="export_result")
        self.outcome.setWordWrap(True)
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.outcome.setMinimumHeight(self.outcome.fontMetrics().lineSpacing() * 3)
        self.outcome.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.ActionRole)
        self.export_button.setObjectName("export_run")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addSpacing(6)
        layout.addWidget(self.busy)
        layout.addWidget(self.outcome)
        layout.addWidget(self.buttons)
        self.format.setCurrentIndex(1)  # ONNX: what this dialog is mostly for (Ctrl+E writes the source)
        self.format.currentIndexChanged.connect(self._on_format)
        self.path.setText(self._default_path())
        self._on_format()
        self.outcome.setText(self.note)

    def _fill_weights(self, document) -> None:
        """The document's trained runs, the latest first chosen whose weights fit the network as it is now
        (a run from before an edit or Apply Best does not): else fresh weights, said."""
        trained = [r for r in list_runs(document.runs.folder) if r.weights() is not None]
        fitting = None
        for run in reversed(trained):  # newest first; stop at the first that fits
            if weights_fit(document.graph, weights_of("", str(run.folder), None)):
                fitting = run
                break
        for run in trained:
            summary = ", ".join(t for t in (run.status.replace("_", " "), run.summary()) if t)
            newer = fitting is None or trained.index(run) > trained.index(fitting)  # checked: they do not fit
            changed = "; the network has changed since" if newer else ""
            self.weights.addItem(f"{run.name} ({summary}{changed})", str(run.folder))
        if fitting is not None:
            self.weights.setCurrentIndex(1 + trained.index(fitting))
        elif trained:
            self.note = ("No run's weights fit the network as it is now (it changed after those runs):"
                         " fresh weights are chosen.")

    # ---- choices ---------------------------------------------------------------------------------------------
    def fmt(self) -> str:
        return self.format.currentData()

    def _suffix(self) -> str:
        return next(f[2] for f in FORMATS if f[0] == self.fmt())

    def _default_path(self) -> str:
        path = self.document.path
        folder = Path(path).parent if path else Path.cwd()
        stem = Path(path).stem if path else Path(self.document.title).stem or "network"
        return str(folder / (stem + self._suffix()))

    def _on_format(self) -> None:
        self.form.setRowVisible(self.weights, self.fmt() in WITH_WEIGHTS)  # source and scripts carry no weights
        text = self.path.text().strip()
        known = {f[2] for f in FORMATS}
        if text and Path(text).suffix in known and Path(text).suffix != self._suffix():
            self.path.setText(str(Path(text).with_suffix(self._suffix())))
        self.outcome.clear()

    def _choose_path(self) -> None:
        key = self.fmt()
        filters = next(f[3] for f in FORMATS if f[0] == key)
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.path.text(), f"{filters};;All files (*)")
        if path:
            self.path.setText(path)

    # ---- the export ------------------------------------------------------------------------------------------
    def running(self) -> bool:
        return self._running

    def start(self) -> None:
        path = self.path.text().strip()
        if not path:
            self._on_failed("say where to write the file")
            return
        graph = loads(dumps(self.document.graph), check_node)  # the pool thread gets its own copy
        run = self.weights.currentData() if self.fmt() in WITH_WEIGHTS else None
        args = (graph, self.document.path, self.fmt(), path, run, self.network.currentData())
        self._set_busy(True, f"exporting to {self.format.currentText()}…")
        signals = _Signals()
        signals.stage.connect(self._on_stage)
        signals.finished.connect(self._on_finished)
        signals.failed.connect(self._on_failed)
        _start(signals, args)

    def _set_busy(self, busy: bool, text: str = "") -> None:
        for widget in (self.format, self.weights, self.network, self.path, self.browse, self.export_button,
                       self.buttons.button(QDialogButtonBox.StandardButton.Close)):
            widget.setEnabled(not busy)
        self._running = busy
        self.busy.setVisible(busy)
        self.outcome.setStyleSheet("")
        self.outcome.setText(text)

    def _on_stage(self, text: str) -> None:
        if self.running():
            self.outcome.setText(text[:1].upper() + text[1:] + "…")

    def _on_finished(self, text: str) -> None:
        self._set_busy(False)
        head, _, rest = text.partition("\n")
        self.outcome.setText(f"<b>{_html(head)}</b>" + (f"<br>{_html(rest).replace(chr(10), '<br>')}" if rest else ""))

    def _on_failed(self, text: str) -> None:
        self._set_busy(False)
        self.outcome.setStyleSheet("color: #c0392b")
        self.outcome.setText(f"<b>Not exported</b>: {_html(text).replace(chr(10), '<br>')}")

    def reject(self) -> None:
        if self.running():
            return  # the export finishes first (Close is disabled meanwhile)
        super().reject()

    def closeEvent(self, event) -> None:
        if self.running():
            event.ignore()
            return
        super().closeEvent(event)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def open_dialog(bench) -> ExportDialog:
    """File > Export… on the window's document (window-modal, so the document cannot change meanwhile)."""
    dialog = ExportDialog(bench.document, bench.widget)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def install(bench) -> QAction:
    """File > Export… (Ctrl+Shift+E), after Export PyTorch Code… (once)."""
    found = bench.action("export_as")
    if found is not None:
        return found
    action = QAction("Export (ONNX, TorchScript, Script)…", bench.widget)
    action.setShortcut(QKeySequence("Ctrl+Shift+E"))
    action.triggered.connect(lambda: open_dialog(bench))
    return bench.add_action("file", "export_as", action, after=("export",))
