"""The terminal: `netbuilder check / train / export / predict / import / sweep / board / gui`."""
from .commands import main

__all__ = ["main"]
