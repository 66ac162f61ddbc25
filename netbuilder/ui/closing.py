"""Before the window lets a document go (New, Open, a template, a run reopened, closing the window, Quit): what
would be lost, in words, and the question desktop editors ask (Save / Discard / Cancel). Unsaved edits, the runs
of a document never saved (they stay in the app's folder: File > Recent Runs finds them again), and a run that
is training (closing stops it: what it trained so far is kept) are each said."""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import QMessageBox


@dataclass
class Question:
    title: str
    text: str
    savable: bool  # Save / Discard / Cancel; else only "Stop Training" / Cancel (nothing to save)


def question(document, training: str | None = None) -> Question | None:
    """What to ask before `document` is let go, or None when nothing would be lost. `training`: the name of the
    run (or sweep) going on now, or None."""
    lines = []
    if document.modified:
        lines.append(f"{document.title} has changes that are not saved.")
    runs = document.unsaved_runs
    if runs:
        lines.append(f"Its {runs} trained run{'s' * (runs != 1)} stay{'s' * (runs == 1)} with it only once it is saved"
                     " (if you discard it, File > Recent Runs still finds them).")
    if training is not None:
        lines.append(f"{training} is training: closing stops it (the epochs it trained are kept).")
    if not lines:
        return None
    if document.needs_saving:
        return Question("Unsaved changes", f"Save {document.title}?\n\n" + "\n".join(lines), True)
    return Question("Training goes on", "\n".join(lines) + "\n\nStop the run?", False)


def ask(parent, found: Question) -> str:
    """'save', 'discard' (or stop the run) or 'cancel', asked in a message box."""
    buttons = QMessageBox.StandardButton
    box = QMessageBox(QMessageBox.Icon.Question, found.title, found.text, parent=parent)
    if found.savable:
        box.setStandardButtons(buttons.Save | buttons.Discard | buttons.Cancel)
        box.setDefaultButton(buttons.Save)
        box.exec()
        return {buttons.Save: "save", buttons.Discard: "discard"}.get(box.standardButton(box.clickedButton()), "cancel")
    stop = box.addButton("Stop Training", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(buttons.Cancel)
    box.setDefaultButton(buttons.Cancel)
    box.exec()
    return "discard" if box.clickedButton() is stop else "cancel"
