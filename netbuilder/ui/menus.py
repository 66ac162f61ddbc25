"""Entries that pieces of the window add to its File menu themselves (the Export… and Import… dialogs)."""
from __future__ import annotations

from typing import Callable

from PySide6.QtGui import QAction


def add_to_file_menu(window, name: str, make: Callable[[], QAction], *after: str) -> QAction:
    """The window's action `name`: made once, put in the File menu right after the first of the actions
    named in `after` that the menu holds (else at its end), and kept in window.actions_by_name."""
    found = window.actions_by_name.get(name)
    if found is not None:
        return found
    action = make()
    menu = window.menuBar().actions()[0].menu()
    entries = menu.actions()
    anchor = next((window.actions_by_name[a] for a in after if window.actions_by_name.get(a) in entries), None)
    index = entries.index(anchor) + 1 if anchor is not None else len(entries)
    menu.insertAction(entries[index] if index < len(entries) else None, action)  # None: at the end
    window.actions_by_name[name] = action
    return action
