"""Problems are values: what is wrong, where, and an optional fix the editor can apply."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import UserError


@dataclass(frozen=True)
class Fix:
    """A suggested repair, as data. `analysis.fixes.fix_edit` turns it into an undoable edit.

    kinds: "insert" (put `layer` on the wire into node.port), "set_param" (node.params[param] =
    value), "add_after" (new `layer` fed by node), "add_before" (new `layer` feeding node.port),
    "disconnect" (remove the wire into node.port), "connect" (add the wire `value`: (src, src port,
    dst, dst port), the nearest port that fits a lone layer).
    """

    label: str
    kind: str
    node: str
    port: str | None = None
    layer: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    param: str | None = None
    value: Any = None

    def __hash__(self) -> int:
        return hash((self.label, self.kind, self.node, self.port))


@dataclass(frozen=True)
class Problem:
    node: str | None
    message: str
    port: str | None = None
    fix: Fix | None = None
    severity: str = "error"  # or "warning"

    def __hash__(self) -> int:
        return hash((self.node, self.message, self.port))

    def describe(self, names: dict[str, str] | None = None) -> str:
        where = ""
        if self.node is not None:
            where = (names or {}).get(self.node, self.node)
            if self.port:
                where += f".{self.port}"
            where += ": "
        text = f"{where}{self.message}"
        if self.fix is not None:
            text += f" (fix: {self.fix.label})"
        return text


class GraphError(UserError):
    """Raised by the compiler for a graph with problems; `problems` lists them all."""

    def __init__(self, problems: list[Problem], names: dict[str, str] | None = None):
        self.problems = list(problems)
        lines = [p.describe(names) for p in self.problems]
        super().__init__("the graph has problems:\n  " + "\n  ".join(lines))
