"""The canvas's context menus: what can be done to a layer or a wire where it stands."""
from __future__ import annotations

from PySide6.QtWidgets import QMenu

from ...analysis.blocks import spec_of
from ...analysis.fixes import offered_fix
from ...analysis.in_place import replace_node, wire_problem
from ...graph.model import EditError
from ...layers import CATALOG
from ..layer_picker import pick_layer
from . import connect_to


def wire_types() -> list[str]:
    """Layer types that can go on a wire (an input and an output)."""
    return [t for t in CATALOG if wire_problem(t) is None]


def replace_types(graph, node_id: str) -> list[str]:
    """Layer types the node can become with all its wires kept."""
    found = []
    for t in CATALOG:
        try:
            replace_node(graph, node_id, t)
        except EditError:
            continue
        found.append(t)
    return found


def ask_layer(scene, title: str, types: list[str]) -> str | None:
    views = scene.views()
    return pick_layer(views[0] if views else None, title, types)


def build_node_menu(scene, item) -> QMenu:
    graph, node_id = scene.graph, item.node_id
    node = graph.node(node_id)
    spec = spec_of(graph, node)
    menu = QMenu()
    for problem in item.problems:
        fix = offered_fix(graph, scene.analysis, problem.fix)
        if fix is not None:
            menu.addAction(f"Fix: {fix.label}").triggered.connect(
                lambda checked=False, f=fix: scene.apply_fix(f))
    if not menu.isEmpty():
        menu.addSeparator()
    name = node.name

    def add(text, slot):
        menu.addAction(text).triggered.connect(lambda checked=False: slot())

    add("Replace with…", lambda: _ask(scene, f"Replace {name} with", replace_types(graph, node_id),
                                      lambda t: scene.replace_node(node_id, t)))
    if spec and spec.outputs:
        connect_to.menu_action(menu, scene, node_id)
    in_ports = spec.input_ports([e.dst_port for e in graph.in_edges(node_id)]) if spec else []
    in_ports = [p for p in in_ports if not spec.variadic or graph.edge_into(node_id, p) is not None]
    for port in in_ports:
        label = "Insert before…" if len(in_ports) == 1 else f"Insert before {port}…"
        add(label, lambda p=port: _ask(scene, f"Insert before {name}", wire_types(),
                                       lambda t: scene.insert_before(node_id, p, t)))
    if spec and spec.outputs:
        add("Insert after…", lambda: _ask(scene, f"Insert after {name}", wire_types(),
                                          lambda t: scene.insert_after(node_id, t)))
    connected = [e for e in graph.in_edges(node_id)]
    for edge in sorted(connected, key=lambda e: e.dst_port):
        label = "Disconnect input" if len(connected) == 1 else f"Disconnect input {edge.dst_port}"
        add(f"{label} (from {graph.node(edge.src).name})", lambda e=edge: scene.disconnect_input(node_id, e.dst_port))
    if spec and spec.outputs:
        add("Add Output after", lambda: scene.add_output_after(node_id))
    add("Select downstream", lambda: scene.select_downstream(node_id))
    menu.addSeparator()
    if len(scene.selected_node_ids()) > 1 or node.type not in ("Input", "Output", "Block"):
        add("Group into Block…", lambda: scene.blockAction.emit("group", ""))
    if node.type == "Block":
        for action, text in (("open", "Open block"), ("ungroup", "Ungroup"), ("save", "Save to My Blocks…")):
            add(text, lambda a=action: scene.blockAction.emit(a, node_id))
    menu.addSeparator()
    add("Duplicate", scene.duplicate_requested.emit)
    add("Delete", scene.delete_selection)
    return menu


def build_edge_menu(scene, edge_item) -> QMenu:
    edge = edge_item.edge
    menu = QMenu()
    menu.addAction("Insert layer…").triggered.connect(lambda checked=False: _ask(
        scene, f"Insert on the wire into {scene.graph.node(edge.dst).name}", wire_types(),
        lambda t: scene.insert_on_wire(edge, t)))
    menu.addAction("Delete wire").triggered.connect(lambda checked=False: scene.delete_wire(edge))
    return menu


def _ask(scene, title: str, types: list[str], then) -> None:
    if not types:
        scene.message.emit(f"{title}: no layer type fits here")
        return
    chosen = ask_layer(scene, title, types)
    if chosen:
        then(chosen)
