"""Datasets as tensors (no Qt)."""
from .builtin import Splits, digits, digits_splits, stratified_split
from .dataset import DataSpec, Prepared, builtin_names, prepare
from .raw import DataError, RawData

__all__ = ["DataError", "DataSpec", "Prepared", "RawData", "Splits", "builtin_names", "digits", "digits_splits",
           "prepare", "stratified_split"]
