"""Small event objects the document announces after each change, and a list of listeners."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from .model import Edge


@dataclass(frozen=True)
class NodeAdded:
    node: str


@dataclass(frozen=True)
class NodeRemoved:
    node: str


@dataclass(frozen=True)
class EdgeAdded:
    edge: "Edge"


@dataclass(frozen=True)
class EdgeRemoved:
    edge: "Edge"


@dataclass(frozen=True)
class ParamChanged:
    node: str
    name: str
    value: Any


@dataclass(frozen=True)
class NodeMoved:
    node: str
    pos: tuple[float, float]


@dataclass(frozen=True)
class NodeRenamed:
    node: str
    name: str


@dataclass(frozen=True)
class MetaChanged:
    key: str
    value: Any


@dataclass(frozen=True)
class BlockChanged:
    """Block `name` was defined, removed, or its definition edited: its instances' ports and shapes may change."""

    name: str


@dataclass(frozen=True)
class BatchStarted:
    """The events up to the matching BatchEnded are one edit (a Group): views may wait."""


@dataclass(frozen=True)
class BatchEnded:
    pass


class Listeners:
    """Callbacks called with each event, in the order they subscribed."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[[object], None]] = []

    def connect(self, callback: Callable[[object], None]) -> None:
        self._callbacks.append(callback)

    def disconnect(self, callback: Callable[[object], None]) -> None:
        self._callbacks.remove(callback)

    def emit(self, event: object) -> None:
        for callback in list(self._callbacks):
            callback(event)

