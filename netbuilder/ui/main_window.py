"""The main window."""
from __future__ import annotations

from PySide6.QtWidgets import QLabel, QMainWindow


class MainWindow(QMainWindow):
    def __init__(self):
        super().__init__()
        self.setWindowTitle("netbuilder")
        self.setCentralWidget(QLabel("netbuilder: the editor is on its way"))
        self.resize(1200, 800)
