"""Datasets as tensors (no Qt)."""
from .builtin import Splits, digits, digits_splits, stratified_split
from .raw import DataError, RawData

__all__ = ["DataError", "RawData", "Splits", "digits", "digits_splits", "stratified_split"]
