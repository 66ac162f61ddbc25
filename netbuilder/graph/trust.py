"""Whose code may run. A Code layer holds Python source that the analysis, the compiler and training
execute. It is the user's own code on their own machine, so code they wrote runs as they would run it;
code that arrived in a document they did not write runs only once they have seen it and said yes.

Trust is per code body: the SHA-256 of each accepted source. Accepted bodies are remembered in
trusted_code.json in the config folder (so a document is asked about once), and, for the length of
this process, in a set (what the user typed in the editor, what --trust-code allowed on the command
line). Pure data: no Qt, no torch."""
from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Iterable

from ..atomic import write_atomic
from .model import Graph

CODE_TYPE = "Code"  # the layer type whose "code" parameter is source to run
STORE_NAME = "trusted_code.json"
MAX_REMEMBERED = 10_000  # the oldest hashes are forgotten beyond this (asked about again)

log = logging.getLogger(__name__)
_session: set[str] = set()
_stored: dict[Path, tuple[int, list[str]]] = {}  # store path -> (mtime_ns, hashes) read last


def code_layers(graph: Graph) -> list[tuple[str, str]]:
    """(node name, source) of each Code layer of the document, in document order, then those inside its
    blocks (named "Block.node")."""
    found = [(node.name, node.params.get("code")) for node in graph.nodes()
             if node.type == CODE_TYPE and isinstance(node.params.get("code"), str)]
    if graph.parent is None:
        for name, block in graph.blocks.items():
            found += [(f"{name}.{node}", code) for node, code in code_layers(block)]
    return found


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()


def store_path(folder: str | os.PathLike | None = None) -> Path:
    if folder is None:
        from ..paths import config_dir

        folder = config_dir()
    return Path(folder) / STORE_NAME


def _remembered(path: Path) -> list[str]:
    """The hashes in the store (empty when it is missing or unreadable: then everything is asked about)."""
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return []
    cached = _stored.get(path)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        hashes = [h for h in data.get("sha256", []) if isinstance(h, str)]
    except (OSError, ValueError, AttributeError, UnicodeDecodeError) as e:
        log.warning("ignoring %s: %s", path, e)
        hashes = []
    _stored[path] = (mtime, hashes)
    return hashes


def is_trusted(code: str, folder: str | os.PathLike | None = None) -> bool:
    digest = code_hash(code)
    return digest in _session or digest in _remembered(store_path(folder))


def trust(codes: Iterable[str], remember: bool = True, folder: str | os.PathLike | None = None) -> None:
    """Let these sources run: for this process, and with `remember` also in the store for later sessions.
    Raises OSError when the store cannot be written (they are trusted for this process all the same)."""
    digests = [code_hash(c) for c in codes]
    _session.update(digests)
    if not remember:
        return
    path = store_path(folder)
    known = _remembered(path)
    new = [d for d in digests if d not in set(known)]
    if not new:
        return
    hashes = (known + new)[-MAX_REMEMBERED:]
    write_atomic(path, json.dumps({"about": "SHA-256 of Code layer sources the user allowed netbuilder to run",
                                   "sha256": hashes}, indent=1))
    _stored.pop(path, None)


def untrusted(graph: Graph, known: Iterable[str] = (), folder: str | os.PathLike | None = None
              ) -> list[tuple[str, str]]:
    """The Code layers whose source may not run yet: neither in `known` (sources that are always fine,
    such as the catalog's default) nor trusted."""
    fine = set(known)
    return [(name, code) for name, code in code_layers(graph) if code not in fine and not is_trusted(code, folder)]


def forget_session() -> None:
    """Forget what this process trusted (tests)."""
    _session.clear()
    _stored.clear()
