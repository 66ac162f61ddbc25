"""The errors of training that come from what the user gave: each says why, in words."""
from __future__ import annotations

from ..errors import UserError


class TrainingError(UserError):
    """Training cannot start or go on; the message says why, in words. `layer` names the layer at fault."""

    def __init__(self, message: str, layer: str | None = None):
        super().__init__(message)
        self.layer = layer
