"""Shape inference, validation and fixes over a document (no Qt, no torch)."""
from .fixes import fix_edit
from .shapes import Analysis

__all__ = ["Analysis", "fix_edit"]
