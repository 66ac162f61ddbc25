"""A searchable list of layer types: type to filter, Enter or double-click to choose."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout

from ..layers import CATALOG, CATEGORIES

TYPE_ROLE = Qt.ItemDataRole.UserRole


class LayerPicker(QDialog):
    def __init__(self, title: str, types: list[str], parent=None):
        super().__init__(parent)
        self.setObjectName("layer_picker")
        self.setWindowTitle(title)
        self.chosen: str | None = None
        self.search = QLineEdit(placeholderText="Type to search…")
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget()
        self.empty = QLabel("No layer matches")
        self.empty.setVisible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(title))
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        layout.addWidget(self.empty)
        rank = {c: i for i, c in enumerate(CATEGORIES)}
        for t in sorted(types, key=lambda t: (rank.get(CATALOG[t].category, 99), t)):
            item = QListWidgetItem(f"{t}    ({CATALOG[t].category})")
            item.setData(TYPE_ROLE, t)
            item.setToolTip(CATALOG[t].help)
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self._choose_current)
        self.list.itemActivated.connect(self._choose)
        self.resize(320, 420)

    def visible_types(self) -> list[str]:
        return [self.list.item(i).data(TYPE_ROLE) for i in range(self.list.count())
                if not self.list.item(i).isHidden()]

    def _filter(self, text: str) -> None:
        words = text.lower().split()
        best, best_score = None, None
        for i in range(self.list.count()):
            item = self.list.item(i)
            t = item.data(TYPE_ROLE)
            haystack = f"{t} {CATALOG[t].category} {CATALOG[t].help}".lower()
            hidden = not all(w in haystack for w in words)
            item.setHidden(hidden)
            if hidden:
                continue
            # the current row: the type named exactly, else one whose name starts so, else in its name
            name, first = t.lower(), words[0] if words else ""
            score = (name != first, not name.startswith(first), first not in name)
            if best_score is None or score < best_score:
                best, best_score = item, score
        self.empty.setVisible(best is None)
        if best is not None:
            self.list.setCurrentItem(best)

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.search.hasFocus():
            self.list.keyPressEvent(event)  # arrows move through the list while typing
            return
        super().keyPressEvent(event)

    def _choose_current(self) -> None:
        item = self.list.currentItem()
        if item is not None and not item.isHidden():
            self._choose(item)

    def _choose(self, item) -> None:
        self.chosen = item.data(TYPE_ROLE)
        self.accept()


def pick_layer(parent, title: str, types: list[str]) -> str | None:
    """Ask for a layer type among `types`; None when cancelled."""
    dialog = LayerPicker(title, types, parent)
    dialog.search.setFocus()
    dialog.exec()
    return dialog.chosen
