"""Start the editor: QApplication, the main window on a ready template."""
from __future__ import annotations

import sys
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
DEFAULT_TEMPLATE = TEMPLATES / "cnn_digits.json"


def run(argv: list[str]) -> int:
    from PySide6.QtWidgets import QApplication

    from .main_window import MainWindow

    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    app.setApplicationName("netbuilder")
    app.setOrganizationName("netbuilder")
    window = MainWindow()
    window.show()
    return app.exec()
