"""The welcome page: what netbuilder does, a template, a guided first network, the recent files. It opens
at start, the first one and every later one until its "Show this page" is unticked (flags in the settings),
and from Help > Getting Started."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QListWidget,
                               QListWidgetItem, QPushButton, QVBoxLayout)

from . import settings

ABOUT = ("netbuilder builds neural networks from layers you drag onto a canvas and wire together; every wire "
         "shows the shape of the tensor it carries, and a layer that does not fit turns red with a fix. "
         "It trains them on ready datasets while you watch the loss, each layer's gradients and what the "
         "network gets wrong. Every network is real PyTorch, and exports as readable source.")
PATH_ROLE = Qt.ItemDataRole.UserRole


class Welcome(QDialog):
    templateRequested = Signal()
    walkRequested = Signal()
    fileRequested = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("welcome")
        self.setWindowTitle("Welcome to netbuilder")
        heading = QLabel("<h2>Welcome to netbuilder</h2>")
        about = QLabel(ABOUT)
        about.setObjectName("welcome_about")
        about.setWordWrap(True)
        self.template_button = self._big("Open a Template…", "A ready network with its data and settings,\n"
                                         "and what to try with it", "welcome_template")
        self.walk_button = self._big("Build Your First Network", "A guided walk: five layers, four wires,\n"
                                     "then train it on handwritten digits", "welcome_walk")
        self.template_button.clicked.connect(lambda: self._choose(self.templateRequested.emit))
        self.walk_button.clicked.connect(lambda: self._choose(self.walkRequested.emit))
        buttons = QHBoxLayout()
        buttons.addWidget(self.template_button)
        buttons.addWidget(self.walk_button)
        self.recent = QListWidget()
        self.recent.setObjectName("welcome_recent")
        self.recent.itemActivated.connect(self._open_recent)
        self.recent.itemClicked.connect(self._open_recent)
        self.at_start = QCheckBox("Show this page when netbuilder starts")
        self.at_start.setObjectName("welcome_at_start")
        self.at_start.setChecked(False)
        self.at_start.toggled.connect(settings.set_show_welcome)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.at_start)
        bottom.addStretch()
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(about)
        layout.addSpacing(8)
        layout.addLayout(buttons)
        layout.addSpacing(8)
        layout.addWidget(QLabel("<b>Recent files</b>"))
        layout.addWidget(self.recent, 1)
        layout.addLayout(bottom)
        self.fill_recent()
        self.resize(620, 470)

    @staticmethod
    def _big(title: str, text: str, name: str) -> QPushButton:
        button = QPushButton(f"{title}\n{text}")
        button.setObjectName(name)
        button.setMinimumHeight(84)
        font = button.font()
        font.setPointSizeF(font.pointSizeF() * 1.1)
        button.setFont(font)
        return button

    def fill_recent(self) -> None:
        self.recent.clear()
        for path in settings.recent_files():
            item = QListWidgetItem(f"{Path(path).name}    {Path(path).parent}")
            item.setData(PATH_ROLE, path)
            item.setToolTip(path)
            if not Path(path).is_file():
                item.setText(f"{Path(path).name}    (no longer at {Path(path).parent})")
                item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.recent.addItem(item)
        if not self.recent.count():
            item = QListWidgetItem("No recent files yet: files you open or save appear here.")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.recent.addItem(item)

    def _open_recent(self, item: QListWidgetItem) -> None:
        path = item.data(PATH_ROLE)
        if path and item.flags() & Qt.ItemFlag.ItemIsEnabled:
            self._choose(lambda: self.fileRequested.emit(path))

    def _choose(self, then) -> None:
        self.accept()
        then()


def open_welcome(bench) -> Welcome:
    """Show the welcome page over the window (one at a time); its choices act on that window."""
    from .guide import start_walk
    from .layer_reference import bring_forward

    found = bench.widget.findChild(Welcome, "welcome")
    if found is not None:
        found.fill_recent()
        bring_forward(found)
        return found
    page = Welcome(bench.widget)
    page.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    page.at_start.setChecked(settings.show_welcome())
    page.templateRequested.connect(bench.new_from_template)
    page.walkRequested.connect(lambda: start_walk(bench))
    page.fileRequested.connect(bench.open_file)
    page.show()
    return page


def show_on_start(bench) -> Welcome | None:
    """At start: the welcome page the first time, and later unless "Show this page" was unticked."""
    if settings.welcomed() and not settings.show_welcome():
        return None
    settings.set_welcomed()
    return open_welcome(bench)


def install(bench) -> QAction:
    """Help > Getting Started, first in the Help menu (once)."""
    found = bench.action("getting_started")
    if found is not None:
        return found
    action = QAction("&Getting Started", bench.widget)
    action.triggered.connect(lambda: open_welcome(bench))
    return bench.add_action("help", "getting_started", action, first=True)
