"""New from template: the templates/ folder as cards with a picture of the network and its story."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QLabel, QListWidget, QListWidgetItem,
                               QVBoxLayout)

from ..data.narrow import narrowing_words
from ..graph import io
from ..layers import check_node
from . import theme
from .settings import config_dir

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
THUMB = QSize(240, 150)
PATH_ROLE = Qt.ItemDataRole.UserRole


def templates() -> list[tuple[Path, dict]]:
    """(path, meta) of each readable template, in name order."""
    found = []
    for path in sorted(TEMPLATES.glob("*.json")):
        try:
            graph = io.load(path, check_node)
        except io.FileFormatError:
            continue
        found.append((path, graph.meta))
    return found


def story(meta: dict) -> str:
    """What the gallery says of a template: its description, its data and the bar it reaches."""
    text = meta.get("description", "")
    return f"{text}\n\n{facts(meta)}".strip()


def facts(meta: dict) -> str:
    """The data a document trains on and the bar it reaches, in a line."""
    data = meta.get("data") if isinstance(meta.get("data"), dict) else {}
    quality = meta.get("quality") if isinstance(meta.get("quality"), dict) else {}
    text = f"Trains on: {data['source']}{narrowing_words(data)}." if isinstance(data.get("source"), str) else ""
    note = quality.get("note")
    if isinstance(note, str) and note:
        text += f" {note[:1].upper()}{note[1:]}."
    return text.strip()


def thumbnail(path: Path) -> QPixmap:
    """A picture of the template's network: the one scripts/thumbnails.py drew next to the
    templates, or else drawn now by the canvas itself (and cached in the config folder)."""
    made = path.parent / "thumbnails" / f"{path.stem}.png"
    cache = config_dir() / "thumbnails" / f"{path.stem}-{int(path.stat().st_mtime)}.png"
    for picture in (made, cache):
        if picture.exists() and picture.stat().st_mtime >= path.stat().st_mtime:
            pixmap = QPixmap(str(picture))
            if not pixmap.isNull():
                return pixmap
    pixmap = draw_thumbnail(path)
    cache.parent.mkdir(parents=True, exist_ok=True)
    pixmap.save(str(cache))
    return pixmap


def draw_thumbnail(path: Path) -> QPixmap:
    from .canvas.scene import GraphScene
    from .document import Document

    document = Document.from_template(path)
    scene = GraphScene(document)
    pixmap = QPixmap(THUMB)
    pixmap.fill(theme.canvas_background())
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    source = scene.itemsBoundingRect().adjusted(-20, -20, 20, 20)
    scale = min(THUMB.width() / source.width(), THUMB.height() / source.height())
    w, h = source.width() * scale, source.height() * scale
    target = QRectF((THUMB.width() - w) / 2, (THUMB.height() - h) / 2, w, h)
    scene.render(painter, target, source)
    painter.end()
    scene.detach()
    document.close()
    return pixmap


class Gallery(QDialog):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("gallery")
        self.setWindowTitle("New from template")
        self.list = QListWidget()
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(THUMB)
        self.list.setGridSize(QSize(THUMB.width() + 30, THUMB.height() + 40))
        self.list.setSpacing(8)
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setMovement(QListWidget.Movement.Static)
        self.list.setWordWrap(True)
        self.description = QLabel()
        self.description.setObjectName("gallery_story")
        self.description.setWordWrap(True)
        self.description.setMinimumHeight(90)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addWidget(self.description)
        layout.addWidget(buttons)
        for path, meta in templates():
            item = QListWidgetItem(QIcon(thumbnail(path)), meta.get("name", path.stem))
            item.setData(PATH_ROLE, str(path))
            item.setToolTip(story(meta))
            self.list.addItem(item)
        self.list.currentItemChanged.connect(
            lambda item, _: self.description.setText(item.toolTip() if item else ""))
        self.list.itemActivated.connect(lambda _: self.accept())
        if self.list.count():
            self.list.setCurrentRow(0)
        self.resize(860, 560)

    def chosen(self) -> str | None:
        item = self.list.currentItem()
        return item.data(PATH_ROLE) if item else None

    @classmethod
    def choose(cls, parent=None) -> str | None:
        dialog = cls(parent)
        return dialog.chosen() if dialog.exec() == QDialog.DialogCode.Accepted else None
