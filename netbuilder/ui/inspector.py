"""The inspector: a form made from the selected node's parameter schema; every edit undoable."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QScrollArea, QSpinBox, QVBoxLayout, QWidget)

from ..analysis.blocks import spec_of
from ..analysis.fixes import offered_fix
from ..graph.edits import Rename, SetParam
from ..layers import CATALOG
from ..layers.spec import Param, read_ints

BIG = 1_000_000_000


def parse_ints(text: str) -> list[int]:
    """'1, 28, 28' or '1x28x28' -> [1, 28, 28]; raises ValueError with a message."""
    values = read_ints(text)
    if values is None:
        raise ValueError(f"'{text}' is not a list of whole numbers, e.g. 1, 28, 28")
    return values


def format_value(value) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


class Inspector(QScrollArea):
    referenceRequested = Signal(str)  # a layer type: open the layer reference at it
    blockRequested = Signal(str)  # a Block node's id: open it on the canvas

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("inspector")
        self.setWidgetResizable(True)
        self.document = None
        self.watched = None  # the document (or open block) whose problems and edits it follows
        self.node_id: str | None = None
        self.editors: dict[str, QWidget] = {}
        self.error = QLabel()
        self.setWidget(QWidget())
        self.show_node(None, None)

    def follow(self, canvas) -> None:
        """Show the one layer selected on the canvas, on whichever graph it shows (the document's, a block's)."""
        canvas.selectionChanged.connect(lambda: self.show_node(
            canvas.scene.document if canvas.scene is not None else None, canvas.selected_node()))

    def shown_type(self) -> str | None:
        """The layer type of the node shown, if one is."""
        if self.document is None or self.node_id is None or self.node_id not in self.document.graph:
            return None
        return self.document.graph.node(self.node_id).type

    # ---- building the form -----------------------------------------------------------------
    def show_node(self, document, node_id: str | None) -> None:
        self.document, self.node_id = document, node_id
        self._watch(document)
        self.editors = {}
        body = QWidget()
        outer = QVBoxLayout(body)
        if document is None or node_id is None or node_id not in document.graph:
            hint = QLabel("Select a layer to see and edit its parameters.\n\n"
                          "Drag layers from the palette onto the canvas, then drag from an "
                          "output port (right) to an input port (left) to connect them.")
            hint.setWordWrap(True)
            outer.addWidget(hint)
            outer.addStretch()
            self.setWidget(body)
            return
        node = document.graph.node(node_id)
        spec = spec_of(document.graph, node)
        title = QLabel(f"<b>{spec.type if spec else node.type}</b>")
        if node.type == "Block":
            link = QLabel("<a href='open'>Open block</a>")
            link.setObjectName("open_block_link")
            link.setToolTip("Edit the layers inside (every use of this block changes with them)")
            link.linkActivated.connect(lambda _, n=node_id: self.blockRequested.emit(n))
        else:
            link = QLabel("<a href='reference'>Layer reference</a>")
            link.setObjectName("reference_link")
            link.setToolTip(f"What {node.type} computes, its shape rule and parameters (F1)")
            link.linkActivated.connect(lambda _, t=node.type: self.referenceRequested.emit(t))
        heading = QHBoxLayout()
        heading.addWidget(title)
        heading.addStretch()
        heading.addWidget(link)
        outer.addLayout(heading)
        if spec:
            help_label = QLabel(spec.help)
            help_label.setWordWrap(True)
            outer.addWidget(help_label)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        name = QLineEdit(node.name)
        name.setObjectName("name")
        name.editingFinished.connect(lambda: self._rename(name))
        self.editors["name"] = name
        form.addRow("name", name)
        for param in spec.all_params if spec else ():
            editor = self._editor(param, node.params.get(param.name, param.default))
            editor.setObjectName(f"param_{param.name}")
            editor.setToolTip(param.help)
            self.editors[param.name] = editor
            label = QLabel(param.name)
            label.setToolTip(param.help)
            form.addRow(label, editor)
        outer.addLayout(form)
        self.shape_label = QLabel()
        self.shape_label.setObjectName("shape")
        self.shape_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.shape_label.setWordWrap(True)
        outer.addWidget(self.shape_label)
        self.fixes = QVBoxLayout()
        outer.addLayout(self.fixes)
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d0342c")
        outer.addWidget(self.error)
        outer.addStretch()
        self.setWidget(body)
        self.refresh_info()

    def _editor(self, param: Param, value) -> QWidget:
        if param.kind == "code":
            from .code_editor import CodeField
            return CodeField(self.document, self.node_id, param.name)
        if param.kind == "args":
            from .code_editor import ArgsField
            return ArgsField(self.document, self.node_id, param.name)
        if param.kind == "int" and isinstance(value, int):
            box = QSpinBox()
            box.setRange(int(param.min) if param.min is not None else -BIG,
                         int(param.max) if param.max is not None else BIG)
            box.setValue(value)
            box.setKeyboardTracking(False)
            box.valueChanged.connect(lambda v, p=param.name: self._set(p, int(v)))
            return box
        if param.kind == "float" and isinstance(value, (int, float)):
            box = QDoubleSpinBox()
            box.setDecimals(6 if (param.max or 1) <= 1 else 4)
            box.setRange(param.min if param.min is not None else -1e9,
                         param.max if param.max is not None else 1e9)
            box.setSingleStep(0.05 if (param.max or 10) <= 1 else 0.1)
            box.setValue(float(value))
            box.setKeyboardTracking(False)
            box.valueChanged.connect(lambda v, p=param.name: self._set(p, float(v)))
            return box
        if param.kind == "bool":
            check = QCheckBox()
            check.setChecked(bool(value))
            check.toggled.connect(lambda v, p=param.name: self._set(p, bool(v)))
            return check
        if param.kind == "choice":
            combo = QComboBox()
            combo.addItems(list(param.choices))
            for i, choice in enumerate(param.choices):  # what each means (He/Kaiming...), from the declaration
                combo.setItemData(i, param.choice_text(choice), Qt.ItemDataRole.ToolTipRole)
            combo.setCurrentText(str(value))
            combo.currentTextChanged.connect(lambda v, p=param.name: self._set(p, v))
            return combo
        line = QLineEdit(format_value(value))
        if param.kind == "text":
            line.editingFinished.connect(lambda p=param.name, w=line: self._set(p, w.text().strip()))
        else:
            line.editingFinished.connect(lambda p=param, w=line: self._set_text(p, w))
        return line

    # ---- edits -----------------------------------------------------------------------------
    def _set(self, name: str, value) -> None:
        graph = self.document.graph
        if graph.node(self.node_id).params.get(name) == value:
            self._report(None)  # (what was refused before is no longer there)
            return
        self._report(self.document.push(SetParam(graph, self.node_id, name, value)))

    def _set_text(self, param: Param, line: QLineEdit) -> None:
        try:
            values = parse_ints(line.text())
        except ValueError as e:
            self._report(str(e))
            return
        value = values[0] if param.kind == "pair" and len(values) == 1 else values
        error = param.type_error(value)
        if error:
            self._report(error)
            return
        self._set(param.name, value)

    def _rename(self, line: QLineEdit) -> None:
        graph = self.document.graph
        if line.text() == graph.node(self.node_id).name:
            return
        self._report(self.document.push(Rename(graph, self.node_id, line.text().strip())))

    def _report(self, reason: str | None) -> None:
        self.error.setText(reason or "")

    # ---- document -> form ------------------------------------------------------------------
    def _watch(self, document) -> None:
        """Follow the edits of the shown node's document and its problems (the model's, as the canvas)."""
        if document is self.watched:
            return
        if self.watched is not None:
            self.watched.problems.edited.disconnect(self._on_edited)
            try:
                self.watched.problems.changed.disconnect(self._on_problems)
            except RuntimeError:  # (a block's, already deleted)
                pass
        self.watched = document
        if document is not None:
            document.problems.edited.connect(self._on_edited)
            document.problems.changed.connect(self._on_problems)

    def _on_edited(self, edited) -> None:
        if self.node_id is not None and (self.node_id in edited.changed or any(
                getattr(e, "node", None) == self.node_id for e in edited.events)):
            self.refresh()

    def _on_problems(self) -> None:
        """The list changed: a fix offered here may have too (the nearest port of a lone layer)."""
        if self.document is not None and self.node_id is not None and self.node_id in self.document.graph:
            self.refresh_info()

    def refresh(self) -> None:
        """The node changed (undo, another view): show its current values."""
        if self.document is None or self.node_id is None:
            return
        if self.node_id not in self.document.graph:
            self.show_node(None, None)
            return
        node = self.document.graph.node(self.node_id)
        for name, editor in self.editors.items():
            value = node.name if name == "name" else node.params.get(name)
            editor.blockSignals(True)
            if isinstance(editor, QSpinBox) and isinstance(value, int):
                editor.setValue(value)
            elif isinstance(editor, QDoubleSpinBox) and isinstance(value, (int, float)):
                editor.setValue(float(value))
            elif isinstance(editor, QCheckBox):
                editor.setChecked(bool(value))
            elif isinstance(editor, QComboBox):
                editor.setCurrentText(str(value))
            elif isinstance(editor, QLineEdit) and not editor.hasFocus():
                editor.setText(format_value(value))
            editor.blockSignals(False)
        self.refresh_info()

    def refresh_info(self) -> None:
        from ..compile import param_count
        from ..compile.build import TooLarge

        analysis = self.document.analysis
        node = self.document.graph.node(self.node_id)
        out = analysis.shown_type(self.node_id)
        lines = [f"output: {out if out is not None else '?'}"]
        if out is not None and (node.type in CATALOG or node.type == "Block"):
            try:
                total, trainable = param_count(node.type, node.params, analysis.input_list(self.node_id),
                                               self.document.graph)
                frozen = "" if total == trainable else " (frozen)"
                lines.append(f"parameters: {total:,}{frozen}")
            except TooLarge as e:
                lines.append(f"parameters: too many ({e})")
        problems = self.document.problems.on_node(self.node_id)  # as the canvas outlines it
        lines += [f"{'⚠' if p.severity == 'warning' else '✖'} {p.message}" for p in problems]
        self.shape_label.setText("\n".join(lines))
        while self.fixes.count():
            self.fixes.takeAt(0).widget().deleteLater()
        for problem in problems:
            fix = offered_fix(self.document.graph, analysis, problem.fix)  # the nearest port, for a lone layer
            if fix is not None:
                button = QPushButton(f"Fix: {fix.label}")
                button.setObjectName("fix")
                button.clicked.connect(lambda checked=False, f=fix: self._apply_fix(f))
                self.fixes.addWidget(button)

    def _apply_fix(self, fix) -> None:
        self._report(self.document.apply_fix(fix))
