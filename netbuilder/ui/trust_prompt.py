"""Asking before running a document's code: a document with Code layers the user did not write (their
code is not in the trusted store) shows each layer's code once, with Run / Don't run. Until Run, the
analysis does not run that code and compiling refuses; Run remembers the code (graph/trust.py)."""
from __future__ import annotations

import logging

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QScrollArea, QVBoxLayout,
                               QWidget)

from ..graph import trust
from ..layers.code import untrusted_layers

log = logging.getLogger(__name__)


class TrustDialog(QDialog):
    """Each Code layer's name and code, read-only; Run accepts, Don't run (the default) rejects."""

    def __init__(self, layers: list[tuple[str, str]], where: str | None = None, parent=None):
        super().__init__(parent)
        self.setObjectName("trust_dialog")
        self.setWindowTitle("Run this document's code?")
        self.resize(640, 520)
        layout = QVBoxLayout(self)
        what = f"<b>{_escape(where)}</b>" if where else "This document"
        count = "a Code layer" if len(layers) == 1 else f"{len(layers)} Code layers"
        intro = QLabel(f"{what} has {count}: Python code that netbuilder runs, with your permissions, to work"
                       " out shapes and to train. Run it only if you trust where the document came from."
                       " Until then its shapes are not worked out and it cannot be trained.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        body = QWidget()
        column = QVBoxLayout(body)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.views: list[QPlainTextEdit] = []
        for name, code in layers:
            column.addWidget(QLabel(f"<b>{_escape(name)}</b>"))
            view = QPlainTextEdit(code)
            view.setObjectName(f"code_{name}")
            view.setReadOnly(True)
            view.setFont(font)
            view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
            view.setMinimumHeight(min(300, 40 + view.fontMetrics().height() * (code.count("\n") + 1)))
            column.addWidget(view)
            self.views.append(view)
        column.addStretch()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        layout.addWidget(scroll, 1)
        buttons = QDialogButtonBox()
        self.run_button = buttons.addButton("Run", QDialogButtonBox.ButtonRole.AcceptRole)
        self.run_button.setObjectName("run")
        self.run_button.setAutoDefault(False)  # Enter never runs code: it takes a click on Run
        self.skip_button = buttons.addButton("Don't run", QDialogButtonBox.ButtonRole.RejectRole)
        self.skip_button.setObjectName("dont_run")
        self.skip_button.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.skip_button.setFocus()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def ask_trust(window, graph, where: str | None = None) -> bool:
    """True when the document's code may run: it has none that is untrusted, or the user chose Run (the code
    is then remembered, so the document is not asked about again)."""
    found = untrusted_layers(graph)
    if not found:
        return True
    dialog = TrustDialog(found, where, window)
    try:
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
    finally:
        dialog.deleteLater()
    if not accepted:
        return False
    codes = [code for _, code in found]
    try:
        trust.trust(codes)
    except OSError as e:  # it runs in this session; it will be asked about again next time
        log.warning("cannot remember trusted code: %s", e)
    return True


def trust_opened(window, document) -> None:
    """After opening a document: ask about its code once, and work its shapes out when it may run."""
    if untrusted_layers(document.graph) and ask_trust(window, document.graph, document.title):
        document.analysis.refresh()
