"""Train > Sweep: what to vary (1 to 4 training settings or layer parameters, each a range or a list), the
sampler, the number of trials, the metric and pruning. Each row is checked against the document as it is
typed; OK is enabled when every row is usable. Every option, choice and thing to vary has a tooltip in plain
words (glossary.py; a layer's parameter, its declaration's)."""
from __future__ import annotations

from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QGridLayout, QLabel,
                               QLineEdit, QSpinBox, QVBoxLayout, QWidget)

from PySide6.QtCore import Qt

from ... import glossary
from ...analysis.blocks import spec_of
from ...tune.sweep import METRICS, SAMPLERS, SETTINGS, SweepError, SweepSpec, parse_vary
from ..glossary_view import glossary_link

ROWS = 4
EXAMPLES = {"lr": "1e-4..1e-1:log", "batch_size": "16,32,64,128", "epochs": "5..20", "weight_decay": "0,1e-4,1e-3",
            "optimizer": "adam,sgd", "momentum": "0.5..0.99"}


def targets(graph) -> list[str]:
    """Everything a sweep of this document may vary: settings, then each layer's number and choice parameters."""
    found = list(SETTINGS)
    for node in graph.nodes():
        spec = spec_of(graph, node)
        if spec is None or node.type in ("Input", "Output"):
            continue
        found += [f"{node.name}.{p.name}" for p in spec.all_params
                  if p.kind in ("int", "float", "choice") and p.name not in ("init", "lr_scale")]
    return found


def target_tip(target: str, graph) -> str:
    """What varying `target` changes, in plain words."""
    if "." not in target:
        return glossary.tooltip("training", target)
    layer, _, name = target.partition(".")
    param = spec_of(graph, graph.by_name(layer)).param(name)
    return f"{layer}'s {name}: {param.help}" if param is not None and param.help else ""


def _tip_items(box: QComboBox, section: str) -> None:
    for i in range(box.count()):
        box.setItemData(i, glossary.tooltip(section, box.itemText(i)), Qt.ItemDataRole.ToolTipRole)


def example(target: str, graph) -> str:
    if target in EXAMPLES:
        return EXAMPLES[target]
    if "." in target:
        layer, _, name = target.partition(".")
        node = graph.by_name(layer)
        param = spec_of(graph, node).param(name)
        if param.kind == "choice":
            return ",".join(param.choices)
        value = node.params.get(name, param.default)
        if param.kind == "int":
            return ",".join(str(v) for v in dict.fromkeys((max(1, value // 2), value, value * 2)))
        return f"{value / 2:g}..{min(value * 2, param.max if param.max is not None else value * 2):g}"
    return ""


class SweepDialog(QDialog):
    def __init__(self, graph, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Sweep")
        self.setObjectName("sweep_dialog")
        self.graph = graph
        grid = QGridLayout()
        vary_tip = glossary.tooltip("sweep", "varies", "vary")
        for column, text in enumerate(("<b>vary</b>", "<b>values</b>: low..high (:log), or a list a,b,c")):
            heading = QLabel(text)
            heading.setToolTip(vary_tip)
            grid.addWidget(heading, 0, column)
        self.rows: list[tuple[QComboBox, QLineEdit, QLabel]] = []
        choices = ["(nothing)"] + targets(graph)
        tips = [""] + [target_tip(t, graph) for t in choices[1:]]
        for i in range(ROWS):
            what, values, error = QComboBox(), QLineEdit(), QLabel()
            what.addItems(choices)
            for k, tip in enumerate(tips):
                what.setItemData(k, tip, Qt.ItemDataRole.ToolTipRole)
            what.setToolTip(vary_tip)
            values.setToolTip(vary_tip)
            what.setObjectName(f"sweep_vary_{i}")
            values.setObjectName(f"sweep_values_{i}")
            error.setStyleSheet("color: #c0392b")
            what.currentTextChanged.connect(lambda text, v=values: v.setText(example(text, self.graph)
                                                                            if text != "(nothing)" else ""))
            what.currentTextChanged.connect(self._check)
            values.textChanged.connect(self._check)
            grid.addWidget(what, 1 + 2 * i, 0)
            grid.addWidget(values, 1 + 2 * i, 1)
            grid.addWidget(error, 2 + 2 * i, 0, 1, 2)
            self.rows.append((what, values, error))
        self.sampler = QComboBox()
        self.sampler.addItems(list(SAMPLERS))
        _tip_items(self.sampler, "sweep")
        self.trials = QSpinBox()
        self.trials.setRange(1, 10_000)
        self.trials.setValue(10)
        self.metric_box = QComboBox()
        self.metric_box.addItems(list(METRICS))
        _tip_items(self.metric_box, "sweep")
        self.prune = QCheckBox("stop hopeless trials early (median pruner)")
        form = QFormLayout()
        for label, editor, name in (("sampler", self.sampler, "sampler"), ("trials", self.trials, "trials"),
                                    ("optimise", self.metric_box, "metric"), ("", self.prune, "prune")):
            editor.setObjectName(f"sweep_{name}")
            editor.setToolTip(glossary.tooltip("sweep", name, label or "median pruner"))
            form.addRow(label, editor)
            if label:
                form.labelForField(editor).setToolTip(editor.toolTip())
        form.addRow(glossary_link("sweep"))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Start Sweep")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        body = QWidget()
        body.setLayout(grid)
        layout.addWidget(body)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.rows[0][0].setCurrentText("lr")
        self._check()

    def spec(self) -> SweepSpec | None:
        """The sweep as filled in, or None while a row is not usable (each says why)."""
        varies, ok = [], True
        for what, values, error in self.rows:
            error.setText("")
            if what.currentText() == "(nothing)":
                continue
            try:
                varies.append(parse_vary(f"{what.currentText()}={values.text()}", self.graph))
            except SweepError as e:
                error.setText(str(e))
                ok = False
        spec = SweepSpec(varies, self.trials.value(), self.sampler.currentText(), self.metric_box.currentText(),
                         self.prune.isChecked())
        problems = spec.problems()
        if problems and ok:
            self.rows[0][2].setText("; ".join(problems))
        return spec if ok and not problems else None

    def _check(self, *_) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(self.spec() is not None)
