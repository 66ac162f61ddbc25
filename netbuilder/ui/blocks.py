"""Blocks on the canvas: Group into Block, open a block (double-click) and back out (Alt+Up), Ungroup,
Save to My Blocks, and My Blocks in the palette. The edits are the core's (analysis/blocks.py,
graph/block_library.py); this only asks, shows and navigates."""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QInputDialog, QMessageBox

from ..analysis.blocks import group_into_block, ungroup
from ..graph.block_library import folder_blocks, load_block, same_definition, save_block
from ..graph.io import FileFormatError
from ..layers import check_node
from ..graph.model import EditError
from ..paths import blocks_dir
from .canvas.canvas import Canvas
from .canvas.stack import CanvasStack


class BlockActions(QObject):
    """Group into Block, Ungroup, Save to My Blocks, and opening a block, on the graph the canvas shows (the
    stack says which; the canvas has the selection)."""

    def __init__(self, bench, stack: CanvasStack, canvas: Canvas):
        super().__init__(bench)
        self.bench, self.stack, self.canvas = bench, stack, canvas
        self.ask_name = self._ask_name  # tests replace these two
        self.confirm_replace = self._confirm_replace

    def open(self, node_id: str) -> None:
        reason = self.stack.open(node_id)
        if reason:
            self.bench.show_status(reason)

    def leave(self, level: int | None = None) -> None:
        self.stack.leave(level)

    # ---- actions -------------------------------------------------------------------------------------------
    def act(self, action: str, node_id: str = "") -> None:
        if action == "group":  # the selection
            self.group()
        else:
            {"open": self.open, "ungroup": self.ungroup, "save": self.save}[action](node_id)

    def _selected_block(self, node_id: str | None) -> str | None:
        scene = self.canvas.scene
        ids = [node_id] if node_id else scene.selected_node_ids()
        if len(ids) != 1 or scene.graph.node(ids[0]).type != "Block":
            self.bench.show_message("Blocks", "Select one block first (a layer made by Group into Block).")
            return None
        return ids[0]

    def group(self) -> None:
        scene = self.canvas.scene
        ids = scene.selected_node_ids()
        if not ids:
            self.bench.show_message("Group into Block", "Select the layers to group first (drag a rectangle"
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
            self.bench.show_message("Group into Block", f"Cannot group into a block: {e}.")
            return
        if scene.push(edit):
            scene.select_nodes([instance])

    def ungroup(self, node_id: str = "") -> None:
        node_id = self._selected_block(node_id)
        if node_id is None:
            return
        scene = self.canvas.scene
        try:
            edit, new_ids = ungroup(scene.graph, node_id)
        except EditError as e:
            self.bench.show_message("Ungroup", f"{e}.")
            return
        if scene.push(edit):
            scene.select_nodes(new_ids)

    def save(self, node_id: str = "") -> None:
        node_id = self._selected_block(node_id)
        if node_id is None:
            return
        graph = self.canvas.scene.graph
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
            self.bench.show_message("Save to My Blocks", f"{name} could not be saved: {e}")
            return
        my_blocks().saved.emit(folder_blocks(blocks_dir()))  # every window's palette lists it
        self.bench.show_status(f"{name} saved to My Blocks ({path}): drag it from the palette into any document")

    def _confirm_replace(self, name: str) -> bool:
        answer = QMessageBox.question(self.bench.widget, "Save to My Blocks", f"My Blocks already has a different"
                                      f" {name}. Replace it with this one?")
        return answer == QMessageBox.StandardButton.Yes

    def _ask_name(self, default: str) -> str | None:
        name, ok = QInputDialog.getText(self.bench.widget, "Group into Block", "Name of the block (a class name,"
                                        " e.g. ResBlock):", text=default)
        return name if ok else None


def install(bench, stack: CanvasStack, canvas: Canvas, palette, inspector) -> BlockActions:
    """The block actions on the canvas's graph: the Edit menu's entries, a Block's double-click and the
    inspector's Open block link; My Blocks in the palette, in every window as one is saved."""
    actions = BlockActions(bench, stack, canvas)
    entries = {}
    for name, text, slot, keys in (
            ("group", "&Group into Block…", actions.group, "Ctrl+B"),
            ("ungroup", "U&ngroup Block", actions.ungroup, "Ctrl+Shift+B"),
            ("save_block", "Save Block to &My Blocks…", actions.save, None),
            ("leave_block", "&Out of Block", actions.leave, "Alt+Up")):
        action = QAction(text, bench.widget)
        if keys:
            action.setShortcut(QKeySequence(keys))
        action.triggered.connect(lambda checked=False, s=slot: s())
        entries[name] = action
    bench.add_actions("edit", entries, before="select_all", separated=True)
    inspector.blockRequested.connect(actions.open)
    canvas.blockAction.connect(actions.act)
    palette.show_my_blocks(folder_blocks(blocks_dir()))
    my_blocks().saved.connect(palette.show_my_blocks)
    return actions


class MyBlocks(QObject):
    """The user's blocks folder, as every window's palette follows it."""

    saved = Signal(list)  # the names of My Blocks, after one was saved


_MY_BLOCKS: list[MyBlocks] = []


def my_blocks() -> MyBlocks:
    if not _MY_BLOCKS:
        _MY_BLOCKS.append(MyBlocks())
    return _MY_BLOCKS[0]
