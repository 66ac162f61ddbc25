"""Help > Layer reference: every catalog layer's help, formula, shape rule, a worked example and its
parameters, searchable; the inspector opens it at the selected layer."""
from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (QDialog, QHBoxLayout, QLineEdit, QListWidget, QListWidgetItem, QSplitter,
                               QTextBrowser, QVBoxLayout, QWidget)

from ..layers.reference import Entry, entries, entry, search

TYPE_ROLE = Qt.ItemDataRole.UserRole


def page(item: Entry) -> str:
    """One layer's reference as HTML."""
    spec = item.spec
    if spec.variadic:
        ports = "in0, in1, … (two or more)"
    else:
        ports = ", ".join(spec.inputs) or "none"
    rows = "".join(
        f"<tr><td><code>{escape(p.name)}</code></td><td>{escape(_value(p.default))}</td>"
        f"<td>{escape(p.help)}</td></tr>" for p in spec.all_params)
    params = (f"<table cellspacing='0' cellpadding='3' border='1' style='border-collapse: collapse'>"
              f"<tr><th align='left'>parameter</th><th align='left'>default</th><th align='left'>meaning</th></tr>"
              f"{rows}</table>") if rows else "<p>No parameters.</p>"
    parts = [f"<h2>{escape(spec.type)}</h2>",
             f"<p style='color: gray'>{escape(spec.category)} · inputs: {escape(ports)} · "
             f"outputs: {escape(', '.join(spec.outputs) or 'none')}</p>",
             f"<p>{escape(spec.help)}.</p>"]
    if item.formula:
        parts.append(f"<h4>What it computes</h4><p><code>{escape(item.formula)}</code></p>")
    if item.rule:
        parts.append(f"<h4>Shape rule</h4><p><code>{escape(item.rule)}</code></p>")
    if item.example:
        parts.append(f"<h4>Example (default parameters)</h4><p><code>{escape(item.example)}</code></p>")
    parts.append(f"<h4>Parameters</h4>{params}")
    return "".join(parts)


def _value(value) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


class LayerReference(QDialog):
    """A non-modal window: a searchable list of layers beside the selected layer's page."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("layer_reference")
        self.setWindowTitle("Layer reference")
        self.search = QLineEdit(placeholderText="Search layers, formulas, parameters…")
        self.search.setObjectName("reference_search")
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget()
        self.list.setObjectName("reference_list")
        self.browser = QTextBrowser()
        self.browser.setObjectName("reference_page")
        self.browser.setOpenLinks(False)
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.search)
        column.addWidget(self.list)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(self.browser)
        split.setSizes([200, 520])
        layout = QHBoxLayout(self)
        layout.addWidget(split)
        self.search.textChanged.connect(self._filter)
        self.list.currentItemChanged.connect(self._on_current)
        self._filter("")
        self.resize(780, 560)

    def shown_types(self) -> list[str]:
        types = (self.list.item(i).data(TYPE_ROLE) for i in range(self.list.count()))
        return [t for t in types if t]

    def _row_of(self, layer_type: str) -> int:
        return next(i for i in range(self.list.count()) if self.list.item(i).data(TYPE_ROLE) == layer_type)

    def current_type(self) -> str | None:
        item = self.list.currentItem()
        return item.data(TYPE_ROLE) if item else None

    def _filter(self, text: str) -> None:
        keep = self.current_type()
        found = search(text) if text.strip() else entries()
        self.list.blockSignals(True)
        self.list.clear()
        category = None
        for item in found:
            if item.spec.category != category:  # a heading per category, as in the palette
                category = item.spec.category
                heading = QListWidgetItem(category)
                heading.setFlags(Qt.ItemFlag.NoItemFlags)
                font = heading.font()
                font.setBold(True)
                heading.setFont(font)
                self.list.addItem(heading)
            row = QListWidgetItem(f"   {item.type}")
            row.setData(TYPE_ROLE, item.type)
            row.setToolTip(item.spec.help)
            self.list.addItem(row)
        self.list.blockSignals(False)
        types = [e.type for e in found]
        if keep in types:
            self.list.setCurrentRow(self._row_of(keep))
        elif found:
            self.list.setCurrentRow(self._row_of(types[0]))
        else:
            self.browser.setHtml(f"<p>No layer matches <b>{escape(text)}</b>.</p>")
        self._on_current(self.list.currentItem(), None)

    def _on_current(self, item, _previous) -> None:
        if item is not None:
            self.browser.setHtml(page(entry(item.data(TYPE_ROLE))))

    def show_layer(self, layer_type: str) -> None:
        """Open at one layer (clearing a search that hides it)."""
        if layer_type not in self.shown_types():
            self.search.clear()
        if layer_type in self.shown_types():
            self.list.setCurrentRow(self._row_of(layer_type))
        bring_forward(self)


def reference(bench) -> LayerReference:
    """The window's reference (made on first use)."""
    found = bench.widget.findChild(LayerReference, "layer_reference")
    return found if found is not None else LayerReference(bench.widget)


def install(bench, inspector) -> QAction:
    """Help > Layer Reference (F1: at the layer the inspector shows), and the inspector's link to it (once)."""
    found = bench.action("layer_reference")
    if found is not None:
        return found
    action = QAction("Layer &Reference", bench.widget)
    action.setShortcut("F1")
    action.triggered.connect(lambda: _open(bench, inspector))
    bench.add_action("help", "layer_reference", action, before="about")  # About stays last
    inspector.referenceRequested.connect(lambda layer: reference(bench).show_layer(layer))
    return action


def _open(bench, inspector) -> None:
    layer = inspector.shown_type()  # the one layer selected on the canvas (an open block's own)
    dialog = reference(bench)
    if layer:
        dialog.show_layer(layer)
    else:
        bring_forward(dialog)


def bring_forward(widget) -> None:
    """Show a top-level window in front of the others (where the platform can: not offscreen)."""
    widget.show()
    if QGuiApplication.platformName() != "offscreen":
        widget.raise_()
        widget.activateWindow()
