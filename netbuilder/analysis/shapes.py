"""Shape inference and validation, kept up to date after each edit.

`Analysis(graph)` subscribes to the document's events. After an edit only the edited node and
what lies downstream of it is recomputed, and propagation stops where an output is unchanged.
"""
from __future__ import annotations

import dataclasses
import heapq
import logging

from ..graph import events as ev
from ..graph.io import paused_collection
from ..graph.model import Edge, Graph
from ..graph.problems import Fix, Problem
from ..layers.spec import LayerSpec, ShapeError, TensorType
from .blocks import ordered, spec_of, unknown, users_of

log = logging.getLogger(__name__)
PLACE_MAX = 64  # wires added in one edit beyond this: the order is sorted again once, not wire by wire


@dataclasses.dataclass(frozen=True)
class Edited:
    """One edit, announced once the analysis has caught up with it: the document's events in order (a Group's
    all together) and the nodes whose shapes or problems changed. Views redraw each changed node once."""

    events: tuple
    changed: frozenset


class Analysis:
    def __init__(self, graph: Graph):
        self.graph = graph
        self._out: dict[str, dict[str, TensorType]] = {}
        self._ins: dict[str, dict[str, TensorType]] = {}
        self._problems: dict[str, list[Problem]] = {}
        self._order: dict[str, int] = {}
        self._cyclic = False
        self._sorted: list[str] | None = None
        self._networks: list[Problem] | None = None
        self._parts: dict[str, _Network] = {}  # node id -> its network, for those asked about since the wiring changed
        self._batch = 0  # inside a Group: changes wait for its end
        self._pending: set[str] = set()
        self._stale = False  # a full refresh is due (a cycle appeared or went away)
        self._rewired = False
        self._open_inputs: set[str] = set()  # nodes with an unconnected input
        self._placed = 0  # wires placed one by one in the order since the last flush
        self._reorder_due = False
        self.listeners = ev.Listeners()  # called with the set of node ids whose results changed
        self.edited = ev.Listeners()  # called with an Edited after each edit (views listen here, once)
        self._events: list = []  # the events of the edit under way
        graph.events.connect(self._on_event)
        self.refresh()

    def close(self) -> None:
        self.graph.events.disconnect(self._on_event)

    # ---- results ---------------------------------------------------------------------------
    def output(self, node: str, port: str = "out") -> TensorType | None:
        return self._out.get(node, {}).get(port)

    def inputs(self, node: str) -> dict[str, TensorType]:
        return dict(self._ins.get(node, {}))

    def input_list(self, node: str) -> list[TensorType]:
        """The types arriving at a node, in the order its shape rule and its module take them (a block's in
        the order of its ports, every other layer's by port name)."""
        return ordered(self.graph, self.graph.node(node), self._ins.get(node, {}))

    def shown_type(self, node: str) -> TensorType | None:
        """What a node shows as its result: its output, or for an Output node what it receives."""
        if self.graph.node(node).type == "Output":
            return next(iter(self._ins.get(node, {}).values()), None)
        return self.output(node)

    def edge_type(self, edge: Edge) -> TensorType | None:
        return self.output(edge.src, edge.src_port)

    def node_problems(self, node: str) -> list[Problem]:
        return list(self._problems.get(node, []))

    def problems(self) -> list[Problem]:
        """Every problem: per node (in network order), then those of whole networks."""
        found = [p for n in self.ordered_nodes() for p in self._problems.get(n, ())]
        return found + self.network_problems()

    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems())

    # ---- updating --------------------------------------------------------------------------
    def refresh(self) -> None:
        """Recompute everything (after loading, trusting code, or when the graph has a cycle)."""
        self._announce(self._refresh())

    def _refresh(self) -> set[str]:
        self._out.clear(), self._ins.clear(), self._problems.clear(), self._open_inputs.clear()
        with paused_collection():  # many small objects at once: collecting midway costs more than the pass
            self._reorder()
            for node in self.ordered_nodes():
                self._compute(node)
            if self._cyclic:
                self._mark_cycles()
        return set(self.graph.node_ids())

    def _announce(self, changed: set[str] | None) -> None:
        """After an edit: the nodes recomputed (when any work was done), then the edit itself to views."""
        events, self._events = tuple(self._events), []
        if changed is not None:
            self.listeners.emit(changed)
        if events or changed:
            self.edited.emit(Edited(events, frozenset(changed or ())))

    def block_changed(self, name: str) -> None:
        """Block `name` changed elsewhere (this graph is another block's definition that uses it)."""
        self._on_event(ev.BlockChanged(name))

    def _on_event(self, event) -> None:
        if isinstance(event, ev.BatchStarted):
            self._batch += 1
            return
        if isinstance(event, ev.BatchEnded):
            self._batch -= 1
        else:
            self._events.append(event)
            if isinstance(event, ev.NodeRenamed) and self._cyclic:
                self._stale = True  # cycle messages name the nodes
            elif not isinstance(event, (ev.NodeMoved, ev.NodeRenamed, ev.MetaChanged)):
                self._note(event)
        if self._batch == 0:
            self._announce(self._flush())

    def _note(self, event) -> None:
        """Record what an event makes stale; the work waits for the end of a Group."""
        if not isinstance(event, ev.ParamChanged):  # the wiring changed
            self._networks = None
            self._parts = {}
            self._rewired = True
        if isinstance(event, (ev.NodeAdded, ev.NodeRemoved)):
            self._sorted = None
        if isinstance(event, ev.NodeRemoved):
            for table in (self._out, self._ins, self._problems, self._order):
                table.pop(event.node, None)
            self._open_inputs.discard(event.node)
            self._stale = self._stale or self._cyclic
        elif isinstance(event, ev.NodeAdded):
            self._order[event.node] = self._next_index
            self._next_index += 1
            self._pending.add(event.node)
        elif isinstance(event, ev.EdgeAdded):
            e = event.edge
            self._placed += 1
            if self._placed > PLACE_MAX:  # many wires in one edit (an undone delete): one full sort at its end
                self._reorder_due = True
            else:
                self._stale = self._stale or self._cyclic or not self._place(e.src, e.dst)
            self._pending.add(e.dst)
        elif isinstance(event, ev.EdgeRemoved):
            self._stale = self._stale or self._cyclic
            self._pending.add(event.edge.dst)
        elif isinstance(event, ev.ParamChanged):
            self._pending.add(event.node)
        elif isinstance(event, ev.BlockChanged):  # its instances' ports and shapes may have changed
            self._pending.update(users_of(self.graph, event.name))

    def _flush(self) -> set[str] | None:
        """Bring the results up to date; the nodes whose results changed, or None when nothing was due."""
        self._placed = 0
        if self._reorder_due:
            self._reorder_due = False
            self._reorder()  # finds a cycle too
            self._stale = self._stale or self._cyclic
        starts = {n for n in self._pending if n in self._order}
        if self._rewired:  # whether "add an Input" is offered depends on the whole network
            starts |= {n for n in self._open_inputs if n in self._order}
        self._pending, self._rewired = set(), False
        if self._stale or self._cyclic:
            self._stale = False
            return self._refresh()
        return self._update(starts) if starts else None

    def _place(self, src: str, dst: str) -> bool:
        """Keep the order topological after a new wire src -> dst (Pearce-Kelly): renumber only
        the nodes between the two. False when the wire closes a cycle."""
        lo, hi = self._order[dst], self._order[src]
        if lo > hi:
            return True
        forward, stack = set(), [dst]
        while stack:
            n = stack.pop()
            if n == src:
                return False
            if n not in forward:
                forward.add(n)
                stack += [s for s in self.graph.successors(n) if self._order[s] <= hi]
        backward, stack = set(), [src]
        while stack:
            n = stack.pop()
            if n not in backward:
                backward.add(n)
                stack += [p for p in self.graph.predecessors(n) if self._order[p] >= lo]
        moved = sorted(backward, key=self._order.__getitem__) + sorted(forward, key=self._order.__getitem__)
        for n, index in zip(moved, sorted(self._order[n] for n in moved)):
            self._order[n] = index
        self._sorted = None
        return True

    def _update(self, starts: set[str]) -> set[str]:
        heap = [(self._order[n], n) for n in starts]
        heapq.heapify(heap)
        done, changed = set(), set()
        while heap:
            _, node = heapq.heappop(heap)
            if node in done:
                continue
            done.add(node)
            outputs_changed, shown_changed = self._compute(node)
            if shown_changed or node in starts:
                changed.add(node)
            if outputs_changed:
                for succ in self.graph.successors(node):
                    heapq.heappush(heap, (self._order[succ], succ))
        return changed

    def _reorder(self) -> None:
        try:
            order = self.graph.topological_order()
            self._cyclic = False
        except Exception:  # networkx.NetworkXUnfeasible: the graph has a cycle
            order = self.graph.node_ids()
            self._cyclic = True
        self._order = {n: i for i, n in enumerate(order)}
        self._next_index = len(order)
        self._sorted = None
        self._networks = None
        self._parts = {}

    def ordered_nodes(self) -> list[str]:
        """Node ids in network order: inputs first (kept until nodes are added or removed)."""
        if self._sorted is None:
            self._sorted = sorted(self._order, key=self._order.__getitem__)
        return list(self._sorted)

    # ---- one node --------------------------------------------------------------------------
    def _compute(self, node_id: str) -> tuple[bool, bool]:
        """Recompute one node's input and output types and problems.

        Returns (its outputs changed, anything shown about it changed)."""
        node = self.graph.node(node_id)
        spec = spec_of(self.graph, node)
        old = (self._out.get(node_id), self._ins.get(node_id), self._problems.get(node_id))
        problems: list[Problem] = []
        outputs: dict[str, TensorType] = {}
        if spec is None:
            problems.append(Problem(node_id, unknown(self.graph, node)))
        else:
            problems += self._param_problems(node_id, node.params, spec)
            ins, ready, input_problems = self._gather_inputs(node_id, spec)
            problems += input_problems
            self._ins[node_id] = ins
            if ready and not problems:
                outputs, rule_problem = self._run_rule(node_id, spec, node.params, ins)
                if rule_problem:
                    problems.append(rule_problem)
        self._problems[node_id] = problems
        self._out[node_id] = outputs
        return outputs != old[0], (outputs, self._ins.get(node_id), problems) != old

    def _param_problems(self, node_id: str, params: dict, spec: LayerSpec) -> list[Problem]:
        found = []
        for name in params:
            if spec.param(name) is None:
                found.append(Problem(node_id, f"{spec.type} has no parameter '{name}'"))
        for param in spec.all_params:
            if param.name not in params:
                found.append(Problem(node_id, f"parameter '{param.name}' is missing",
                                     fix=Fix(f"set {param.name} to {param.default}", "set_param",
                                             node_id, param=param.name, value=param.default)))
                continue
            value = params[param.name]
            error = param.type_error(value) or param.range_error(value)
            if error:
                fix = None
                if param.type_error(value) is None and param.kind in ("int", "float"):
                    bound = param.min if param.min is not None and value < param.min else param.max
                    bound = param.default if bound is None else bound  # NaN or Infinity
                    bound = int(bound) if param.kind == "int" else bound
                    fix = Fix(f"set {param.name} to {bound}", "set_param", node_id,
                              param=param.name, value=bound)
                elif param.type_error(value) is None:  # a list of sizes: back to the default
                    fix = Fix(f"set {param.name} to {param.default}", "set_param", node_id,
                              param=param.name, value=param.default)
                found.append(Problem(node_id, error, fix=fix))
        return found

    def _gather_inputs(self, node_id: str, spec: LayerSpec):
        """Types arriving at each input port; ready is False when some are unknown."""
        ins: dict[str, TensorType] = {}
        problems: list[Problem] = []
        ready = True
        edges = sorted(self.graph.in_edges(node_id), key=lambda e: _port_key(e.dst_port))
        for edge in edges:
            if not spec.is_input_port(edge.dst_port):
                problems.append(Problem(node_id, f"{spec.type} has no input '{edge.dst_port}'",
                                        port=edge.dst_port, fix=Fix("remove the wire", "disconnect",
                                                                    node_id, port=edge.dst_port)))
                continue
            source = self.graph.node(edge.src)
            source_spec = spec_of(self.graph, source)
            if source_spec is not None and edge.src_port not in source_spec.outputs:
                problems.append(Problem(node_id, f"the wire into '{edge.dst_port}' comes from an output"
                                        f" '{edge.src_port}' that {source.type} '{source.name}' does not have"
                                        f" (it has {', '.join(source_spec.outputs)})", port=edge.dst_port,
                                        fix=Fix("remove the wire", "disconnect", node_id, port=edge.dst_port)))
                ready = False
                continue
            value = self.output(edge.src, edge.src_port)
            if value is None:
                ready = False
            else:
                ins[edge.dst_port] = value
        connected = [e.dst_port for e in edges]
        required = [p for p in spec.inputs if p not in connected] if not spec.variadic else []
        for port in required:
            problems.append(Problem(node_id, f"input '{port}' is not connected", port=port,
                                    fix=self._input_fix(node_id, port)))
        if required:
            self._open_inputs.add(node_id)
        else:
            self._open_inputs.discard(node_id)
        if spec.variadic and len(connected) < 2:
            problems.append(Problem(node_id, f"{spec.type} needs at least two inputs"
                                    f" (it has {len(connected)})"))
        for value in ins.values():
            if value.dtype == "int" and not spec.accepts_int:
                problems.append(Problem(node_id, f"{spec.type} expects float values but receives"
                                        f" integer indices {value}: put an Embedding first"))
                break
        return ins, ready, problems

    def _input_fix(self, node_id: str, port: str) -> Fix | None:
        """Offer an Input when this node's network has none."""
        if self._network(node_id).has_input:
            return None
        return Fix("add an Input before it", "add_before", node_id, port=port, layer="Input")

    def network_of(self, node_id: str) -> frozenset[str]:
        """The ids of the network (weakly connected part) that holds this node."""
        return self._network(node_id).members

    def _network(self, node_id: str) -> "_Network":
        """Each network is walked once after the wiring changes, however many of its layers ask, so
        problems and fixes take time linear in the document."""
        part = self._parts.get(node_id)
        if part is None:
            members = frozenset(self.graph.network_of(node_id))
            part = _Network(members, any(self.graph.node(n).type == "Input" for n in members))
            self._parts.update(dict.fromkeys(members, part))
        return part

    def _run_rule(self, node_id: str, spec: LayerSpec, params: dict, ins: dict[str, TensorType]):
        args = ordered(self.graph, self.graph.node(node_id), ins)
        try:
            result = spec.shape(params, args) if spec.shape else None
        except ShapeError as e:
            fix = e.fix
            if fix is not None and not fix.node:
                fix = dataclasses.replace(fix, node=node_id)
            return {}, Problem(node_id, e.message, port=e.port, fix=fix)
        except Exception as e:  # a bug in a shape rule must not take the editor down
            log.exception("shape rule of %s failed", spec.type)
            return {}, Problem(node_id, f"internal error while working out the shape: {e}")
        if result is None:
            return {}, None
        results = result if isinstance(result, list) else [result]
        outputs = dict(zip(spec.outputs, results))
        if spec.type == "Output":
            outputs = {}
        return outputs, None

    # ---- whole networks --------------------------------------------------------------------
    def _mark_cycles(self) -> None:
        for cycle in self.graph.cycles():
            names = " -> ".join(self.graph.node(n).name for n in cycle + cycle[:1])
            members = set(cycle)
            back = next(e for e in self.graph.in_edges(cycle[0]) if e.src in members)
            for n in cycle:
                fix = Fix(f"remove the wire from {self.graph.node(back.src).name}", "disconnect",
                          back.dst, port=back.dst_port) if n == cycle[0] else None
                self._problems.setdefault(n, []).append(
                    Problem(n, f"is part of a cycle ({names}): data cannot flow in a loop", fix=fix))
                self._out[n] = {}

    def network_problems(self) -> list[Problem]:
        """Problems of whole networks (no Output, unused results); kept until the wiring changes."""
        if self._networks is None:
            self._networks = self._find_network_problems()
        return list(self._networks)

    def _find_network_problems(self) -> list[Problem]:
        if len(self.graph) == 0:
            return [Problem(None, "the document is empty: add an Input, some layers and an Output")]
        found = []
        used = {n for n in self.graph.node_ids() if self.graph.out_degree(n)}
        for part in self.graph.networks():
            types = [self.graph.node(n).type for n in part]
            has_output = "Output" in types
            for n in part:
                spec = spec_of(self.graph, self.graph.node(n))
                if not spec or not spec.outputs or n in used:
                    continue
                if has_output:
                    found.append(Problem(n, "its output is not used by any layer or Output",
                                         severity="warning"))
                else:
                    found.append(Problem(n, "this network has no Output: its result goes nowhere",
                                         fix=Fix("add an Output after it", "add_after", n,
                                                 layer="Output")))
        return found


@dataclasses.dataclass(frozen=True)
class _Network:
    members: frozenset[str]
    has_input: bool


def _port_key(port: str):
    return (0, int(port[2:])) if port.startswith("in") and port[2:].isdigit() else (1, port)
