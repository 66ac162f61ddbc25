"""A node on the canvas: type, name, key params and output shape; ports on its sides."""
from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QFont, QFontMetricsF, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem

from ...analysis.blocks import spec_of
from ...analysis.transfer import is_frozen
from .. import theme
from .port_item import PortItem

WIDTH = 170.0
HEADER = 22.0
LINE = 17.0
PORT_GAP = 22.0


ABBREVIATIONS = {"out_channels": "ch", "kernel_size": "k", "out_features": "out", "stride": "s",
                 "hidden_size": "hidden", "num_heads": "heads", "nhead": "heads",
                 "embedding_dim": "dim", "scale_factor": "×", "negative_slope": "slope",
                 "output_size": "size"}


def _short(value) -> str:
    if isinstance(value, list):
        return "x".join(map(str, value))
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class NodeItem(QGraphicsItem):
    def __init__(self, scene, node_id: str):
        super().__init__()
        self.graph_scene, self.node_id = scene, node_id
        self.inputs: dict[str, PortItem] = {}
        self.outputs: dict[str, PortItem] = {}
        self.problems = []
        self.tint = None  # a colour laid over the body (gradient magnitude views)
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsMovable
                      | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                      | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setAcceptHoverEvents(True)
        self.height = 64.0
        self.refresh()

    # ---- model -> item -----------------------------------------------------------------------
    @property
    def node(self):
        return self.graph_scene.graph.node(self.node_id)

    def refresh(self) -> None:
        """Re-read the node (params, name, ports, shape, problems) and redraw."""
        node = self.node
        graph = self.graph_scene.graph
        spec = spec_of(graph, node)
        connected = [e.dst_port for e in graph.in_edges(self.node_id)]
        in_ports = spec.input_ports(connected) if spec else connected
        out_ports = list(spec.outputs) if spec else []
        self._sync_ports(self.inputs, in_ports, True)
        self._sync_ports(self.outputs, out_ports, False)
        self.prepareGeometryChange()
        rows = max(len(in_ports), len(out_ports), 1)
        lines = 3 if is_frozen(node) else 2  # a frozen layer says so on a line of its own
        self.height = max(HEADER + lines * LINE + 8, HEADER + rows * PORT_GAP + 4)
        for i, port in enumerate(self.inputs.values()):
            port.setPos(0, self._port_y(i, len(in_ports)))
        for i, port in enumerate(self.outputs.values()):
            port.setPos(WIDTH, self._port_y(i, len(out_ports)))
        self.problems = self.graph_scene.problems.on_node(self.node_id)  # its own, its network's, the diagnosis's
        tip = [f"{node.type} '{node.name}'" if node.type != "Block" else
               f"Block {spec.type if spec else '?'} '{node.name}': double-click to open it", spec.help if spec else ""]
        tip.append(node.params.get("note") if node.type == "Code" else "")  # why an imported part is code
        tip += [f"{'⚠' if p.severity == 'warning' else '✖'} {p.message}" for p in self.problems]
        self.setToolTip("\n".join(t for t in tip if t))
        self.update()

    def _port_y(self, i: int, count: int) -> float:
        body = self.height - HEADER
        return HEADER + body / 2 + (i - (count - 1) / 2) * PORT_GAP

    def _sync_ports(self, ports: dict, names: list[str], is_input: bool) -> None:
        for name in [n for n in ports if n not in names]:
            item = ports.pop(name)
            item.setParentItem(None)
            if item.scene():
                item.scene().removeItem(item)
        for name in names:
            if name not in ports:
                ports[name] = PortItem(self, name, is_input)
        ordered = {n: ports[n] for n in names}
        ports.clear()
        ports.update(ordered)

    def port_connected(self, port: PortItem) -> bool:
        graph = self.graph_scene.graph
        if port.is_input:
            return graph.edge_into(self.node_id, port.name) is not None
        return any(e.src_port == port.name for e in graph.out_edges(self.node_id))

    def output_text(self) -> str:
        value = self.graph_scene.analysis.shown_type(self.node_id)
        return str(value) if value is not None else "?"

    def title(self) -> str:
        """The header's text: the layer type, or a block's name."""
        node = self.node
        return node.params.get("block") or "Block" if node.type == "Block" else node.type

    def key_text(self) -> str:
        node = self.node
        spec = spec_of(self.graph_scene.graph, node)
        if spec is None:
            return "unknown block" if node.type == "Block" else "unknown layer type"
        if node.type == "Block":
            definition = self.graph_scene.graph.blocks[node.params["block"]]
            layers = sum(n.type not in ("Input", "Output") for n in definition.nodes())
            repeat = node.params.get("repeat", 1)
            return f"{layers} layers" + (f", stacked × {repeat}" if repeat > 1 else "")
        parts = [_short(node.params.get(k)) if spec.param(k) and spec.param(k).kind == "text" else
                 f"{ABBREVIATIONS.get(k, k)}={_short(node.params.get(k))}" for k in spec.key_params]
        return ", ".join(p for p in parts if p)

    # ---- drawing ---------------------------------------------------------------------------
    def boundingRect(self) -> QRectF:
        return QRectF(-6, -6, WIDTH + 14, self.height + 14)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(QRectF(0, 0, WIDTH, self.height), 6, 6)
        return path

    def paint(self, painter, option, widget=None) -> None:
        node = self.node
        spec = spec_of(self.graph_scene.graph, node)
        rect = QRectF(0, 0, WIDTH, self.height)
        errors = [p for p in self.problems if p.severity == "error"]
        if self.isSelected():  # a halo, so a problem's outline stays visible
            painter.setPen(QPen(theme.SELECTED, 3.0))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(-3, -3, 3, 3), 8, 8)
        if errors:
            outline, width = theme.ERROR, 2.5
        elif self.problems:
            outline, width = theme.WARNING, 2.0
        else:
            outline, width = theme.wire_color(), 1.0
        if node.type == "Block":  # a stack of cards: one layer holding others (two when it is repeated)
            painter.setPen(QPen(outline, 1.0))
            painter.setBrush(QBrush(theme.node_fill()))
            for k in ((2, 1) if node.params.get("repeat", 1) > 1 else (1,)):
                painter.drawRoundedRect(rect.translated(3 * k, 3 * k), 6, 6)
        painter.setPen(QPen(outline, width))
        painter.setBrush(QBrush(self.tint or theme.node_fill()))
        painter.drawRoundedRect(rect, 6, 6)
        header = QPainterPath()
        header.addRoundedRect(QRectF(0, 0, WIDTH, HEADER), 6, 6)
        header.addRect(QRectF(0, HEADER / 2, WIDTH, HEADER / 2))
        painter.fillPath(header, theme.category_color(spec.category if spec else ""))
        painter.setPen(QPen(outline, width))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(rect, 6, 6)
        frozen = is_frozen(node)
        if frozen:  # frozen weights: an icy dashed frame inside the body
            painter.setPen(QPen(theme.FROZEN, 1.5, Qt.PenStyle.DashLine))
            painter.drawRoundedRect(rect.adjusted(3, HEADER + 2, -3, -3), 4, 4)
        if option.levelOfDetailFromTransform(painter.worldTransform()) < 0.35:
            return  # too small to read: the coloured box is enough

        font = QFont(painter.font())
        font.setPointSizeF(9.0)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(theme.text_color())
        metrics = QFontMetricsF(font)
        title = self.title()
        type_width = metrics.horizontalAdvance(title)
        painter.drawText(QRectF(8, 0, WIDTH - 16, HEADER), Qt.AlignmentFlag.AlignVCenter, title)
        font.setBold(False)
        painter.setFont(font)
        name = QFontMetricsF(font).elidedText(node.name, Qt.TextElideMode.ElideRight,
                                               max(20.0, WIDTH - 24 - type_width))
        painter.drawText(QRectF(8, 0, WIDTH - 16, HEADER),
                         Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, name)
        font.setPointSizeF(8.5)
        painter.setFont(font)
        small = QFontMetricsF(font)
        shape_text = "→ " + self.output_text()
        lines = [(self.key_text(), theme.muted_text()),
                 (shape_text, theme.ERROR if errors and shape_text == "→ ?" else theme.text_color())]
        y = HEADER + 4
        for text, color in lines:
            if not text:
                continue
            painter.setPen(color)
            text = small.elidedText(text, Qt.TextElideMode.ElideRight, WIDTH - 24)
            painter.drawText(QRectF(12, y, WIDTH - 24, LINE), Qt.AlignmentFlag.AlignVCenter, text)
            y += LINE
        if frozen:
            painter.setPen(theme.FROZEN)
            painter.drawText(QRectF(12, HEADER + 4 + 2 * LINE, WIDTH - 24, LINE), Qt.AlignmentFlag.AlignVCenter,
                             "❄ frozen")
        if errors:
            painter.setPen(QPen(theme.ERROR, 1))
            painter.setBrush(theme.ERROR)
            painter.drawEllipse(QRectF(WIDTH - 16, self.height - 16, 10, 10))
            painter.setPen(theme.node_fill())
            painter.drawText(QRectF(WIDTH - 16, self.height - 16, 10, 10), Qt.AlignmentFlag.AlignCenter, "!")

    # ---- interaction -----------------------------------------------------------------------
    def hoverEnterEvent(self, event) -> None:
        self.graph_scene.nodeHovered.emit(self.node_id)  # the Boundary tab paints this layer's unit
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event) -> None:
        self.graph_scene.nodeHovered.emit("")
        super().hoverLeaveEvent(event)

    def itemChange(self, change, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            self.graph_scene.node_item_moved(self)
        return super().itemChange(change, value)

    def mouseReleaseEvent(self, event) -> None:
        super().mouseReleaseEvent(event)
        self.graph_scene.commit_moves()

    def mouseDoubleClickEvent(self, event) -> None:
        if self.node.type == "Block":
            self.graph_scene.blockAction.emit("open", self.node_id)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def contextMenuEvent(self, event) -> None:
        if not self.isSelected():
            self.graph_scene.clearSelection()
            self.setSelected(True)
        self.graph_scene.node_menu(self, event.screenPos())
        event.accept()
