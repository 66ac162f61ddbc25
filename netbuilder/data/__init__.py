"""Datasets as tensors (no Qt)."""
from .builtin import digits

__all__ = ["digits"]
