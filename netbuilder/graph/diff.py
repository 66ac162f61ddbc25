"""How two versions of a network differ, in words (which layers were added, removed, changed or rewired):
what a run's copy of the network is compared with before it is resumed."""
from __future__ import annotations

from .model import Graph

IGNORED = ("init",)  # how weights start: nothing to do with a run that already has them


def network_differences(before: Graph, after: Graph, limit: int = 6) -> list[str]:
    """One entry per difference, by layer name; empty when the networks are the same."""
    old = {n.name: n for n in before.nodes()}
    new = {n.name: n for n in after.nodes()}
    found = [f"{name} was removed" for name in old if name not in new]
    found += [f"{name} is new" for name in new if name not in old]
    for name in old.keys() & new.keys():
        a, b = old[name], new[name]
        if a.type != b.type:
            found.append(f"{name} was a {a.type} and is a {b.type}")
            continue
        changed = [k for k in sorted(set(a.params) | set(b.params))
                   if k not in IGNORED and a.params.get(k) != b.params.get(k)]
        found += [f"{name}: {k} was {a.params.get(k)!r} and is {b.params.get(k)!r}" for k in changed]

    def wires(graph: Graph) -> set[tuple[str, str, str, str]]:
        names = {n.id: n.name for n in graph.nodes()}
        return {(names[e.src], e.src_port, names[e.dst], e.dst_port) for e in graph.edges()}

    was, now = wires(before), wires(after)
    found += [f"the wire {s} -> {d} was removed" for s, _, d, _ in sorted(was - now) if s in new and d in new]
    found += [f"the wire {s} -> {d} is new" for s, _, d, _ in sorted(now - was) if s in old and d in old]
    found.sort()
    return found[:limit] + ([f"and {len(found) - limit} more"] if len(found) > limit else [])
