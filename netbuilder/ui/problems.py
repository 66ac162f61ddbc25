"""The problems of a graph being edited, from one model: its analysis (each layer's and whole networks'), the
document's settings, the dataset the Data panel loaded and the last run's diagnosis. The Problems panel lists
them, the canvas outlines a node's and the inspector shows a node's with their fixes: all three read this."""
from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QObject, QTimer, Signal

from ..analysis.fixes import offered_fix
from ..analysis.shapes import Edited
from ..data.dataset import DataSpec
from ..errors import UserError
from ..graph import events as ev
from ..graph.problems import Problem
from ..train.config import TrainConfig
from ..train.fitting import data_problems
from ..train.settings import settings_problems

LONE_FIXES = 20  # lone layers whose nearest-port fix the list works out each time (each looks at all layers)
NOT_WIRING = (ev.ParamChanged, ev.NodeMoved, ev.NodeRenamed, ev.MetaChanged)


class Problems(QObject):
    """One document's problems, or one of its blocks' (`root` is then the document's model: a block has the
    document's settings, and the data and the diagnosis are the document's alone).

    `edited` (plain callbacks, as the analysis's) hears each edit once, with the nodes whose drawing changed:
    their shapes, their own problems or their networks', or the diagnosis on them. `changed` says the list may
    have changed: soon after, once for a burst of edits (at once for a new dataset or diagnosis)."""

    changed = Signal()

    def __init__(self, editable, root: "Problems | None" = None, parent=None):
        super().__init__(parent)
        self.editable, self.root = editable, root
        self.graph, self.analysis = editable.graph, editable.analysis
        self.edited = ev.Listeners()
        self.diagnosis: list[Problem] = []  # the last run's warnings (the document's)
        self.data = None  # (prepared, spec): the dataset the Data panel loaded (the document's)
        self._on_nodes: dict[str, list[Problem]] = {}  # the diagnosis by node
        self._marks = self._network_table()
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self.changed)
        self.analysis.edited.connect(self._on_edited)
        if root is not None:
            root.changed.connect(self._timer.start)  # the settings, say

    def close(self) -> None:
        self.analysis.edited.disconnect(self._on_edited)
        self._timer.stop()

    # ---- what views read -------------------------------------------------------------------------------------
    def on_node(self, node_id: str) -> list[Problem]:
        """A node's problems: its own, its network's (no Output...), and the diagnosis on it (the outline and the
        inspector show these)."""
        return self.analysis.node_problems(node_id) + self._marks.get(node_id, []) + self._on_nodes.get(node_id, [])

    def listed(self) -> list[Problem]:
        """Every problem, as the Problems panel lists them: the analysis's (a lone layer offered the nearest
        port that fits), the diagnosis's, the settings', then the data's."""
        found = self.analysis.problems()  # (the analysis keeps its own list)
        lone = [i for i, p in enumerate(found) if p.fix is not None and p.fix.kind in ("add_before", "add_after")]
        for i in lone[:LONE_FIXES]:
            fix = offered_fix(self.graph, self.analysis, found[i].fix)
            found[i] = found[i] if fix is found[i].fix else replace(found[i], fix=fix)
        return found + [w for w in self.diagnosis if w.node in self.graph] + self._settings() + self._data()

    def names(self) -> dict[str, str]:
        return {n.id: n.name for n in self.graph.nodes()}

    # ---- sources ---------------------------------------------------------------------------------------------
    def set_diagnosis(self, warnings) -> None:
        """The last run's warnings (vanishing gradients...): listed, and shown on their nodes."""
        warnings = list(warnings)
        if warnings == self.diagnosis:
            return
        self.diagnosis = warnings
        old, self._on_nodes = self._on_nodes, {}
        for p in warnings:
            if p.node is not None:
                self._on_nodes.setdefault(p.node, []).append(p)
        changed = {n for n in set(old) | set(self._on_nodes) if old.get(n) != self._on_nodes.get(n)}
        self.edited.emit(Edited((), frozenset(n for n in changed if n in self.graph)))
        self._now()

    def set_data(self, prepared, spec) -> None:
        """The dataset the Data panel prepared (checked against the network when it is the document's own)."""
        self.data = (prepared, spec) if prepared is not None and spec is not None else None
        self._now()

    def _now(self) -> None:
        """A source changed (not an edit): the list at once."""
        self._timer.stop()
        self.changed.emit()

    def _settings(self) -> list[Problem]:
        meta = (self.root or self).graph.meta
        warnings: list[str] = []
        errors = settings_problems(meta, warnings)
        return [Problem(None, text) for text in errors] + [Problem(None, text, severity="warning") for text in warnings]

    def _data(self) -> list[Problem]:
        """Whether the network's Input and Output fit the dataset loaded, when it is the document's own."""
        if self.root is not None or self.data is None:
            return []
        prepared, spec = self.data
        own = DataSpec.from_dict(self.graph.meta.get("data"))
        if spec.source != own.source or any(own.options.get(k, v) != v for k, v in spec.options.items()):
            return []  # the panel shows another dataset (options it has no editor for aside)
        try:
            config = TrainConfig.from_dict(self.graph.meta.get("training"))
        except (UserError, TypeError, ValueError):
            return []  # the settings' own problems are listed
        return data_problems(self.graph, config, prepared, spec, self.analysis)

    # ---- the edits -------------------------------------------------------------------------------------------
    def _on_edited(self, edited: Edited) -> None:
        changed = set(edited.changed)
        if not edited.events or any(not isinstance(e, NOT_WIRING) for e in edited.events):
            changed |= self._new_marks()  # the wiring changed (or everything was worked out again)
        self.edited.emit(Edited(edited.events, frozenset(changed)))
        self._timer.start()

    def _new_marks(self) -> set[str]:
        """The nodes whose network problems changed (a network gaining its Output clears all its layers')."""
        old, self._marks = self._marks, self._network_table()
        return {n for n in set(old) | set(self._marks) if old.get(n) != self._marks.get(n)}

    def _network_table(self) -> dict[str, list[Problem]]:
        table: dict[str, list[Problem]] = {}
        for p in self.analysis.network_problems():
            if p.node is not None:
                table.setdefault(p.node, []).append(p)
        return table
