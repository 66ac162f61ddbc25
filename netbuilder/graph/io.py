"""JSON files: versioned, saved atomically, loaded with clear messages (docs/file-format.md)."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable

from ..atomic import write_atomic
from .model import Edge, Graph, Node, name_problem

FORMAT = "netbuilder"
VERSION = 1

# check_node(type, params, where) -> params with defaults filled; raises FileFormatError.
NodeChecker = Callable[[str, dict, str], dict]


class FileFormatError(ValueError):
    """A file that cannot be opened; the message says which file, where and what."""


def to_dict(graph: Graph) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "nodes": [
            {"id": n.id, "type": n.type, "name": n.name, "params": n.params, "pos": list(n.pos)}
            for n in graph.nodes()
        ],
        "edges": [
            {"from": [e.src, e.src_port], "to": [e.dst, e.dst_port]} for e in sorted(graph.edges())
        ],
        "meta": graph.meta,
    }


def dumps(graph: Graph) -> str:
    """JSON with one node or edge per line, so files read well and diff well."""
    data = to_dict(graph)

    def rows(items):
        return "[\n" + ",\n".join("  " + json.dumps(i) for i in items) + "\n ]" if items else "[]"

    return (f'{{\n "format": {json.dumps(data["format"])},\n "version": {data["version"]},\n'
            f' "nodes": {rows(data["nodes"])},\n "edges": {rows(data["edges"])},\n'
            f' "meta": {json.dumps(data["meta"], indent=2).replace(chr(10), chr(10) + " ")}\n}}\n')


def save(graph: Graph, path: str | os.PathLike) -> None:
    """Write atomically (see atomic.py): a temp file beside the target, fsync, then replace."""
    write_atomic(path, dumps(graph))


def load(path: str | os.PathLike, check_node: NodeChecker | None = None) -> Graph:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileFormatError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise FileFormatError(f"{path}: not a netbuilder file (it is not text)") from None
    except OSError as e:
        raise FileFormatError(f"{path}: cannot be read ({e.strerror})") from None
    return loads(text, check_node, source=str(path))


def loads(text: str, check_node: NodeChecker | None = None, source: str = "<text>") -> Graph:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        what = "ends too early (truncated?)" if e.pos >= len(text.rstrip()) else e.msg
        raise FileFormatError(f"{source}: line {e.lineno}, column {e.colno}: invalid JSON, {what}") from None
    return from_dict(data, check_node, source)


def _fail(source: str, where: str, what: str) -> FileFormatError:
    return FileFormatError(f"{source}: {where}: {what}" if where else f"{source}: {what}")


def from_dict(data: Any, check_node: NodeChecker | None = None, source: str = "<data>") -> Graph:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise _fail(source, "", "not a netbuilder file (no \"format\": \"netbuilder\" at the top)")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise _fail(source, "version", f"must be a whole number, not {version!r}")
    if version > VERSION:
        raise _fail(source, "version", f"the file is format version {version}, made by a newer "
                    f"netbuilder; this one reads up to version {VERSION}: please update netbuilder")
    nodes, edges, meta = data.get("nodes", []), data.get("edges", []), data.get("meta", {})
    if not isinstance(nodes, list):
        raise _fail(source, "nodes", "must be a list")
    if not isinstance(edges, list):
        raise _fail(source, "edges", "must be a list")
    if not isinstance(meta, dict):
        raise _fail(source, "meta", "must be an object")

    graph = Graph()
    graph.meta = meta
    for i, raw in enumerate(nodes):
        node = _read_node(raw, f"node {i + 1}", source, check_node)
        if node.id in graph:
            raise _fail(source, f"node {i + 1}", f"the id '{node.id}' is used twice")
        if graph.by_name(node.name) is not None:
            raise _fail(source, f"node {i + 1}", f"the name '{node.name}' is used twice")
        graph._g.add_node(node.id, node=node)
    for i, raw in enumerate(edges):
        where = f"edge {i + 1}"
        try:
            (src, src_port), (dst, dst_port) = raw["from"], raw["to"]
        except (TypeError, KeyError, ValueError):
            raise _fail(source, where, 'must look like {"from": [node, port], "to": [node, port]}') from None
        for end in (src, dst):
            if not isinstance(end, str) or end not in graph:
                raise _fail(source, where, f"refers to a node '{end}' that is not in the file")
        if not all(isinstance(p, str) for p in (src_port, dst_port)):
            raise _fail(source, where, "port names must be text")
        edge = Edge(src, src_port, dst, dst_port)
        if graph.edge_into(dst, dst_port) is not None:
            raise _fail(source, where, f"input '{dst_port}' of '{graph.node(dst).name}' has two wires")
        graph._g.add_edge(src, dst, key=edge)
    return graph


def _read_node(raw: Any, where: str, source: str, check_node: NodeChecker | None) -> Node:
    if not isinstance(raw, dict):
        raise _fail(source, where, "must be an object")
    for key in ("id", "type", "name"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise _fail(source, where, f"needs \"{key}\" as text")
    where = f"{where} ('{raw['name']}')"
    problem = name_problem(raw["name"])
    if problem:
        raise _fail(source, where, problem)
    params = raw.get("params", {})
    if not isinstance(params, dict):
        raise _fail(source, where, "\"params\" must be an object")
    pos = raw.get("pos", [0, 0])
    if (not isinstance(pos, list) or len(pos) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in pos)):
        raise _fail(source, where, "\"pos\" must be two numbers [x, y]")
    if check_node is not None:
        try:
            params = check_node(raw["type"], params, "")
        except FileFormatError as e:
            raise _fail(source, where, str(e)) from None
    return Node(raw["id"], raw["type"], raw["name"], params, (float(pos[0]), float(pos[1])))
