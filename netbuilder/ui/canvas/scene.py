"""The canvas scene: one item per node and per wire, kept in step with the document's events."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QTimer, QVariantAnimation, Signal
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsScene, QMenu

from ...analysis import in_place, wiring
from ...data.sample import new_layer_params
from ...graph import events as ev
from ...graph.edits import AddNode, Disconnect, Group, move_nodes, remove_nodes
from ...graph.layout import downstream
from ...graph.model import Edge, EditError
from ...graph.block_library import load_block, use_block
from ...graph.io import FileFormatError
from ...layers import CATALOG, check_node, new_node
from ...paths import blocks_dir
from .. import theme
from .context_menu import build_edge_menu, build_node_menu
from .edge_item import ABOVE, BELOW, EdgeItem
from .note import Note
from .node_item import NodeItem
from .port_item import PortItem
from .view import MY_BLOCK
from .wire_drag import WireDrag

GRID = 20.0
FADE_MS = 1800  # a replaced wire fades out over this long


def on_wire(edit: Group, wire: Edge) -> bool:
    """Whether the edit puts something on `wire` (takes the wire away)."""
    return any(isinstance(e, Disconnect) and e.edge == wire for e in edit.edits)


class GraphScene(QGraphicsScene):
    message = Signal(str)  # something to tell the user (status bar)
    nodeHovered = Signal(str)  # the node under the mouse, "" when it leaves

    def __init__(self, document, parent=None):
        super().__init__(parent)
        self.document = document
        self.graph, self.analysis = document.graph, document.analysis
        self.problems = document.problems  # a node's outline shows its problems from here
        self.node_items: dict[str, NodeItem] = {}
        self.edge_items: dict[Edge, EdgeItem] = {}
        self.snap = True
        self.wire: WireDrag | None = None
        self.last_refusal: str | None = None
        self.last_replaced: str | None = None
        self.ghosts: list[QGraphicsPathItem] = []  # replaced wires fading out
        self._cover_pending: set[EdgeItem] = set()
        self._cover_timer_set = False
        self.note = Note(self)
        self.setBackgroundBrush(theme.canvas_background())
        self.problems.edited.connect(self._on_edited)  # the one channel: each edit once, with its results
        for node_id in self.graph.node_ids():
            self._add_node_item(node_id)
        for edge in self.graph.edges():
            self._add_edge_item(edge)

    def detach(self) -> None:
        self.problems.edited.disconnect(self._on_edited)

    # ---- document -> items -----------------------------------------------------------------
    def _add_node_item(self, node_id: str) -> None:
        item = NodeItem(self, node_id)
        item.setPos(QPointF(*self.graph.node(node_id).pos))
        self.node_items[node_id] = item
        self.addItem(item)

    def _add_edge_item(self, edge: Edge) -> None:
        item = EdgeItem(self, edge)
        self.edge_items[edge] = item
        self.addItem(item)

    def _on_edited(self, edited) -> None:
        """One edit, after the analysis caught up: items made and removed in its order, then each node whose
        drawing changed refreshed once (a node made by the edit is drawn with its results already)."""
        fresh, fresh_wires, refresh, reroute = set(), set(), set(edited.changed), set()
        for event in edited.events:
            if isinstance(event, ev.NodeAdded):
                if event.node in self.graph and event.node not in self.node_items:  # (not taken back meanwhile)
                    self._add_node_item(event.node)
                    fresh.add(event.node)
                    self.raise_hidden_wires(self.node_items[event.node].sceneBoundingRect())
            elif isinstance(event, ev.NodeRemoved):
                fresh.discard(event.node)
                item = self.node_items.pop(event.node, None)
                if item is not None:
                    if self.wire is not None and self.wire.port.node_item is item:
                        self.cancel_wire()  # its layer went away mid-drag (an undo shortcut, say)
                    self.raise_hidden_wires(item.sceneBoundingRect())  # one it covered may go back under
                    self.removeItem(item)
            elif isinstance(event, (ev.EdgeAdded, ev.EdgeRemoved)):
                edge = event.edge
                item = self.edge_items.pop(edge, None)
                if item is not None:
                    self.removeItem(item)
                    fresh_wires.discard(edge)
                if isinstance(event, ev.EdgeAdded) and self._holds(edge):
                    self._add_edge_item(edge)
                    fresh_wires.add(edge)
                refresh.update((edge.src, edge.dst))
                reroute.add(edge.dst)
            elif isinstance(event, ev.NodeMoved):
                item = self.node_items.get(event.node)
                if item is not None and (item.pos().x(), item.pos().y()) != event.pos:
                    item.setPos(QPointF(*event.pos))
                    self.raise_hidden_wires(item.sceneBoundingRect())
            elif isinstance(event, (ev.ParamChanged, ev.NodeRenamed)):
                refresh.add(event.node)
        for node_id in refresh - fresh:
            item = self.node_items.get(node_id)
            if item is not None:
                item.refresh()
        for node_id in edited.changed:  # the shapes its wires carry
            for edge in self.graph.out_edges(node_id) if node_id in self.graph else ():
                if edge in self.edge_items and edge not in fresh_wires:
                    self.edge_items[edge].refresh()
        for node_id in reroute:
            if node_id in self.graph:
                self._reroute(node_id)

    def _holds(self, edge: Edge) -> bool:
        """Whether the document has this wire (after the edit)."""
        return edge.dst in self.graph and self.graph.edge_into(edge.dst, edge.dst_port) == edge

    def set_tints(self, tints: dict) -> None:
        """Colour nodes by a value (gradient magnitude while training); {} clears."""
        for node_id, item in self.node_items.items():
            color = tints.get(node_id)
            if color != item.tint:
                item.tint = color
                item.update()

    def _reroute(self, node_id: str) -> None:
        for edge in self.graph.in_edges(node_id) + self.graph.out_edges(node_id):
            if edge in self.edge_items:
                self.edge_items[edge].update_path()

    def node_item_moved(self, item: NodeItem) -> None:
        self._reroute(item.node_id)

    def raise_hidden_wires(self, rect: QRectF) -> None:
        """Wires that pass under this area are checked again: one hidden by a node is drawn above it."""
        for item in self.items(rect):
            if isinstance(item, EdgeItem):
                self.check_cover(item)

    def check_cover(self, item: EdgeItem) -> None:
        """Soon (once per burst of changes, with the scene's index up to date): draw the wire above
        the layers when one of them would hide part of it."""
        self._cover_pending.add(item)
        if not self._cover_timer_set:
            self._cover_timer_set = True
            QTimer.singleShot(0, self._check_covers)

    def _check_covers(self) -> None:
        self._cover_timer_set = False
        pending, self._cover_pending = self._cover_pending, set()
        for item in pending:
            if item.scene() is self:
                item.setZValue(ABOVE if item.hides_behind_a_layer() else BELOW)

    # ---- gestures -> edits -----------------------------------------------------------------
    def push(self, edit) -> bool:
        reason = self.document.push(edit)
        if reason:
            self.message.emit(reason)
        return reason is None

    def add_layer(self, layer_type: str, pos: QPointF, wire: Edge | None = None) -> str | None:
        """Add a layer of the catalog, or one of My blocks ("myblock:Name") at pos (on `wire` when it has
        one input and one output); its id, or None when a block file cannot be read (the message says why)."""
        x, y = self._snap(pos.x() - 85, pos.y() - 30)
        if layer_type.startswith(MY_BLOCK):
            name = layer_type[len(MY_BLOCK):]
            try:
                library = load_block(blocks_dir(), name, check_node)
                try:
                    edit, node_id = use_block(self.graph, library, name, (x, y), wire)
                except EditError as e:  # it does not fit a wire (several inputs): beside it
                    self.message.emit(str(e))
                    edit, node_id = use_block(self.graph, library, name, (x, y))
            except (FileFormatError, EditError) as e:
                self.last_refusal = str(e)
                self.message.emit(f"Cannot add the block: {e}")
                return None
            if wire is not None and on_wire(edit, wire):  # on the wire: room between its ends
                added = next(e.node for e in edit.edits if isinstance(e, AddNode) and e.node.id == node_id)
                edit.edits[:0] = in_place.room_on_wire(self.graph, added, wire)
            if not self.push(edit):
                return None
        else:
            node = new_node(self.graph, layer_type, (x, y), **new_layer_params(self.graph.meta, layer_type))  # fits the data
            self.push(AddNode(node))
            node_id = node.id
        self.clearSelection()
        self.node_items[node_id].setSelected(True)
        return node_id

    def _snap(self, x: float, y: float) -> tuple[float, float]:
        if not self.snap:
            return (x, y)
        return (round(x / GRID) * GRID, round(y / GRID) * GRID)

    def commit_moves(self) -> None:
        """After a drag: one undo step moving every node whose item left its model position."""
        moved = {}
        for node_id, item in self.node_items.items():
            pos = (item.pos().x(), item.pos().y())
            if pos != self.graph.node(node_id).pos:
                moved[node_id] = self._snap(*pos)
        if moved:
            self.push(move_nodes(self.graph, moved))
            for node_id, pos in moved.items():  # snapping may differ from where the item was let go
                self.node_items[node_id].setPos(QPointF(*pos))
                self.raise_hidden_wires(self.node_items[node_id].sceneBoundingRect())

    def selected_node_ids(self) -> list[str]:
        chosen = {i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)}
        return [n for n in self.graph.node_ids() if n in chosen]

    def select_nodes(self, node_ids) -> None:
        self.clearSelection()
        for n in node_ids:
            if n in self.node_items:
                self.node_items[n].setSelected(True)

    def delete_selection(self) -> None:
        nodes = self.selected_node_ids()
        wires = [i.edge for i in self.selectedItems() if isinstance(i, EdgeItem)
                 and i.edge.src not in nodes and i.edge.dst not in nodes]
        edits = []
        if wires:
            edits += [Disconnect(e) for e in wires]
        if nodes:
            edits += remove_nodes(self.graph, nodes).edits
        if edits:
            what = f"{len(nodes)} node(s)" if nodes else f"{len(wires)} wire(s)"
            self.push(Group(edits, f"Delete {what}"))

    # ---- new wires -------------------------------------------------------------------------
    def start_wire(self, port: PortItem, pos: QPointF) -> None:
        self.wire = WireDrag(self, port, pos)

    def cancel_wire(self) -> None:
        if self.wire is not None:
            self.removeItem(self.wire.item)
            self.wire = None

    def drag_wire(self, pos: QPointF) -> None:
        if self.wire is not None:
            self.wire.move(pos)

    def finish_wire(self, pos: QPointF) -> None:
        if self.wire is None:
            return
        wire, self.wire = self.wire, None
        reason = wire.finish(pos)
        self.last_refusal = reason
        if reason:
            self.message.emit(reason)
            self.note.show_at(reason, pos)

    def connect_ports(self, a: PortItem, b: PortItem) -> str | None:
        """Connect two ports (either order); returns why the wire is refused, or None."""
        if a.is_input == b.is_input:
            kind = "inputs" if a.is_input else "outputs"
            return f"cannot connect two {kind}: drag from an output (right side) to an input (left side)"
        out, inp = (b, a) if a.is_input else (a, b)
        edge = Edge(out.node_id, out.name, inp.node_id, inp.name)
        try:  # the core's rules: a drawn wire takes the place of the one in its input
            edit = wiring.connect(self.graph, edge, replace=True)
        except EditError as e:
            return str(e)
        if edit is None:
            return None
        old = self.graph.edge_into(inp.node_id, inp.name)
        ghost = self.edge_items[old].path() if old in self.edge_items else None
        if self.push(edit) and old is not None:
            self.wire_replaced(old, ghost, inp.scenePos())
        return None

    def connect_wire(self, edge: Edge) -> bool:
        """Add this wire by the core's rules (Connect to…), as one undo step named after it; False with the
        reason on the status line when it may not be added."""
        try:
            edit = wiring.connect(self.graph, edge)
        except EditError as e:
            self.last_refusal = str(e)
            self.message.emit(str(e))
            return False
        if edit is None:
            return False
        edit.text = wiring.connect_text(self.graph, edge)
        return self.push(edit)

    def wire_replaced(self, old: Edge, path, where: QPointF) -> None:
        """Say that a wire took the place of another: the old one fades out, with a note."""
        text = (f"replaced the wire from {self.graph.node(old.src).name}"
                f" into {self.graph.node(old.dst).name}.{old.dst_port}")
        self.last_replaced = text
        self.message.emit(text)
        self.note.show_at(text, where, error=False)
        if path is None:
            return
        ghost = QGraphicsPathItem(path)
        ghost.setPen(QPen(theme.WARNING, 2.0))
        ghost.setZValue(50)
        self.addItem(ghost)
        fade = QVariantAnimation(self)
        fade.setStartValue(1.0)
        fade.setEndValue(0.0)
        fade.setDuration(FADE_MS)
        fade.valueChanged.connect(ghost.setOpacity)
        fade.finished.connect(lambda: self._drop_ghost(ghost))
        self.ghosts.append(ghost)
        fade.start(QVariantAnimation.DeletionPolicy.DeleteWhenStopped)

    def _drop_ghost(self, ghost) -> None:
        if ghost in self.ghosts:
            self.ghosts.remove(ghost)
            if ghost.scene() is self:
                self.removeItem(ghost)

    # ---- changes in place ------------------------------------------------------------------
    def _build_and_push(self, build, *args) -> str | None:
        """Build an edit with the core's rules and apply it; returns the new node's id, if any.
        A refusal goes to the status bar and on the canvas."""
        try:
            edit = build(self.graph, *args)
        except EditError as e:
            self.last_refusal = str(e)
            self.message.emit(str(e))
            return None
        if not self.push(edit):
            return None
        added = [e.node.id for e in getattr(edit, "edits", [edit]) if isinstance(e, AddNode)]
        touched = added or [a for a in args if isinstance(a, str) and a in self.node_items][:1]
        if touched:
            self.select_nodes(touched)
        return touched[0] if touched else None

    def insert_on_wire(self, edge: Edge, layer_type: str) -> str | None:
        return self._build_and_push(in_place.insert_on_wire, edge, layer_type)

    def insert_before(self, node_id: str, port: str, layer_type: str) -> str | None:
        return self._build_and_push(in_place.insert_before, node_id, port, layer_type)

    def insert_after(self, node_id: str, layer_type: str) -> str | None:
        return self._build_and_push(in_place.insert_after, node_id, layer_type)

    def replace_node(self, node_id: str, layer_type: str) -> str | None:
        return self._build_and_push(in_place.replace_node, node_id, layer_type)

    def add_output_after(self, node_id: str) -> str | None:
        return self._build_and_push(in_place.add_after, node_id, "Output")

    def disconnect_input(self, node_id: str, port: str) -> None:
        self._build_and_push(in_place.disconnect_input, node_id, port)

    def delete_wire(self, edge: Edge) -> None:
        if edge.dst in self.graph and edge in self.graph.in_edges(edge.dst):
            self.push(Disconnect(edge))

    def select_downstream(self, node_id: str) -> None:
        self.select_nodes(downstream(self.graph, node_id))

    def wire_at(self, pos: QPointF) -> EdgeItem | None:
        """The wire under this point, unless a layer is on top of it there."""
        for item in self.items(pos):
            if isinstance(item, EdgeItem):
                return item
            if isinstance(item, (NodeItem, PortItem)):
                return None
        return None

    def drop_layer(self, layer_type: str, pos: QPointF, wire: EdgeItem | None) -> str | None:
        """A palette layer let go at pos: on the wire when it fits there, else where it fell."""
        if layer_type.startswith(MY_BLOCK):
            return self.add_layer(layer_type, pos, wire.edge if wire is not None else None)
        if layer_type not in CATALOG:  # a drag from elsewhere that only looks like the palette's
            self.last_refusal = f"unknown layer type '{layer_type}'"
            self.message.emit(self.last_refusal)
            return None
        if wire is not None and wire.edge in self.edge_items:
            reason = in_place.wire_problem(layer_type)
            if reason is None:
                return self.insert_on_wire(wire.edge, layer_type)
            self.last_refusal = reason
            node_id = self.add_layer(layer_type, pos)
            self.message.emit(f"{reason}: it was put beside the wire")
            self.note.show_at(reason, pos)
            return node_id
        return self.add_layer(layer_type, pos)

    # ---- context menu ----------------------------------------------------------------------
    def node_menu(self, item: NodeItem, screen_pos) -> None:
        menu = self.build_node_menu(item)
        menu.exec(screen_pos)

    def build_node_menu(self, item: NodeItem) -> QMenu:
        return build_node_menu(self, item)

    def edge_menu(self, item: EdgeItem, screen_pos) -> None:
        self.build_edge_menu(item).exec(screen_pos)

    def build_edge_menu(self, item: EdgeItem) -> QMenu:
        return build_edge_menu(self, item)

    duplicate_requested = Signal()
    blockAction = Signal(str, str)  # "group", "open", "ungroup" or "save"; a node id ("" for the selection)

    def apply_fix(self, fix) -> None:
        reason = self.document.apply_fix(fix)
        if reason:
            self.message.emit(reason)

    # ---- drawing ---------------------------------------------------------------------------
    def drawBackground(self, painter, rect: QRectF) -> None:
        painter.fillRect(rect, theme.canvas_background())
        scale = painter.transform().m11()
        if scale < 0.4:
            return
        painter.setPen(QPen(theme.grid_color(), 0))
        step = GRID * (1 if scale > 0.8 else 5)
        left = int(rect.left() // step) * step
        top = int(rect.top() // step) * step
        x = left
        lines = []
        while x < rect.right():
            lines.append((QPointF(x, rect.top()), QPointF(x, rect.bottom())))
            x += step
        y = top
        while y < rect.bottom():
            lines.append((QPointF(rect.left(), y), QPointF(rect.right(), y)))
            y += step
        for a, b in lines:
            painter.drawLine(a, b)
