"""JSON files: versioned, saved atomically, loaded with clear messages (docs/file-format.md)."""
from __future__ import annotations

import gc
import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable

from ..atomic import remove_stale, write_atomic
from ..errors import UserError
from ..paths import why_missing
from .model import Edge, Graph, Node, block_name_problem, name_problem

FORMAT = "netbuilder"
VERSION = 2  # 2 added "blocks"; a document without blocks is still written as version 1

# check_node(type, params, where) -> params with defaults filled; raises FileFormatError.
NodeChecker = Callable[[str, dict, str], dict]


class FileFormatError(UserError, ValueError):
    """A file that cannot be opened; the message says which file, where and what."""


def to_dict(graph: Graph) -> dict[str, Any]:
    data = {"format": FORMAT, "version": VERSION if graph.blocks else 1, **_body(graph)}
    if graph.blocks:
        data["blocks"] = {name: _body(b) for name, b in graph.blocks.items()}
    return data


def body_text(graph: Graph, places: bool = True) -> str:
    """A graph's own nodes, wires and meta as text (not the blocks it may share): to compare definitions.
    Unless `places`, only what it computes: no places on the canvas, no ids (wires by the layers' names), no
    Input shapes (each use of a block gives its own)."""
    body = _body(graph)
    if not places:
        name = {n.id: n.name for n in graph.nodes()}
        body["nodes"] = [{k: v for k, v in n.items() if k not in ("pos", "id")}
                         | ({"params": {}} if n["type"] == "Input" else {})  # a use gives its own shapes
                         for n in body["nodes"]]
        body["edges"] = sorted([name[e.src], e.src_port, name[e.dst], e.dst_port] for e in graph.edges())
    return json.dumps(body, sort_keys=True)


def _body(graph: Graph) -> dict[str, Any]:
    return {
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

    def body(part, indent):
        pad = "\n" + " " * indent
        return (f'{pad}"nodes": {rows(part["nodes"]).replace(chr(10), pad[:-1] or chr(10))},'
                f'{pad}"edges": {rows(part["edges"]).replace(chr(10), pad[:-1] or chr(10))},'
                f'{pad}"meta": {json.dumps(part["meta"], indent=2).replace(chr(10), pad)}')

    blocks = ""
    if "blocks" in data:
        blocks = ',\n "blocks": {' + ",".join(
            f'\n  {json.dumps(name)}: {{{body(part, 3)}\n  }}' for name, part in data["blocks"].items()) + "\n }"
    return (f'{{\n "format": {json.dumps(data["format"])},\n "version": {data["version"]},'
            f'{body(data, 1)}{blocks}\n}}\n')


def save(graph: Graph, path: str | os.PathLike) -> None:
    """Write atomically (see atomic.py): a temp file beside the target, fsync, then replace."""
    write_atomic(path, dumps(graph))


MAX_BYTES = 256 * 1024 * 1024  # a document larger than this is refused (100,000 layers take about 25 MB)
MAX_DEPTH = 64  # how deeply values may nest (a layer's params, the meta section)
MAX_BLOCK_DEPTH = 16  # how deeply blocks may hold blocks


def load(path: str | os.PathLike, check_node: NodeChecker | None = None) -> Graph:
    """The document at `path`; the temporary files a save that was killed left beside it are removed."""
    path = Path(path)
    text = read_text(path, MAX_BYTES, "document")
    real = Path(os.path.realpath(path))
    remove_stale(real.parent, real.name)
    return loads(text, check_node, source=str(path))


def read_text(path: Path, limit: int, what: str) -> str:
    """A regular file's text, at most `limit` bytes (devices, pipes and folders are refused: they may never
    end); FileFormatError saying why not."""
    try:
        if not path.is_file():
            kind = "a folder" if path.is_dir() else "not a regular file (a device, a pipe or a socket)"
            raise FileFormatError(f"{path}: {why_missing(path)}" if not path.exists() else f"{path}: {kind}")
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise FileFormatError(f"{path}: cannot be read ({e.strerror or e})") from None
    if len(data) > limit:
        raise FileFormatError(f"{path}: larger than {limit // 2**20} MB, more than a {what} should be")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise FileFormatError(f"{path}: not a netbuilder file (it is not text)") from None


def loads(text: str, check_node: NodeChecker | None = None, source: str = "<text>") -> Graph:
    with paused_collection():  # parsing makes many objects at once: collecting them midway costs 5x
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            what = "ends too early (truncated?)" if e.pos >= len(text.rstrip()) else e.msg
            raise FileFormatError(f"{source}: line {e.lineno}, column {e.colno}: invalid JSON, {what}") from None
        except RecursionError:
            raise FileFormatError(f"{source}: nested more than {MAX_DEPTH} levels deep") from None
        where = too_deep(data, MAX_DEPTH)
        if where is not None:
            raise FileFormatError(f"{source}: {where}: nested more than {MAX_DEPTH} levels deep")
        return from_dict(data, check_node, source)


@contextmanager
def paused_collection():
    """No cyclic garbage collection inside (it is put back as it was)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def too_deep(value: Any, limit: int) -> str | None:
    """Where `value` nests deeper than `limit` (e.g. "meta.a.b"), or None; without recursion."""
    stack = [(value, 0, "")]
    while stack:
        item, depth, where = stack.pop()
        if depth > limit:
            return where.lstrip(".") or "the top"
        if isinstance(item, dict):
            stack.extend((v, depth + 1, f"{where}.{k}" if depth < 4 else where) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, depth + 1, where) for v in item)
    return None


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
    graph = _read_body(data, check_node, source, "")
    blocks = data.get("blocks", {}) if version >= 2 else {}
    if not isinstance(blocks, dict):
        raise _fail(source, "blocks", "must be an object of block definitions by name")
    for name, part in blocks.items():
        problem = block_name_problem(name)
        if problem:
            raise _fail(source, f"blocks.{name}", problem)
        if not isinstance(part, dict):
            raise _fail(source, f"blocks.{name}", "must be an object with nodes and edges")
        graph._own_block(name, _read_body(part, check_node, source, f"block {name}, "))
    from .block_library import nesting_problem

    problem = nesting_problem(graph.blocks, MAX_BLOCK_DEPTH)
    if problem:
        raise _fail(source, "blocks", problem)
    return graph


def _read_body(data: dict, check_node: NodeChecker | None, source: str, prefix: str) -> Graph:
    """The nodes, edges and meta of a document or of one block definition (`prefix` says which)."""
    nodes, edges, meta = data.get("nodes", []), data.get("edges", []), data.get("meta", {})
    if not isinstance(nodes, list):
        raise _fail(source, prefix + "nodes", "must be a list")
    if not isinstance(edges, list):
        raise _fail(source, prefix + "edges", "must be a list")
    if not isinstance(meta, dict):
        raise _fail(source, prefix + "meta", "must be an object")

    graph = Graph()
    graph.meta = meta
    for i, raw in enumerate(nodes):
        node = _read_node(raw, f"{prefix}node {i + 1}", source, check_node)
        if node.id in graph:
            raise _fail(source, f"{prefix}node {i + 1}", f"the id '{node.id}' is used twice")
        if graph.by_name(node.name) is not None:
            raise _fail(source, f"{prefix}node {i + 1}", f"the name '{node.name}' is used twice")
        graph._insert(node)
    for i, raw in enumerate(edges):
        where = f"{prefix}edge {i + 1}"
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
