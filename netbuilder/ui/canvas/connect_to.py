"""Connect to…: wiring from the keyboard. The selected layer's output goes into a layer picked from those the
wiring rules allow (analysis/wiring.py: free inputs, no cycle), after it in the flow first; one undo step.
Offered in the layer's context menu and in the Edit menu, on Ctrl+K."""
from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence

from ...analysis.blocks import spec_of
from ...analysis.wiring import connect_choices
from ..layer_picker import Choice, pick

KEYS = "Ctrl+K"


def choices(graph, node_id: str) -> list[Choice]:
    """A row for each wire the layer may start: the layer it goes to (its input named where it has several)."""
    rows = []
    several_outputs = len(spec_of(graph, graph.node(node_id)).outputs) > 1
    for edge in connect_choices(graph, node_id):
        dst = graph.node(edge.dst)
        spec = spec_of(graph, dst)
        port = f".{edge.dst_port}" if spec.variadic or len(spec.inputs) > 1 else ""
        start = f"   from {edge.src_port}" if several_outputs else ""
        rows.append(Choice(edge, dst.name, f"{dst.name}{port}    ({dst.type}){start}", f"{dst.type} {edge.dst_port}",
                           spec.help))
    return rows


def ask_connection(scene, node_id: str) -> bool:
    """Ask where the layer's output should go and wire it there; False when it was not wired (the status line
    says why when nothing could be offered)."""
    graph = scene.graph
    if node_id not in graph:
        return False
    node = graph.node(node_id)
    spec = spec_of(graph, node)
    if spec is None or not spec.outputs:
        scene.message.emit(f"{node.name} has no output to wire: it is where a network ends")
        return False
    rows = choices(graph, node_id)
    if not rows:
        scene.message.emit(f"{node.name} cannot be wired to any layer: no free input would take it"
                           " without making a cycle (drag a wire onto a taken input to replace it)")
        return False
    views = scene.views()
    edge = pick(views[0] if views else None, f"Connect {node.name} to", rows)
    return edge is not None and scene.connect_wire(edge)


def menu_action(menu, scene, node_id: str) -> QAction:
    """The context menu's entry, its shortcut shown."""
    action = menu.addAction("Connect to…")
    action.setShortcut(QKeySequence(KEYS))
    action.triggered.connect(lambda checked=False: ask_connection(scene, node_id))
    return action


def install(bench, canvas) -> QAction:
    """Edit > Connect To… on the layer selected on the canvas."""
    action = QAction("Co&nnect To…", bench.widget)
    action.setShortcut(QKeySequence(KEYS))

    def connect_selected() -> None:
        node_id = canvas.selected_node()
        if node_id is None:
            bench.show_status("Select one layer first: Connect To… wires its output into another layer")
            return
        ask_connection(canvas.scene, node_id)

    action.triggered.connect(lambda checked=False: connect_selected())
    return bench.add_action("edit", "connect_to", action, after=("duplicate",))
