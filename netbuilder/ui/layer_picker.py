"""A searchable list to choose from with the keyboard: type to filter, the arrows to move, Enter or a double-click
to choose. The layer types (Replace with…, Insert before…) and the layers a wire may go to (Connect to…) are
chosen in it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout

from ..layers import CATALOG, CATEGORIES

TYPE_ROLE = Qt.ItemDataRole.UserRole  # what a row stands for: a layer type, a wire...


@dataclass(frozen=True)
class Choice:
    key: Any  # what choosing the row gives
    name: str  # what a search is ranked against: the one named exactly first, then those that start so
    text: str  # the row as shown
    words: str = ""  # more that a search finds it by
    tip: str = ""


class Picker(QDialog):
    def __init__(self, title: str, choices: list[Choice], parent=None, nothing: str = "Nothing matches"):
        super().__init__(parent)
        self.setObjectName("layer_picker")
        self.setWindowTitle(title)
        self.choices = list(choices)
        self.chosen: Any = None
        self.search = QLineEdit(placeholderText="Type to search…")
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget()
        self.empty = QLabel(nothing)
        self.empty.setVisible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(title))
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        layout.addWidget(self.empty)
        for choice in self.choices:
            item = QListWidgetItem(choice.text)
            item.setData(TYPE_ROLE, choice.key)
            item.setToolTip(choice.tip)
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self._choose_current)
        self.list.itemActivated.connect(self._choose)
        self.resize(320, 420)

    def visible(self) -> list:
        """The keys of the rows the search leaves in sight, in order."""
        return [self.list.item(i).data(TYPE_ROLE) for i in range(self.list.count()) if not self.list.item(i).isHidden()]

    def _filter(self, text: str) -> None:
        words = text.lower().split()
        best, best_score = None, None
        for i, choice in enumerate(self.choices):
            item = self.list.item(i)
            haystack = f"{choice.name} {choice.words}".lower()
            hidden = not all(w in haystack for w in words)
            item.setHidden(hidden)
            if hidden:
                continue
            # the current row: the one named exactly, else one whose name starts so, else in its name
            name, first = choice.name.lower(), words[0] if words else ""
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


class LayerPicker(Picker):
    """Layer types, by category."""

    def __init__(self, title: str, types: list[str], parent=None):
        rank = {c: i for i, c in enumerate(CATEGORIES)}
        ordered = sorted(types, key=lambda t: (rank.get(CATALOG[t].category, 99), t))
        super().__init__(title, [Choice(t, t, f"{t}    ({CATALOG[t].category})", f"{CATALOG[t].category} "
                                        f"{CATALOG[t].help}", CATALOG[t].help) for t in ordered],
                         parent, nothing="No layer matches")

    def visible_types(self) -> list[str]:
        return self.visible()


def pick(parent, title: str, choices: list[Choice]) -> Any:
    """Ask for one of `choices`; its key, or None when cancelled."""
    dialog = Picker(title, choices, parent)
    dialog.search.setFocus()
    dialog.exec()
    return dialog.chosen


def pick_layer(parent, title: str, types: list[str]) -> str | None:
    """Ask for a layer type among `types`; None when cancelled."""
    dialog = LayerPicker(title, types, parent)
    dialog.search.setFocus()
    dialog.exec()
    return dialog.chosen
