"""Datasets as tensors (no Qt)."""
from .builtin import Splits, digits, digits_splits, stratified_split

__all__ = ["Splits", "digits", "digits_splits", "stratified_split"]
