"""Help > Glossary: every term the settings, sweeps, test results and explanations use, in plain words
(glossary.py), and the ways a layer's weights can start (the layer catalog's own words), with a search box.
The forms' "What do these mean?" links open it at their section."""
from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QTextBrowser, QVBoxLayout, QWidget

from .. import glossary
from ..layers.spec import INIT
from .layer_reference import bring_forward

INIT_TITLE = "How a layer's weights start (init)"


def _entries() -> list[tuple[str, str, str]]:
    return glossary.entries() + [(INIT_TITLE, choice, text) for choice, text in INIT.choice_help]


def _anchor(title: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in title.lower())


class GlossaryDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("glossary")
        self.setWindowTitle("Glossary")
        self.search = QLineEdit(placeholderText="Find a term…")
        self.search.setClearButtonEnabled(True)
        self.text = QTextBrowser()
        self.text.setObjectName("glossary_text")
        self.text.setOpenLinks(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.text, 1)
        self.search.textChanged.connect(self.show_terms)
        self.show_terms()
        self.resize(560, 620)

    def show_terms(self, find: str = "") -> None:
        """Every term (or those whose name or words hold `find`), under their sections."""
        find = find.strip().lower()
        parts, section = [], None
        for title, term, text in _entries():
            if find and find not in term.lower() and find not in text.lower():
                continue
            if title != section:
                section = title
                parts.append(f"<h3><a name='{_anchor(title)}'></a>{escape(title)}</h3>")
            parts.append(f"<p><b>{escape(term)}</b>: {escape(text)}</p>")
        self.text.setHtml("".join(parts) or "<p>No term holds those words.</p>")

    def show_section(self, section: str) -> None:
        """Scroll to a section of glossary.py ("training", "sweep", ...)."""
        self.search.clear()
        self.text.scrollToAnchor(_anchor(glossary.TITLES.get(section, section)))


def open_glossary(parent: QWidget, section: str | None = None) -> GlossaryDialog:
    """The glossary over `parent`'s window (one at a time), at `section` when given; not modal."""
    top = parent.window()  # one glossary per top-level window
    found = top.findChild(GlossaryDialog, "glossary")
    if found is None:
        found = GlossaryDialog(top)
        found.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    bring_forward(found)
    if section:
        found.show_section(section)
    return found


def glossary_link(section: str) -> QLabel:
    """A "What do these mean?" link that opens the glossary at `section`."""
    link = QLabel("<a href='glossary'>What do these mean?</a>")
    link.setObjectName(f"glossary_link_{section}")
    link.setToolTip("Every setting in plain words (Help > Glossary); each also has a tooltip")
    link.linkActivated.connect(lambda _: open_glossary(link, section))
    return link


def install(bench) -> QAction:
    """Help > Glossary."""
    found = bench.action("glossary")
    if found is not None:
        return found
    action = QAction("&Glossary", bench.widget)
    action.triggered.connect(lambda: open_glossary(bench.widget))
    return bench.add_action("help", "glossary", action, after=("layer_reference",), before="about")
