"""Start the editor: QApplication, the never-crash hook, crash recovery, the first window."""
from __future__ import annotations

import os
import sys

from .gallery import TEMPLATES

DEFAULT_TEMPLATE = TEMPLATES / "cnn_digits.json"


def named_files(argv: list[str]) -> list[str]:
    return [a for a in argv if not a.startswith("-")]


def first_window(argv: list[str]):
    """The window to show: the file named on the command line, else the default template."""
    from .document import Document
    from .main_window import MainWindow

    files = named_files(argv)
    window = MainWindow(Document.from_template(DEFAULT_TEMPLATE) if DEFAULT_TEMPLATE.exists() else None)
    if files:
        window.open_file(files[0])
    return window


def offer_recovery(window) -> None:
    """After a crash: offer to restore each document that had unsaved changes."""
    from PySide6.QtWidgets import QMessageBox

    from ..graph.io import FileFormatError, load
    from ..layers import check_node
    from . import recovery
    from .document import Document
    from .main_window import MainWindow

    found = recovery.orphans()
    if not found:
        return
    titles = "\n".join(f"• {info.get('title', path.stem)}" for path, info in found)
    answer = QMessageBox.question(
        window, "Restore unsaved work?",
        f"netbuilder did not close properly last time. Restore these unsaved documents?\n\n{titles}",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
    for path, info in found:
        if answer == QMessageBox.StandardButton.Yes:
            try:
                runs = info.get("runs") if isinstance(info.get("runs"), str) else None
                document = Document(load(path, check_node), info.get("path"), runs_key=runs)
            except FileFormatError:
                continue
            target = MainWindow(document)
            document.undo_stack.resetClean()  # restored work is unsaved until saved (the title says so)
            target.show()
            from .trust_prompt import trust_opened

            trust_opened(target, document)  # restored work can hold code from a document not trusted
        recovery.remove(path)


def no_display() -> bool:
    """On Linux without X11 or Wayland, Qt would abort: say so plainly instead."""
    return (sys.platform.startswith("linux") and not os.environ.get("QT_QPA_PLATFORM")
            and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"))


def run(argv: list[str]) -> int:
    if no_display():
        print("netbuilder: no display found (neither DISPLAY nor WAYLAND_DISPLAY is set).\n"
              "Run it from a desktop session, or under a virtual one: xvfb-run netbuilder.",
              file=sys.stderr)
        return 1
    from .display_check import message, missing_libraries, uses_xcb

    missing = missing_libraries() if uses_xcb() else []
    if missing:  # Qt would abort, naming one library at a time
        print(message(missing), file=sys.stderr)
        return 1
    from PySide6.QtWidgets import QApplication

    from . import errors

    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    app.setApplicationName("netbuilder")
    app.setOrganizationName("netbuilder")
    errors.install()
    window = first_window(argv)
    window.show()
    from .training.worker import warm_up_in_background

    warm_up_in_background()  # the first Train does not wait for torch's optimizer imports
    offer_recovery(window)
    from .welcome import show_on_start

    if not named_files(argv):  # a document opened by name is what the user came for
        show_on_start(window.bench)  # the first start, and later ones until its "Show this page" is unticked
    return app.exec()


__all__ = ["run", "first_window", "offer_recovery", "DEFAULT_TEMPLATE"]
