"""The canvas follows the stack of graphs it can show (stack.py): one scene per level, those beneath kept with
their selection, and on the way back out the zoom and place each level was left at. It passes its scenes'
signals on, so nothing has to follow the scenes one by one."""
from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from ..readable import show_readable
from .scene import GraphScene
from .stack import CanvasStack
from .view import GraphView


class Canvas(QObject):
    sceneChanged = Signal(object)  # the scene now shown (another level of the stack, or another document)
    selectionChanged = Signal()  # the selection on the shown scene changed, or another scene is shown
    zoomChanged = Signal()  # the view was zoomed for the scene shown (a block's, once it is laid out)
    graphChanged = Signal()  # the graph shown changed (soon after its edits, as its problems list)
    message = Signal(str)  # something to tell the user (a refused wire...)
    nodeHovered = Signal(str)  # the node under the mouse on the shown scene, "" when it leaves
    duplicateRequested = Signal()
    blockAction = Signal(str, str)  # as GraphScene.blockAction

    def __init__(self, view: GraphView, stack: CanvasStack, parent=None):
        super().__init__(parent)
        self.view, self.stack = view, stack
        self.scenes: list[GraphScene] = []  # one per level of the stack
        self.places: list[tuple] = []  # each level's zoom and centre when the one above it was opened
        self.snap = True
        stack.changed.connect(self._on_stack)

    @property
    def scene(self) -> GraphScene | None:
        """The scene shown."""
        return self.scenes[-1] if self.scenes else None

    @property
    def top_scene(self) -> GraphScene | None:
        """The document's own scene, shown or not (training tints go there)."""
        return self.scenes[0] if self.scenes else None

    def selected_node(self) -> str | None:
        """The one node selected on the shown scene, if one is."""
        ids = self.scene.selected_node_ids() if self.scene is not None else []
        return ids[0] if len(ids) == 1 else None

    def set_snap(self, on: bool) -> None:
        self.snap = on
        for scene in self.scenes:
            scene.snap = on

    def detach(self) -> None:
        """Let go of every scene (the window closes)."""
        while self.scenes:
            self._drop(self.scenes.pop())

    # ---- following the stack -----------------------------------------------------------------------------------
    def _on_stack(self) -> None:
        levels = self.stack.levels()
        keep = 0
        while keep < min(len(levels), len(self.scenes)) and self.scenes[keep].document is levels[keep]:
            keep += 1
        back_to = None
        if keep == 0:
            self.places.clear()  # another document
        elif keep < len(self.scenes) and keep - 1 < len(self.places):
            back_to = self.places[keep - 1]  # where the user was before going in
            del self.places[keep - 1:]
        while len(self.scenes) > keep:
            self._drop(self.scenes.pop())
        going_in = keep > 0 and len(levels) > keep
        for editable in levels[keep:]:
            if self.scenes:  # the level left behind: its zoom and place, for the way back
                view = self.view
                self.places.append((view.transform(), view.mapToScene(view.viewport().rect().center())))
            self.scenes.append(self._make(editable))
        scene = self.scene
        if scene is not None:
            self.view.setScene(scene)
        if back_to is not None:
            transform, centre = back_to
            self.view.setTransform(transform)
            self.view.centerOn(centre)
        self.sceneChanged.emit(scene)
        self.selectionChanged.emit()  # (the inspector shows what is selected on this canvas)
        if going_in:
            QTimer.singleShot(0, lambda s=scene: self._readable(s))

    def _readable(self, scene: GraphScene) -> None:
        if self.scene is scene:
            show_readable(self.view)
            self.zoomChanged.emit()

    def _make(self, editable) -> GraphScene:
        scene = GraphScene(editable, self)
        scene.snap = self.snap
        scene.message.connect(self.message)
        scene.selectionChanged.connect(lambda s=scene: self.selectionChanged.emit() if s is self.scene else None)
        scene.nodeHovered.connect(lambda node_id, s=scene: self.nodeHovered.emit(node_id) if s is self.scene else None)
        scene.duplicate_requested.connect(self.duplicateRequested)
        scene.blockAction.connect(self.blockAction)
        scene.problems.changed.connect(lambda s=scene: self.graphChanged.emit() if s is self.scene else None)
        return scene

    @staticmethod
    def _drop(scene: GraphScene) -> None:
        scene.blockSignals(True)  # its selection going away says nothing to the window
        scene.clearSelection()
        scene.detach()
        scene.deleteLater()
