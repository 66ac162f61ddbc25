"""Blocks on the canvas: Group into Block, open a block (double-click) and back out by the breadcrumb, Ungroup,
Save to My Blocks, and My Blocks in the palette. The edits are the core's (analysis/blocks.py,
graph/block_library.py); this only asks, shows and navigates."""
from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QApplication, QHBoxLayout, QInputDialog, QLabel, QMessageBox, QToolButton,
                               QVBoxLayout, QWidget)

from ..analysis.blocks import group_into_block, ungroup
from ..graph import events as ev
from ..graph.block_library import folder_blocks, load_block, same_definition, save_block
from ..graph.io import FileFormatError
from ..layers import check_node
from ..graph.model import EditError
from ..paths import blocks_dir
from .canvas.scene import GraphScene
from .document import BlockDocument
from .readable import show_readable


class Breadcrumb(QWidget):
    """Where the canvas is: the document › a block › a block inside it; click a step to go back there."""

    levelChosen = Signal(int)  # 0: the document, 1: the first block opened...

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("breadcrumb")
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(8, 3, 8, 3)
        self.hide()

    def show_path(self, names: list[str]) -> None:
        while self.row.count():
            widget = self.row.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        for level, name in enumerate(names):
            if level:
                self.row.addWidget(QLabel("›"))
            if level == len(names) - 1:
                label = QLabel(f"<b>{name}</b>  <span style='color: gray'>(editing the block: every use of it"
                               " changes; Alt+Up goes back)</span>")
                self.row.addWidget(label)
            else:
                button = QToolButton(text=name, autoRaise=True)
                button.setObjectName(f"crumb_{level}")
                button.clicked.connect(lambda checked=False, k=level: self.levelChosen.emit(k))
                self.row.addWidget(button)
        self.row.addStretch()
        self.setVisible(len(names) > 1)


class BlockNavigator(QObject):
    """The blocks opened on the window's canvas, innermost last; the document's own canvas kept beneath."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.stack: list[tuple[BlockDocument, GraphScene]] = []
        self.prefixes: list[str] = []  # each open block's place in the compiled model ("blocks.0")
        self.views: list[tuple] = []  # the zoom and centre of the canvas each open block was opened from
        self._top: GraphScene | None = None
        self.breadcrumb = Breadcrumb()
        self.breadcrumb.levelChosen.connect(self.leave)
        self.ask_name = self._ask_name  # tests replace these two
        self.confirm_replace = self._confirm_replace

    @property
    def top_scene(self) -> GraphScene:
        """The document's own canvas, shown or not (training tints and warnings go there)."""
        return self._top if self.stack else self.window.scene

    # ---- moving in and out ---------------------------------------------------------------------------------
    def open(self, node_id: str) -> None:
        window = self.window
        node = window.scene.graph.node(node_id)
        name = node.params.get("block")
        if node.type != "Block" or name not in window.document.graph.blocks:
            window._show_status(f"{node.name} is not a block of this document")
            return
        if not self.stack:
            self._top = window.scene
            window.document.graph.events.connect(self._on_document_event)
        doc = BlockDocument(window.document, name, self)
        scene = GraphScene(doc, window)
        self.stack.append((doc, scene))
        self.prefixes.append(node.name + (".0" if node.params.get("repeat", 1) > 1 else ""))
        view = window.view
        self.views.append((view.transform(), view.mapToScene(view.viewport().rect().center())))
        self._show(scene)

    def model_name(self, layer: str) -> str:
        """A layer of the open block by its name in the compiled model (the first copy of a stacked one)."""
        return ".".join(self.prefixes + [layer])

    def leave(self, level: int | None = None) -> None:
        """Back to `level` (0: the document; one up when None)."""
        level = len(self.stack) - 1 if level is None else level
        if level < 0 or level >= len(self.stack):
            return
        while len(self.stack) > level:
            doc, scene = self.stack.pop()
            self.prefixes.pop()
            transform, centre = self.views.pop()
            scene.clearSelection()
            scene.detach()
            scene.deleteLater()
            doc.close()
            doc.deleteLater()
        if not self.stack:
            self.window.document.graph.events.disconnect(self._on_document_event)
        self._show(self.stack[-1][1] if self.stack else self._top)
        self.window.view.setTransform(transform)  # back where the user was before going in
        self.window.view.centerOn(centre)
        self.window._show_count()

    def leave_all(self) -> None:
        self.leave(0)

    def _show(self, scene: GraphScene) -> None:
        window = self.window
        window.show_scene(scene)
        names = [window.document.title] + [doc.name for doc, _ in self.stack]
        self.breadcrumb.show_path(names)
        window._on_selection()  # the inspector shows what is selected on this canvas
        if self.stack:
            QTimer.singleShot(0, lambda: self._readable(scene))

    def _readable(self, scene: GraphScene) -> None:
        if self.window.scene is scene:
            show_readable(self.window.view)
            self.window._show_count()  # the zoom in the status bar

    def _on_document_event(self, event) -> None:
        """An undo took a block away (or its instance went): close the canvases of blocks no longer there."""
        if isinstance(event, ev.BlockChanged):
            gone = [i for i, (doc, _) in enumerate(self.stack) if doc.name not in self.window.document.graph.blocks]
            if gone:
                self.window._show_status(f"Block {self.stack[gone[0]][0].name} is gone (undone): back out of it")
                QTimer.singleShot(0, lambda k=gone[0]: self.leave(k) if k < len(self.stack) else None)

    # ---- actions -------------------------------------------------------------------------------------------
    def act(self, action: str, node_id: str = "") -> None:
        if action == "group":  # the selection
            self.group()
        else:
            {"open": self.open, "ungroup": self.ungroup, "save": self.save}[action](node_id)

    def _selected_block(self, node_id: str | None) -> str | None:
        scene = self.window.scene
        ids = [node_id] if node_id else scene.selected_node_ids()
        if len(ids) != 1 or scene.graph.node(ids[0]).type != "Block":
            self.window.show_message("Blocks", "Select one block first (a layer made by Group into Block).")
            return None
        return ids[0]

    def group(self) -> None:
        scene = self.window.scene
        ids = scene.selected_node_ids()
        if not ids:
            self.window.show_message("Group into Block", "Select the layers to group first (drag a rectangle"
                                     " around them, or Ctrl+click each).")
            return
        taken, k = scene.graph.blocks, 1
        while f"Block{k}" in taken:
            k += 1
        name = self.ask_name(f"Block{k}")
        if not name:
            return
        try:
            edit, instance = group_into_block(scene.graph, scene.analysis, ids, name.strip())
        except EditError as e:
            self.window.show_message("Group into Block", f"Cannot group into a block: {e}.")
            return
        if scene.push(edit):
            scene.select_nodes([instance])

    def ungroup(self, node_id: str = "") -> None:
        node_id = self._selected_block(node_id)
        if node_id is None:
            return
        scene = self.window.scene
        try:
            edit, new_ids = ungroup(scene.graph, node_id)
        except EditError as e:
            self.window.show_message("Ungroup", f"{e}.")
            return
        if scene.push(edit):
            scene.select_nodes(new_ids)

    def save(self, node_id: str = "") -> None:
        node_id = self._selected_block(node_id)
        if node_id is None:
            return
        graph = self.window.scene.graph
        name = graph.node(node_id).params["block"]
        try:
            saved = load_block(blocks_dir(), name, check_node) if name in folder_blocks(blocks_dir()) else None
        except FileFormatError:
            saved = None  # a damaged file of that name: replaced
        if saved is not None and not same_definition(saved.blocks[name], graph.blocks[name]) \
                and not self.confirm_replace(name):
            return
        try:
            path = save_block(graph, name, blocks_dir())
        except (OSError, KeyError) as e:
            self.window.show_message("Save to My Blocks", f"{name} could not be saved: {e}")
            return
        names = folder_blocks(blocks_dir())
        for widget in QApplication.topLevelWidgets():  # every window's palette lists it
            if hasattr(widget, "blocks") and hasattr(widget, "palette"):
                widget.layer_palette.show_my_blocks(names)
        self.window._show_status(f"{name} saved to My Blocks ({path}): drag it from the palette into any document")

    def _confirm_replace(self, name: str) -> bool:
        answer = QMessageBox.question(self.window, "Save to My Blocks", f"My Blocks already has a different"
                                      f" {name}. Replace it with this one?")
        return answer == QMessageBox.StandardButton.Yes

    def _ask_name(self, default: str) -> str | None:
        name, ok = QInputDialog.getText(self.window, "Group into Block", "Name of the block (a class name,"
                                        " e.g. ResBlock):", text=default)
        return name if ok else None


def install(window) -> BlockNavigator:
    """The breadcrumb above the canvas, the Edit menu's block actions and the palette's My Blocks."""
    if getattr(window, "blocks", None) is not None:
        return window.blocks
    navigator = window.blocks = BlockNavigator(window)
    holder = QWidget()
    column = QVBoxLayout(holder)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(0)
    column.addWidget(navigator.breadcrumb)
    window.takeCentralWidget()
    column.addWidget(window.view)
    window.setCentralWidget(holder)
    edit_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Edit")
    before = window.actions_by_name["select_all"]
    edit_menu.insertSeparator(before)
    for name, text, slot, keys in (
            ("group", "&Group into Block…", navigator.group, "Ctrl+B"),
            ("ungroup", "U&ngroup Block", navigator.ungroup, "Ctrl+Shift+B"),
            ("save_block", "Save Block to &My Blocks…", navigator.save, None),
            ("leave_block", "&Out of Block", navigator.leave, "Alt+Up")):
        action = QAction(text, window)
        if keys:
            action.setShortcut(QKeySequence(keys))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda checked=False, s=slot: s())
        edit_menu.insertAction(before, action)
        window.actions_by_name[name] = action
    edit_menu.insertSeparator(before)
    window.inspector.blockRequested.connect(navigator.open)
    window.layer_palette.show_my_blocks(folder_blocks(blocks_dir()))
    return navigator
