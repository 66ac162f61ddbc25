"""Build your first network: a short guided walk (Input, Linear, ReLU, Linear, Output, wire them, make
them fit the data, Train). The guide watches the document and moves on when a step is done; the palette
entry or the Train button the current step needs is highlighted."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QDockWidget, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from ..data.sample import Sample, data_spec, sample_of
from ..graph.model import Graph

CHAIN = ["Linear", "ReLU", "Linear"]  # the layers between the Input and the Output, in order
HIGHLIGHT = QColor(255, 196, 61)
BUTTON_STYLE = "QPushButton { border: 3px solid #f0a020; border-radius: 4px; padding: 3px 12px; font-weight: bold }"


def count(graph: Graph, layer_type: str) -> int:
    return sum(1 for n in graph.nodes() if n.type == layer_type)


def chained(graph: Graph) -> bool:
    """An Input reaches an Output through Linear, ReLU, Linear in that order (other layers, a Flatten say,
    may sit between them)."""
    def walk(node_id: str, seen: list[str], visited: frozenset) -> bool:
        node = graph.node(node_id)
        if node.type == "Output":
            return seen == CHAIN
        if node.type in ("Linear", "ReLU"):
            seen = seen + [node.type]
            if seen != CHAIN[:len(seen)]:
                return False
        return any(walk(e.dst, seen, visited | {node_id}) for e in graph.out_edges(node_id)
                   if e.dst not in visited)

    return any(walk(n.id, [], frozenset()) for n in graph.nodes() if n.type == "Input")


def last_linear(graph: Graph):
    """The Linear whose values reach an Output (through layers that keep the size)."""
    for node in graph.nodes():
        if node.type != "Output":
            continue
        current = node.id
        while len(graph.predecessors(current)) == 1:
            current = graph.predecessors(current)[0]
            if graph.node(current).type == "Linear":
                return graph.node(current)
    return None


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    text: str
    done: Callable  # (graph, analysis, sample, trained) -> bool
    layer: str | None = None  # the palette entry to highlight
    train: bool = False  # highlight the Train button


def _has_input(graph, analysis, sample: Sample | None, trained) -> bool:
    """An Input that holds one sample of the data (as many values: [64] takes the 8×8 digits too)."""
    inputs = [n for n in graph.nodes() if n.type == "Input"]
    if sample is None:
        return bool(inputs)
    return any(math.prod(n.params.get("shape", [])) == math.prod(sample.shape) for n in inputs)


def _fits(graph, analysis, sample: Sample | None, trained) -> bool:
    if not analysis.ok():
        return False
    last = last_linear(graph)
    return sample is None or sample.task != "classification" or (
        last is not None and last.params.get("out_features") == sample.outputs)


STEPS = (
    Step("input", "Add an Input",
         "Drag <b>Input</b> from the Layers palette onto the canvas (or double-click it). It holds one sample "
         "of the data, an 8×8 image of a handwritten digit: its shape is {shape} (type that in the "
         "Inspector's shape box if it shows another).",
         _has_input, layer="Input"),
    Step("linear", "Add a Linear",
         "Drag a <b>Linear</b> layer to the right of the Input. Each of its outputs is a weighted sum of all "
         "its inputs: these weights are what training learns.",
         lambda g, a, s, t: count(g, "Linear") >= 1, layer="Linear"),
    Step("relu", "Add a ReLU",
         "Drag a <b>ReLU</b> after it. It keeps positive values and zeroes the rest; without it two Linear "
         "layers would be no better than one.",
         lambda g, a, s, t: count(g, "ReLU") >= 1, layer="ReLU"),
    Step("linear2", "Add a second Linear",
         "Drag another <b>Linear</b>. It will give one score per class: the highest score is the network's "
         "answer.",
         lambda g, a, s, t: count(g, "Linear") >= 2, layer="Linear"),
    Step("output", "Add an Output",
         "Drag an <b>Output</b>: where the scores leave the network and meet the labels.",
         lambda g, a, s, t: count(g, "Output") >= 1, layer="Output"),
    Step("wire", "Wire them",
         "Drag from each layer's output port (its right side) to the next layer's input port (its left side): "
         "Input → Linear → ReLU → Linear → Output. Each wire shows the shape of the tensor it carries.",
         lambda g, a, s, t: chained(g)),
    Step("fit", "Make it fit the data",
         "Fix what is red: select a red layer and press its <b>Fix</b> button in the Inspector (a Linear "
         "needs a flat vector, so the fix puts a Flatten before it). Then give the last Linear one output per "
         "class: set its <b>out_features</b> to {classes} in the Inspector.",
         _fits),
    Step("train", "Train it",
         "Press <b>Train</b> (Ctrl+R) and watch the loss fall and the accuracy rise in the Training panel.",
         lambda g, a, s, t: t, train=True),
)


ENDED = "The walk has ended. Help > Getting Started, then Build Your First Network, begins it again."


class Guide(QWidget):
    """The walk, shown in a dock: the steps with the current one explained. It is given the document to
    watch, the palette and the Train button to point at."""

    stepChanged = Signal(str)  # the current step's key ("" when the walk is over)

    def __init__(self, palette, train_button: QPushButton, parent=None):
        super().__init__(parent)
        self.setObjectName("guide")
        self.layer_palette, self.train_button = palette, train_button
        self.document = None
        self.sample: Sample | None = None
        self.runs_at_start = 0
        self.trained = False
        self.current: str | None = None
        self._marked = None  # the palette item highlighted
        self._check_timer = QTimer(self, singleShot=True, interval=0)  # once per edit, after the analysis
        self._check_timer.timeout.connect(self.check)
        self.labels: dict[str, QLabel] = {}
        layout = QVBoxLayout(self)
        intro = QLabel("<b>Build your first network</b>: a classifier of handwritten digits, in eight steps.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.explain = QLabel()
        self.explain.setObjectName("guide_text")
        self.explain.setWordWrap(True)
        self.explain.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.explain.setMinimumHeight(90)
        self.explain.setStyleSheet("QLabel { background: palette(base); border: 1px solid palette(mid);"
                                   " border-radius: 4px; padding: 8px }")
        layout.addWidget(self.explain)  # first: what to do now is seen however small the dock
        for number, step in enumerate(STEPS, 1):
            label = QLabel(f"{number}. {step.title}")
            label.setObjectName(f"step_{step.key}")
            self.labels[step.key] = label
            layout.addWidget(label)
        self.stop_button = QPushButton("End the Walk")
        self.stop_button.setObjectName("guide_stop")
        self.stop_button.clicked.connect(self.stop)
        layout.addWidget(self.stop_button)
        layout.addStretch()

    # ---- the document --------------------------------------------------------------------------
    def start(self, document) -> None:
        """Begin the walk on `document` (a new one, usually)."""
        self.stop()
        self.document = document
        self.sample = sample_of(data_spec(document.graph.meta))
        self.runs_at_start = len(document.runs.states)
        self.trained = False
        document.graph.events.connect(self._on_event)
        document.problemsChanged.connect(self._check_timer.start)
        document.runs.listChanged.connect(self._on_runs)
        self.check()

    def stop(self) -> None:
        """End the walk: nothing is watched or highlighted any more."""
        if self.document is not None:
            self.document.graph.events.disconnect(self._on_event)
            self.document.problemsChanged.disconnect(self._check_timer.start)
            self.document.runs.listChanged.disconnect(self._on_runs)
        self.document = None
        self._set_current(None)

    def set_document(self, document) -> None:
        """The window shows another document: the walk was about the one before, so it ends."""
        if self.document is not None and document is not self.document:
            self.stop()

    def _on_event(self, event) -> None:
        self._check_timer.start()

    def _on_runs(self) -> None:
        if self.document is not None and len(self.document.runs.states) > self.runs_at_start:
            self.trained = True
        self._check_timer.start()

    # ---- the steps -----------------------------------------------------------------------------
    def check(self) -> None:
        """Find the first step not done yet and show it."""
        if self.document is None:
            return
        graph, analysis = self.document.graph, self.document.analysis
        current = next((s for s in STEPS if not s.done(graph, analysis, self.sample, self.trained)), None)
        self._set_current(current.key if current else "")

    def _set_current(self, key: str | None) -> None:
        keys = [s.key for s in STEPS]
        at = keys.index(key) if key else len(keys) if key == "" else -1
        for i, step in enumerate(STEPS):
            label = self.labels[step.key]
            done = key is not None and i < at
            label.setText(f"{'✓' if done else '▶' if i == at else '  '} {i + 1}. {step.title}")
            label.setStyleSheet("font-weight: bold" if i == at else "color: gray" if done else "")
        if key == self.current:
            return
        self.current = key
        self._unmark()
        step = next((s for s in STEPS if s.key == key), None)
        if step is not None:
            classes = self.sample.outputs if self.sample and self.sample.task == "classification" else "the classes"
            shape = ", ".join(map(str, self.sample.shape)) if self.sample else "the sample's shape"
            self.explain.setText(step.text.replace("{classes}", str(classes)).replace("{shape}", shape))
            self._mark(step)
        elif key == "":
            self.explain.setText("<b>Done: your network trains.</b> Try a wider hidden layer or a second one, "
                                 "swap ReLU for Sigmoid and watch the Gradients tab, or open a template "
                                 "(File &gt; New from Template) to see larger networks.")
        else:  # ended: the box says so rather than stay empty
            self.explain.setText(ENDED)
        self.stepChanged.emit(key or "")

    def _mark(self, step: Step) -> None:
        if step.layer:
            self.layer_palette.search.clear()  # a search could hide the entry
            item = self.layer_palette.item_for(step.layer)
            if item is not None:
                item.setBackground(0, QBrush(HIGHLIGHT))
                item.setForeground(0, QBrush(QColor(0, 0, 0)))
                font = QFont(item.font(0))
                font.setBold(True)
                item.setFont(0, font)
                self.layer_palette.tree.scrollToItem(item)
                self._marked = item
        if step.train:
            self.train_button.setStyleSheet(BUTTON_STYLE)

    def _unmark(self) -> None:
        if self._marked is not None:
            self._marked.setData(0, Qt.ItemDataRole.BackgroundRole, None)  # back to the palette's own colours
            self._marked.setData(0, Qt.ItemDataRole.ForegroundRole, None)
            font = QFont(self._marked.font(0))
            font.setBold(False)
            self._marked.setFont(0, font)
            self._marked = None
        self.train_button.setStyleSheet("")

    def marked_layer(self) -> str | None:
        """The palette entry highlighted now (for tests and screenshots)."""
        return self._marked.text(0) if self._marked is not None else None


class GuideDock(QDockWidget):
    """Closing the dock ends the walk (a dock tabbed behind another is only hidden: the walk goes on)."""

    def __init__(self, title: str, guide: Guide, parent=None):
        super().__init__(title, parent)
        self.guide = guide

    def closeEvent(self, event) -> None:
        self.guide.stop()
        super().closeEvent(event)


TITLE = "First Network"


def install(bench, palette, train_button: QPushButton) -> Guide:
    """The guide's dock (hidden until a walk starts; once per window), pointing at this palette and Train button."""
    found = bench.dock(TITLE)
    if found is not None:
        return found.guide
    guide = Guide(palette, train_button)
    scroll = QScrollArea()  # the steps scroll rather than make the window taller
    scroll.setWidgetResizable(True)
    scroll.setWidget(guide)
    dock = bench.add_dock(TITLE, scroll, Qt.DockWidgetArea.RightDockWidgetArea,
                          dock=GuideDock(TITLE, guide, bench.widget), listed=False)
    dock.hide()
    guide.stepChanged.connect(lambda key: bench.show_dock("Training") if key == "train" else None)
    bench.documentChanged.connect(guide.set_document)
    bench.documentChanged.connect(lambda _: dock.hide() if guide.document is None else None)  # about the one before
    return guide


def start_walk(bench) -> bool:
    """Build your first network: a new document (after asking about unsaved changes), then the walk."""
    dock = bench.dock(TITLE)
    if dock is None or not bench.new_document():
        return False
    # a new document has no story yet: the walk takes the About pane's place, with room for what to do and the steps
    bench.show_dock(TITLE, height=420, beside="About This Network")
    dock.guide.start(bench.document)
    return True
