"""Where the canvas is: the document › a block › a block inside it; click a step to go back there. It follows
the stack of graphs the canvas can show (stack.py)."""
from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from .stack import CanvasStack


class Breadcrumb(QWidget):
    def __init__(self, stack: CanvasStack, parent=None):
        super().__init__(parent)
        self.setObjectName("breadcrumb")
        self.stack = stack
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(8, 3, 8, 3)
        self.hide()
        stack.changed.connect(self.refresh)

    def refresh(self) -> None:
        self.show_path(self.stack.path())

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
                button.clicked.connect(lambda checked=False, k=level: self.stack.leave(k))
                self.row.addWidget(button)
        self.row.addStretch()
        self.setVisible(len(names) > 1)
