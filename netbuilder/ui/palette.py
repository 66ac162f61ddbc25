"""The palette: layers from the catalog by category, with a search box; drag or double-click. Undo and redo
in the search box undo its typing, and once there is none left, the document's edits (the window's keys)."""
from __future__ import annotations

from PySide6.QtCore import QByteArray, QEvent, QMimeData, QObject, Qt, Signal
from PySide6.QtGui import QBrush, QDrag, QKeySequence
from PySide6.QtWidgets import QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from ..layers import CATALOG, CATEGORIES
from . import theme
from .canvas.view import LAYER_MIME, MY_BLOCK

TYPE_ROLE = Qt.ItemDataRole.UserRole


def layer_mime(layer: str) -> QMimeData:
    """What a palette drag carries: the layer type."""
    mime = QMimeData()
    mime.setData(LAYER_MIME, QByteArray(layer.encode()))
    mime.setText(layer)
    return mime


class LayerTree(QTreeWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setDragEnabled(True)
        self.setRootIsDecorated(True)

    def mimeTypes(self) -> list[str]:
        return [LAYER_MIME]

    def startDrag(self, actions) -> None:
        item = self.currentItem()
        layer = item.data(0, TYPE_ROLE) if item else None
        if not layer:
            return
        drag = QDrag(self)
        drag.setMimeData(layer_mime(layer))
        drag.exec(Qt.DropAction.CopyAction)


class Palette(QWidget):
    layerActivated = Signal(str)  # double-click or Enter: add at the view's centre

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("palette")
        self.search = QLineEdit(placeholderText="Search layers…")
        self.search.setObjectName("palette_search")
        self.search.setClearButtonEnabled(True)
        self.search.installEventFilter(self)
        self.tree = LayerTree()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        for category in CATEGORIES:
            group = QTreeWidgetItem(self.tree, [category])
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            group.setForeground(0, QBrush(theme.muted_text()))
            for spec in (s for s in CATALOG.values() if s.category == category):
                item = QTreeWidgetItem(group, [spec.type])
                item.setData(0, TYPE_ROLE, spec.type)
                item.setToolTip(0, spec.help)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                              | Qt.ItemFlag.ItemIsDragEnabled)
        self.my_blocks = QTreeWidgetItem(self.tree, ["My Blocks"])
        self.my_blocks.setFlags(Qt.ItemFlag.ItemIsEnabled)
        self.my_blocks.setForeground(0, QBrush(theme.muted_text()))
        self.my_blocks.setToolTip(0, "Blocks you saved (right-click a block > Save to My Blocks): drag one into"
                                     " any document")
        self.my_blocks.setHidden(True)
        self.tree.expandAll()
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self._activate_first)
        self.tree.itemActivated.connect(self._on_activated)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Ctrl+Z (and redo) with nothing of the search box's own to undo: left to the window's shortcut."""
        if watched is self.search and event.type() == QEvent.Type.ShortcutOverride:
            undo = event.matches(QKeySequence.StandardKey.Undo)
            redo = event.matches(QKeySequence.StandardKey.Redo) or \
                event.keyCombination() == QKeySequence("Ctrl+Y")[0]
            if (undo and not self.search.isUndoAvailable()) or (redo and not self.search.isRedoAvailable()):
                event.ignore()
                return True  # not overridden: the shortcut goes to the window's Undo / Redo
        return super().eventFilter(watched, event)

    def show_my_blocks(self, names: list[str]) -> None:
        """List the blocks saved in the user's folder (their entries carry "myblock:Name")."""
        self.my_blocks.takeChildren()
        for name in names:
            item = QTreeWidgetItem(self.my_blocks, [name])
            item.setData(0, TYPE_ROLE, MY_BLOCK + name)
            item.setToolTip(0, f"Your block {name}: drag it onto the canvas")
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
        self.my_blocks.setHidden(not names)
        self.my_blocks.setExpanded(True)
        self._filter(self.search.text())

    def item_for(self, layer_type: str) -> QTreeWidgetItem | None:
        for item in self._layer_items():
            if item.data(0, TYPE_ROLE) == layer_type:
                return item
        return None

    def _layer_items(self):
        for g in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(g)
            for i in range(group.childCount()):
                yield group.child(i)

    def _filter(self, text: str) -> None:
        text = text.strip().lower()
        for g in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(g)
            shown = 0
            for i in range(group.childCount()):
                item = group.child(i)
                spec = CATALOG.get(item.data(0, TYPE_ROLE))
                words = f"{item.text(0)} {spec.help if spec else ''} {group.text(0)}".lower()
                match = not text or text in words
                item.setHidden(not match)
                shown += match
            group.setHidden(shown == 0)

    def _activate_first(self) -> None:
        for item in self._layer_items():
            if not item.isHidden() and not item.parent().isHidden():
                self.layerActivated.emit(item.data(0, TYPE_ROLE))
                return

    def _on_activated(self, item: QTreeWidgetItem) -> None:
        layer = item.data(0, TYPE_ROLE)
        if layer:
            self.layerActivated.emit(layer)
