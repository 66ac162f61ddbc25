"""What the main window offers the panels and features it holds: docks, entries in its menus (a menu found by
its name, never by its label), the status line and messages, the document's commands, and word that the window
shows another document or the canvas another graph. A panel or feature is given this and its models; none
reaches into the window (as napari's QtDims(dims) takes only its model)."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QMessageBox, QWidget

MENUS = {"file": "&File", "edit": "&Edit", "view": "&View", "train": "&Train", "help": "&Help"}


class Workbench(QObject):
    documentChanged = Signal(object)  # the window shows another document (a Document)
    canvasChanged = Signal(object)  # the canvas shows another graph: the document's, or a block's opened in it

    def __init__(self, window: QMainWindow, commands: dict[str, Callable]):
        """`commands`: the window's document commands ("open_file", "new_document", "new_from_template",
        "show_document")."""
        super().__init__(window)
        self._window, self._commands = window, commands
        self.docks: dict[str, QDockWidget] = {}  # by title
        self.actions: dict[str, QAction] = {}  # by name

    @property
    def widget(self) -> QWidget:
        """The window, as the parent of a dialog."""
        return self._window

    @property
    def document(self):
        """The document the window shows."""
        return self._window.document

    # ---- documents ---------------------------------------------------------------------------------------------
    def open_file(self, path: str) -> bool:
        """Open a document in the window (asking about unsaved changes first); False when it did not."""
        return self._commands["open_file"](path)

    def new_document(self) -> bool:
        """A new empty document in the window (asking about unsaved changes first); False when it did not."""
        return self._commands["new_document"]()

    def new_from_template(self) -> None:
        self._commands["new_from_template"]()

    def show_document(self, document) -> bool:
        """Show this Document in the window (asking about unsaved changes first; when the user keeps the
        current one, `document` is closed); False when it did not."""
        return self._commands["show_document"](document)

    # ---- docks -------------------------------------------------------------------------------------------------
    def add_dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea, name: str | None = None,
                 dock: QDockWidget | None = None, listed: bool = True) -> QDockWidget:
        """A dock holding `widget` (in `dock` when given), named for saving the layout (dock_<title> unless
        `name`), listed in the View menu unless `listed` is False."""
        dock = dock or QDockWidget(title, self._window)
        dock.setObjectName(name or f"dock_{title.lower().replace(' ', '_')}")
        dock.setWidget(widget)
        self._window.addDockWidget(area, dock)
        self.docks[title] = dock
        if listed:
            self.menu("view").addAction(dock.toggleViewAction())
        return dock

    def dock(self, title: str) -> QDockWidget | None:
        return self.docks.get(title)

    def show_dock(self, title: str, height: int | None = None, beside: str | None = None) -> None:
        """Show a dock in front (tabbed with the dock `beside` when that one is shown and it is tabbed with
        nothing yet), `height` high when given."""
        dock, window = self.docks[title], self._window
        other = self.docks.get(beside) if beside else None
        if other is not None and other.isVisible() and not window.tabifiedDockWidgets(dock):
            window.tabifyDockWidget(other, dock)
        dock.show()
        dock.raise_()
        if height is not None:
            window.resizeDocks([dock], [height], Qt.Orientation.Vertical)

    def stack_docks(self, top: str, below: str, heights: tuple[int, int]) -> None:
        """Put dock `top` above dock `below`, sharing their column in these heights."""
        window, a, b = self._window, self.docks[top], self.docks[below]
        window.splitDockWidget(a, b, Qt.Orientation.Vertical)
        window.resizeDocks([a, b], list(heights), Qt.Orientation.Vertical)

    # ---- menus -------------------------------------------------------------------------------------------------
    def menu(self, name: str) -> QMenu:
        """The menu `name` ("file", "edit", "view", "train", "help"), found by its object name."""
        found = self._window.menuBar().findChild(QMenu, f"menu_{name}")
        if found is None:
            found = self._window.menuBar().addMenu(MENUS.get(name, name.title()))
            found.setObjectName(f"menu_{name}")
        return found

    def action(self, name: str) -> QAction | None:
        return self.actions.get(name)

    def add_action(self, menu: str, name: str, action: QAction, after: tuple[str, ...] = (),
                   before: str | None = None, first: bool = False) -> QAction:
        """Put `action` in menu `menu` once (the action already named `name` is returned as it is): right after the
        first of the actions named in `after` that the menu holds, else before the one named `before`, else first
        or last. Its shortcut works wherever the focus is in the window."""
        return self.add_actions(menu, {name: action}, after, before, first)[name]

    def add_actions(self, menu: str, actions: dict[str, QAction], after: tuple[str, ...] = (),
                    before: str | None = None, first: bool = False, separated: bool = False) -> dict[str, QAction]:
        """Several actions in a row, as add_action (with a separator on each side when `separated`)."""
        if all(name in self.actions for name in actions):
            return {name: self.actions[name] for name in actions}
        target = self.menu(menu)
        entries = target.actions()
        anchor = next((self.actions[a] for a in after if self.actions.get(a) in entries), None)
        if anchor is not None:
            index = entries.index(anchor) + 1
            at = entries[index] if index < len(entries) else None
        elif before is not None and self.actions.get(before) in entries:
            at = self.actions[before]
        else:
            at = entries[0] if first and entries else None  # None: at the end
        if separated:
            target.insertSeparator(at) if at is not None else target.addSeparator()
        for name, action in actions.items():
            action.setObjectName(action.objectName() or name)
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            target.insertAction(at, action)
            self.actions[name] = action
        if separated:
            target.insertSeparator(at) if at is not None else target.addSeparator()
        return dict(actions)

    # ---- telling the user ----------------------------------------------------------------------------------------
    def add_status_widget(self, widget: QWidget) -> None:
        """A widget kept on the right of the status bar (a link, a count)."""
        self._window.statusBar().addPermanentWidget(widget)

    def show_status(self, text: str, ms: int = 6000) -> None:
        """A line in the status bar, for a few seconds."""
        self._window.statusBar().showMessage(text, ms)

    def show_message(self, title: str, text: str, icon=QMessageBox.Icon.Critical) -> None:
        """A window-modal message that does not block the event loop."""
        self._window.show_message(title, text, icon)
