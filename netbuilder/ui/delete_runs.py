"""File > Recent Runs > Delete Runs…: the runs folders of documents closed without saving, each with its size and
age, ticked to delete. Deleting asks first, naming what goes; a folder whose document is open now or with a run
training now is never deleted (said, not skipped silently); each folder goes in one step (atomic.remove_folder)."""
from __future__ import annotations

import os
import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem,
                               QMessageBox, QPushButton, QVBoxLayout)

from .recent_runs import Found, delete

OLD_DAYS = 30  # "Tick those older than a month"


def folder_bytes(folder) -> int:
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                continue
    return total


def in_words(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return ""


class DeleteRunsDialog(QDialog):
    def __init__(self, found: list[Found], bench):
        super().__init__(bench.widget)
        self.setWindowTitle("Delete Runs")
        self.bench = bench
        self.found = found
        self.sizes = {entry.folder: folder_bytes(entry.folder) for entry in found}
        text = QLabel("The runs of documents closed without saving, newest first. Tick those to delete: their"
                      " folders (checkpoints, curves, the network as it trained) are deleted from disk.")
        text.setWordWrap(True)
        self.entries = QListWidget()
        self.entries.setObjectName("delete_runs_list")
        for entry in found:
            item = QListWidgetItem(f"{entry.label()}, {in_words(self.sizes[entry.folder])}")
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            item.setToolTip(str(entry.folder))
            self.entries.addItem(item)
        self.entries.itemChanged.connect(lambda _: self._update())
        self.old = QPushButton(f"Tick those older than {OLD_DAYS} days")
        self.old.clicked.connect(self.tick_old)
        self.result_line = QLabel("")
        self.result_line.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.delete_button = buttons.addButton("Delete…", QDialogButtonBox.ButtonRole.DestructiveRole)
        self.delete_button.clicked.connect(self.delete_ticked)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.old)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.entries, 1)
        layout.addLayout(row)
        layout.addWidget(self.result_line)
        layout.addWidget(buttons)
        self.resize(640, 360)
        self._update()

    def ticked(self) -> list[Found]:
        return [entry for i, entry in enumerate(self.found)
                if self.entries.item(i).checkState() == Qt.CheckState.Checked]

    def tick_old(self) -> None:
        before = time.time() - OLD_DAYS * 86400
        for i, entry in enumerate(self.found):
            if entry.latest.created < before:
                self.entries.item(i).setCheckState(Qt.CheckState.Checked)

    def _update(self) -> None:
        self.delete_button.setEnabled(bool(self.ticked()))

    def confirm(self, text: str) -> bool:
        """Ask before deleting (tests replace this)."""
        answer = QMessageBox.question(self, "Delete Runs", text, QMessageBox.StandardButton.Yes
                                      | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes

    def delete_ticked(self) -> None:
        chosen = self.ticked()
        if not chosen:
            return
        runs = sum(len(entry.runs) for entry in chosen)
        size = in_words(sum(self.sizes[entry.folder] for entry in chosen))
        names = "\n".join(f"  {entry.label()}" for entry in chosen[:8]) + ("\n  …" if len(chosen) > 8 else "")
        if not self.confirm(f"Delete {runs} run{'s' * (runs != 1)} of {len(chosen)} unsaved"
                            f" document{'s' * (len(chosen) != 1)} ({size})?\n\n{names}\n\nTheir folders are deleted"
                            " from disk: this cannot be undone."):
            return
        deleted, kept = delete(chosen)
        gone = {entry.folder for entry in deleted}
        for i in reversed(range(len(self.found))):
            if self.found[i].folder in gone:
                self.entries.takeItem(i)
                del self.found[i]
        said = f"Deleted the runs of {len(deleted)} unsaved document{'s' * (len(deleted) != 1)}." if deleted else ""
        if kept:
            said += " Kept: " + "; ".join(f"{entry.label()} ({why})" for entry, why in kept) + "."
        self.result_line.setText(said.strip())
        self.bench.show_status(said.strip(), 10000)
        self._update()
