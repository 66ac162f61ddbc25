"""The main window: palette | canvas | inspector, problems below; menus, files, shortcuts."""
from __future__ import annotations

import json
import time
from pathlib import Path

from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (QApplication, QFileDialog, QLabel, QMainWindow, QMessageBox, QUndoView,
                               QVBoxLayout, QWidget)

from ..errors import UserError
from ..graph.clipboard import copy_nodes, is_copied_nodes, paste_edit
from ..graph.io import FileFormatError
from ..graph.layout import NODE_WIDTH, layered_positions, make_room
from ..graph.edits import move_nodes
from ..layers import check_node
from . import (about_pane, blocks, board_link, closing, export_dialog, glossary_view, guide, import_dialog,
               layer_reference, optimize_dialog, recent_runs, serve_link, settings, start_from_run, welcome)
from .readable import show_readable
from .trust_prompt import trust_opened
from .canvas import connect_to
from .canvas.breadcrumb import Breadcrumb
from .canvas.canvas import Canvas
from .canvas.scene import GraphScene
from .canvas.stack import CanvasStack
from .canvas.view import GraphView
from .document import Document
from .inspector import Inspector
from .palette import Palette
from .problems_panel import ProblemsPanel
from .recovery import Autosave
from .data_panel import DataPanel
from .training.controller import RunController
from .training.gradient_view import tints
from .training.panel import TrainingPanel
from .workbench import Workbench

TINT_SECONDS = 0.5  # node tints follow the gradients twice a second
WARN_SECONDS = 1.0  # the diagnosis reaches the nodes at most once a second while training

FILTER = "netbuilder documents (*.json);;All files (*)"
WINDOWS: list["MainWindow"] = []  # open windows (kept alive here)


PICTURE_HEIGHT = 470  # the Training dock's height for the Boundary and Inside tabs, at least

class MainWindow(QMainWindow):
    def __init__(self, document: Document | None = None):
        super().__init__()
        WINDOWS.append(self)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setAcceptDrops(True)
        self.document: Document | None = None
        self.message_box: QMessageBox | None = None
        self.view = GraphView(None, self)
        self.stack = CanvasStack(self)  # which graph the canvas shows: the document's, or a block opened in it
        self.canvas = Canvas(self.view, self.stack, self)
        self.breadcrumb = Breadcrumb(self.stack)  # above the canvas: where it is, and the way back
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.breadcrumb)
        column.addWidget(self.view)
        self.setCentralWidget(central)
        self.stack.message.connect(self.show_status)
        self.canvas.message.connect(self.show_status)
        self.canvas.sceneChanged.connect(self._on_scene)
        self.canvas.graphChanged.connect(self._show_count)
        self.canvas.zoomChanged.connect(self._show_count)
        self.canvas.selectionChanged.connect(self._on_selection)
        self.canvas.nodeHovered.connect(self._on_hover)
        self.canvas.duplicateRequested.connect(self.duplicate)
        self.layer_palette = Palette()
        self.inspector = Inspector()
        self.inspector.follow(self.canvas)  # the layer selected on whichever graph the canvas shows
        self.problems = ProblemsPanel()
        self.history = QUndoView()
        self.history.setObjectName("history")
        self.history.setEmptyLabel("The document as opened")  # the first row: click it to undo everything
        self.controller = RunController(self)
        self.training = TrainingPanel(self.controller)
        self.training.message.connect(self.show_status)
        self.controller.started.connect(self._on_training_started)
        self.controller.stepped.connect(self._on_training_progress)
        self.controller.ended.connect(self._on_training_ended)
        self._tinted_at = self._warned_at = 0.0
        self._shown_warnings = None
        self.data = DataPanel()
        self.data.loaded.connect(self._on_data_loaded)
        self.data.message.connect(lambda text: self.show_status(text, 8000))
        self.data.preview.sampleChosen.connect(self._look_at)
        self.training.picturesShown.connect(self._room_for_pictures)
        self.bench = Workbench(self, {"open_file": self.open_file, "new_document": self.new_document,
                                      "new_from_template": self.new_from_template, "show_document": self.show_document})
        self.docks, self.actions_by_name = self.bench.docks, self.bench.actions
        self.bench.documentChanged.connect(self.training.set_document)
        self.bench.documentChanged.connect(self.data.set_document)
        self.canvas.sceneChanged.connect(lambda scene: self.bench.canvasChanged.emit(scene.document if scene else None))
        self._make_actions()
        area = Qt.DockWidgetArea
        for title, widget, where in (("Layers", self.layer_palette, area.LeftDockWidgetArea),
                                     ("Inspector", self.inspector, area.RightDockWidgetArea),
                                     ("Problems", self.problems, area.BottomDockWidgetArea),
                                     ("History", self.history, area.BottomDockWidgetArea),
                                     ("Training", self.training, area.BottomDockWidgetArea),
                                     ("Data", self.data, area.BottomDockWidgetArea)):
            self.bench.add_dock(title, widget, where)
        for title in ("History", "Training", "Data"):
            self.tabifyDockWidget(self.docks["Problems"], self.docks[title])
        self.docks["Problems"].raise_()
        edit = self.bench.menu("edit")
        edit.addSeparator()
        edit.addAction(self.docks["History"].toggleViewAction())
        self.zoom_label = QLabel()
        self.statusBar().addPermanentWidget(self.zoom_label)
        # the pieces: each gets the workbench and its models, and puts its docks and menu entries in
        self.about_pane = about_pane.install(self.bench)
        self.guide = guide.install(self.bench, self.layer_palette, self.training.train_button)
        layer_reference.install(self.bench, self.inspector)
        welcome.install(self.bench)
        export_dialog.install(self.bench)  # File > Export… and Import…
        import_dialog.install(self.bench)
        recent_runs.install(self.bench)  # File > Open Recent, and Recent Runs: the runs of documents closed unsaved
        glossary_view.install(self.bench)
        self.board_link = board_link.install(self.bench)
        start_from_run.install(self.bench, self.training.run_list)
        optimize_dialog.install(self.bench, self.training.run_list)  # the run list's Optimize…
        self.serve_link = serve_link.install(self.bench, self.training.run_list)  # and Serve This Run
        self.blocks = blocks.install(self.bench, self.stack, self.canvas, self.layer_palette, self.inspector)
        connect_to.install(self.bench, self.canvas)  # Edit > Connect To…
        self.layer_palette.layerActivated.connect(self.add_layer_at_centre)
        self.problems.nodeRequested.connect(self.show_node)
        self.problems.fixRequested.connect(lambda fix: self.scene.apply_fix(fix))
        self.autosave = Autosave(self.bench)
        self.set_document(document or Document())
        self.resize(1280, 800)
        self.resizeDocks([self.docks["Layers"], self.docks["Inspector"]], [190, 270],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["Problems"]], [130], Qt.Orientation.Vertical)
        self._restore_layout()

    # ---- actions ---------------------------------------------------------------------------
    def _make_actions(self) -> None:
        K = QKeySequence.StandardKey
        menus = {name: self.bench.menu(name) for name in ("file", "edit", "view", "train", "help")}  # in this order

        def add(menu, name, text, slot, keys=None, checkable=False):
            action = QAction(text, self)
            if keys is not None:
                action.setShortcuts(keys if isinstance(keys, list) else [keys])
            action.setCheckable(checkable)
            action.triggered.connect(slot)
            return self.bench.add_action(menu, name, action)

        add("file", "new", "&New", self.new_document, K.New)
        add("file", "new_window", "New &Window", lambda: MainWindow().show(), QKeySequence("Ctrl+Shift+N"))
        add("file", "template", "New from &Template…", self.new_from_template, QKeySequence("Ctrl+T"))
        add("file", "open", "&Open…", self.choose_and_open, K.Open)
        menus["file"].addSeparator()
        add("file", "save", "&Save", self.save, K.Save)
        add("file", "save_as", "Save &As…", self.save_as, QKeySequence("Ctrl+Shift+S"))
        add("file", "export", "&Export PyTorch Code…", self.choose_and_export, QKeySequence("Ctrl+E"))
        menus["file"].addSeparator()
        add("file", "close", "&Close Window", self.close, K.Close)
        add("file", "quit", "&Quit", QApplication.closeAllWindows, K.Quit)

        self.undo_action = add("edit", "undo", "&Undo", lambda: self.document.undo_stack.undo(), K.Undo)
        self.redo_action = add("edit", "redo", "&Redo", lambda: self.document.undo_stack.redo(),
                               [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        menus["edit"].addSeparator()
        add("edit", "cut", "Cu&t", self.cut, K.Cut)
        add("edit", "copy", "&Copy", self.copy, K.Copy)
        add("edit", "paste", "&Paste", self.paste, K.Paste)
        add("edit", "duplicate", "&Duplicate", self.duplicate, QKeySequence("Ctrl+D"))
        add("edit", "delete", "De&lete", lambda: self.scene.delete_selection(),
            [QKeySequence(Qt.Key.Key_Delete), QKeySequence(Qt.Key.Key_Backspace)])
        add("edit", "select_all", "Select &All", self.select_all, K.SelectAll)

        add("view", "zoom_in", "Zoom &In", lambda: self._zoom(1.25), [QKeySequence(K.ZoomIn), QKeySequence("=")])
        add("view", "zoom_out", "Zoom &Out", lambda: self._zoom(0.8), [QKeySequence(K.ZoomOut), QKeySequence("-")])
        add("view", "fit", "&Fit to View", self.fit, QKeySequence("F"))
        self.snap_action = add("view", "snap", "&Snap to Grid", self._toggle_snap, QKeySequence("Ctrl+G"),
                               checkable=True)
        self.snap_action.setChecked(True)
        add("view", "layout", "&Auto Layout", self.auto_layout, QKeySequence("Ctrl+L"))
        menus["view"].addSeparator()  # the docks follow

        add("train", "train", "&Train", self.start_training, QKeySequence("Ctrl+R"))
        add("train", "data", "Choose &Data…", self.show_data, QKeySequence("Ctrl+Shift+D"))
        add("train", "resume", "Resume From &Last Checkpoint", lambda: self.start_training(resume=True))
        add("train", "sweep", "S&weep…", self.start_sweep)
        add("train", "tensorboard", "Open in &TensorBoard", self.open_tensorboard)
        add("train", "pause", "&Pause / Resume", lambda: self.training.toggle_pause(), QKeySequence("Ctrl+P"))
        add("train", "stop", "&Stop", lambda: self.training.stop(), QKeySequence("Ctrl+."))

        add("help", "about", "&About netbuilder", self._about)

    # ---- the document ----------------------------------------------------------------------
    def show_data(self) -> None:
        self.bench.show_dock("Data")

    def start_training(self, resume: bool = False) -> None:
        # The panel is raised (laid out) in the press, and painted in the next turn of the event loop: two short
        # stalls rather than one long one (the run builds its trainer once the window has painted it, see
        # worker.WindowPulse.settle)
        self._show_training()
        self.training.start(resume)

    def start_sweep(self) -> None:
        """Train > Sweep: the form, then the sweep on the training thread."""
        from .training.sweep_dialog import SweepDialog

        dialog = SweepDialog(self.document.graph, self)
        if dialog.exec() and dialog.spec() is not None:
            if self.training.start_sweep(dialog.spec()):
                QTimer.singleShot(0, self._show_training)

    def open_tensorboard(self) -> None:
        """Train > Open in TensorBoard: on this document's runs, in the browser once it answers."""
        self.board_link.open(self.document.runs.folder)

    def _show_training(self) -> None:
        self.bench.show_dock("Training")

    def set_document(self, document: Document) -> None:
        self.controller.shutdown()  # a run belongs to the document it started on
        old = self.document
        self.document = document
        document.setParent(self)
        self.stack.set_document(document)  # on its own canvas (the old one's scenes are let go)
        self._on_data_loaded()  # the dataset the Data panel holds, checked against this document
        stack = document.undo_stack
        self.history.setStack(stack)
        stack.cleanChanged.connect(self._update_title)
        document.runs.listChanged.connect(self._update_title)  # an untitled document's runs want saving too
        stack.canUndoChanged.connect(self.undo_action.setEnabled)
        stack.canRedoChanged.connect(self.redo_action.setEnabled)
        stack.undoTextChanged.connect(self._on_undo_text)
        stack.redoTextChanged.connect(self._on_redo_text)
        self.undo_action.setEnabled(stack.canUndo())
        self.redo_action.setEnabled(stack.canRedo())
        if old is not None:
            old.close()
            old.deleteLater()
            self.autosave.discard()
        self.inspector.show_node(None, None)
        self.bench.documentChanged.emit(document)  # the panels that show the document follow it
        self._update_title()
        QTimer.singleShot(0, self.show_start)

    @property
    def scene(self) -> GraphScene | None:
        """The scene the canvas shows: the document's, or an open block's."""
        return self.canvas.scene

    def _on_scene(self, scene: GraphScene) -> None:
        """The canvas shows another graph: the Problems panel lists its problems."""
        if scene is not None:
            self.problems.set_model(scene.problems)
            self._show_count()

    def _on_hover(self, node_id: str) -> None:
        """The Boundary tab paints the unit of the layer under the mouse (the network's own layers)."""
        graph = self.scene.graph
        self.training.hover_layer(graph.node(node_id).name if node_id in graph and graph is self.document.graph
                                  else None)

    def _on_undo_text(self, text: str) -> None:
        self.undo_action.setText(f"&Undo {text}".strip())

    def _on_redo_text(self, text: str) -> None:
        self.redo_action.setText(f"&Redo {text}".strip())

    def show_status(self, text: str, ms: int = 6000) -> None:
        self.statusBar().showMessage(text, ms)

    def _on_data_loaded(self) -> None:
        self.document.problems.set_data(self.data.prepared, self.data.prepared_spec)

    def show_training_warnings(self, warnings) -> None:
        self.document.problems.set_diagnosis(warnings)

    # ---- what training shows on the canvas ---------------------------------------------------
    def _on_training_started(self, state) -> None:
        self.canvas.top_scene.set_tints({})
        self.show_training_warnings([])
        self._tinted_at = self._warned_at = 0.0

    def _on_training_progress(self, state) -> None:
        now = time.perf_counter()
        if now - self._tinted_at >= TINT_SECONDS:  # repainting the canvas is the costly part of an update
            self._tinted_at = now
            colors = tints(state)
            ids = {n.name: n.id for n in self.document.graph.nodes()}  # renames count
            self.canvas.top_scene.set_tints({ids[name]: color for name, color in colors.items() if name in ids})
            if self.stack.blocks:  # an open block's layers, by their names in the model (its first copy)
                ids = {self.stack.model_name(n.name): n.id for n in self.scene.graph.nodes()}
                self.scene.set_tints({ids[name]: color for name, color in colors.items() if name in ids})
        if state.warnings is not self._shown_warnings and now - self._warned_at >= WARN_SECONDS:
            self._warned_at, self._shown_warnings = now, state.warnings
            self.show_training_warnings(state.warnings)

    def _on_training_ended(self, state) -> None:
        self.show_training_warnings(state.warnings)

    def _show_count(self) -> None:
        count = len(self.scene.graph if self.scene is not None else self.document.graph)  # an open block's own
        self.zoom_label.setText(f"{count} layer{'s' * (count != 1)}   zoom {self.view.zoom:.0%}")

    def _update_title(self) -> None:
        self.setWindowTitle(f"{self.document.title}[*] — netbuilder")
        self.setWindowModified(self.document.needs_saving)

    def _room_for_pictures(self) -> None:
        """The Boundary and Inside tabs are pictures: a low Training dock grows for them (once it is shown)."""
        dock = self.docks["Training"]
        if dock.isVisible() and dock.height() < PICTURE_HEIGHT:
            self.resizeDocks([dock], [PICTURE_HEIGHT], Qt.Orientation.Vertical)

    def _look_at(self, sample) -> None:
        """A sample clicked in the Data panel, in the Training panel's Inside tab."""
        self.docks["Training"].raise_()
        self.training.look_at(sample)

    def _on_selection(self) -> None:
        node_id = self.canvas.selected_node()
        if node_id is not None:  # the Training panel's views of one layer show it (inside a block by its path)
            self.training.select_layer(self.stack.model_name(self.scene.graph.node(node_id).name))

    # ---- files -----------------------------------------------------------------------------
    def ask_save_changes(self) -> str:
        """'save', 'discard' (a run training stops) or 'cancel' (tests replace this)."""
        return closing.ask(self, closing.question(self.document, self.controller.training))

    def maybe_keep_changes(self) -> bool:
        """True when the document may go (saved, discarded or nothing to lose); a run training stops then."""
        self.about_pane.commit()  # text typed just now reaches the document
        if closing.question(self.document, self.controller.training) is None:
            return True
        answer = self.ask_save_changes()
        if answer != "cancel":
            self.controller.shutdown("its document was closed while it trained")  # before saving moves its folder
        return self.save() if answer == "save" else answer == "discard"

    def show_message(self, title: str, text: str, icon=QMessageBox.Icon.Critical) -> None:
        """A window-modal message that does not block the event loop."""
        self.message_box = QMessageBox(icon, title, text, parent=self)
        self.message_box.open()

    def new_document(self) -> bool:
        """File > New: a new empty document, unless the user keeps the current one (then False)."""
        if not self.maybe_keep_changes():
            return False
        self.set_document(Document())
        return True

    def new_from_template(self) -> None:
        from .gallery import Gallery

        path = Gallery.choose(self)
        if path and self.maybe_keep_changes():
            self.set_document(Document.from_template(path))

    def choose_and_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open", self._folder(), FILTER)
        if path:
            self.open_file(path)

    def show_document(self, document: Document) -> bool:
        """Show `document` instead, unless the user keeps the current one (then it is closed, and False)."""
        if not self.maybe_keep_changes():
            document.close()
            return False
        self.set_document(document)
        return True

    def open_file(self, path: str) -> bool:
        """Open a document; a broken file shows the reason and leaves the current one as it is."""
        try:
            document = Document.open(path)
        except FileFormatError as e:
            self.show_message("Cannot open the file", str(e))
            return False
        if not self.show_document(document):
            return False
        trust_opened(self, document)  # a document's code runs only after Run (asked once per code)
        settings.add_recent(path)
        return True

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self.save_to(self.document.path)

    def save_as(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(self, "Save As", self._folder(self.document.title), FILTER)
        if not path:
            return False
        if not path.endswith(".json"):
            path += ".json"
        return self.save_to(path)

    def save_to(self, path: str) -> bool:
        self.about_pane.commit()
        try:
            self.document.save(path)
        except OSError as e:
            self.show_message("Cannot save", f"{path}: {e.strerror or e}")
            return False
        settings.add_recent(path)
        self.autosave.discard()
        self._update_title()
        self.statusBar().showMessage(f"Saved {path}", 4000)
        return True

    def choose_and_export(self) -> None:
        stem = Path(self.document.title).stem
        path, _ = QFileDialog.getSaveFileName(self, "Export PyTorch Code", self._folder(stem + ".py"),
                                              "Python files (*.py)")
        if path:
            self.export_code(path)

    def export_code(self, path: str) -> bool:
        from ..atomic import write_atomic
        from ..compile import export_source
        from ..graph.problems import GraphError

        try:
            source = export_source(self.document.graph)
            write_atomic(path, source)  # a full disk leaves an existing file as it was
        except GraphError as e:
            self.show_message("Cannot export", "Fix these problems first:\n\n" + "\n".join(
                p.describe({n.id: n.name for n in self.document.graph.nodes()}) for p in e.problems))
            return False
        except OSError as e:
            self.show_message("Cannot export", f"{path}: {e.strerror or e}")
            return False
        self.statusBar().showMessage(f"Exported {path}", 4000)
        return True

    def _folder(self, name: str = "") -> str:
        base = Path(self.document.path).parent if self.document.path else Path.cwd()
        return str(base / name)

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self.open_file(url.toLocalFile())
                event.acceptProposedAction()
                return

    def closeEvent(self, event) -> None:
        if not self.maybe_keep_changes():
            event.ignore()
            return
        self.controller.shutdown()
        self.board_link.stop()
        self.serve_link.stop()
        self._save_layout()
        self.autosave.timer.stop()
        self.autosave.discard()
        self.stack.leave_all()
        self.canvas.detach()
        if self in WINDOWS:
            WINDOWS.remove(self)
        event.accept()

    def _save_layout(self) -> None:
        s = settings.settings()
        s.setValue("geometry", self.saveGeometry())
        s.setValue("state", self.saveState())

    def _restore_layout(self) -> None:
        s = settings.settings()
        if s.value("geometry") is not None:
            self.restoreGeometry(s.value("geometry"))
        if s.value("state") is not None:
            self.restoreState(s.value("state"))

    # ---- editing ---------------------------------------------------------------------------
    def add_layer_at_centre(self, layer_type: str) -> None:
        """A layer double-clicked in the palette: right of the selected layer (so a chain builds left to
        right), else at the view's centre; on a free spot either way, in sight."""
        graph, ids = self.scene.graph, self.scene.selected_node_ids()
        if len(ids) == 1:
            x, y = graph.node(ids[0]).pos
            want = (x + NODE_WIDTH + 70, y)
        else:
            centre = self.view.mapToScene(self.view.viewport().rect().center())
            want = (centre.x() - 85, centre.y() - 30)
        (x, y), _ = make_room(graph, self.scene._snap(*want))
        node_id = self.scene.add_layer(layer_type, QPointF(x + 85, y + 30))
        if node_id is not None:
            self.view.ensureVisible(self.scene.node_items[node_id], 40, 40)

    def copy(self) -> bool:
        ids = self.scene.selected_node_ids()
        if not ids:
            return False
        # As text (JSON in the file format): other windows and other netbuilder processes can
        # paste it. (A QMimeData handed to the clipboard crashes PySide at exit.)
        QGuiApplication.clipboard().setText(json.dumps(copy_nodes(self.scene.graph, ids)))
        return True

    def cut(self) -> None:
        if self.copy():
            self.scene.delete_selection()

    def paste(self) -> None:
        text = QGuiApplication.clipboard().text()
        if not is_copied_nodes(text):
            self.statusBar().showMessage("Nothing to paste: copy some layers first", 4000)
            return
        self._paste_data(text)

    def duplicate(self) -> None:
        ids = self.scene.selected_node_ids()
        if ids:
            self._paste_data(json.dumps(copy_nodes(self.scene.graph, ids)))

    def _paste_data(self, text: str) -> None:
        try:
            edit, new_ids = paste_edit(self.scene.graph, json.loads(text), check_node=check_node)
        except (FileFormatError, ValueError) as e:
            self.statusBar().showMessage(f"Cannot paste: {e}", 6000)
            return
        edit.text = f"Paste {len(new_ids)} layer(s)"
        if self.scene.push(edit):
            self.scene.select_nodes(new_ids)

    def select_all(self) -> None:
        self.scene.select_nodes(self.scene.graph.node_ids())

    def show_node(self, node_id: str) -> None:
        item = self.scene.node_items.get(node_id)
        if item is not None:
            self.scene.select_nodes([node_id])
            self.view.centerOn(item)

    def auto_layout(self) -> None:
        ids = self.scene.selected_node_ids()
        positions = layered_positions(self.scene.graph, ids if len(ids) > 1 else None)
        if positions:
            edit = move_nodes(self.scene.graph, positions)
            edit.text = "Auto Layout"
            self.scene.push(edit)
            QTimer.singleShot(0, self.fit)

    def fit(self) -> None:
        self.view.fit()
        self._show_count()

    def show_start(self) -> None:
        """A document as it opens: whole when it is readable so, else its start at a readable zoom."""
        show_readable(self.view)
        self._show_count()

    def _zoom(self, factor: float) -> None:
        self.view.zoom_by(factor)
        self._show_count()

    def _toggle_snap(self, on: bool) -> None:
        self.canvas.set_snap(on)

    def _about(self) -> None:
        self.show_message("About netbuilder", "netbuilder: build neural networks visually, train "
                          "them and watch them learn.", QMessageBox.Icon.Information)
